"""Port of MMPareto's training step (per-encoder Pareto combination of gradients).

Follows ``GeWu-Lab/MMPareto_ICML2024`` ``code/MMPareto.py`` ``train_epoch`` (#L56-213) and
``code/min_norm_solvers.py`` (``_min_norm_element_from2``), as read in
shared/spec/research/baselines-conflict.md section 2:
1. ONE forward pass (``AVClassifier``: z = head([a; v]), z_a = head_audio(a),
   z_v = head_video(v)); L_mm, L_a, L_v;
2. separate backward passes (retain_graph, zero_grad in between) record g_mm and g_m on each
   encoder's parameters (#L72-85);
3. cos_m = cosine similarity of the flattened g_mm^m and g_m (#L149-150, eps 1e-8);
4. cos > 0: (0.5, 0.5); else the min-norm closed form (0.999 if v12 >= v11; 0.001 if
   v12 >= v22; else (v22 - v12) / (v11 + v22 - 2 v12)) (#L165-175);
5. backward of L_mm + L_a + L_v gives g_sum (#L180-181; the heads keep it);
6. per encoder tensor: g_new = 2 w_mm g_mm + 2 w_u g_u, grad = 1.5 g_new max(1, |g_sum| /
   |g_new|) (#L178, #L183-207);
7. ``optimizer.step()`` (#L209); the StepLR(30) is never stepped: constant lr (2e-3, i.e.
   ``lr_scale`` x the protocol base).
"""

import torch
import torch.nn.functional as F

from nets import ConcatFusion, Linear, Net


def min_norm_from2(v11, v12, v22):
    if v12 >= v11:
        return 0.999
    if v12 >= v22:
        return 0.001
    return -1.0 * ((v12 - v22) / (v11 + v22 - 2 * v12))


class Port:
    def __init__(self, case, w):
        self.gamma = case["params"]["gamma"]
        self.net = Net(case, w)
        self.fusion = ConcatFusion(w)
        self.heads = [Linear(w, f"head.{m}") for m in self.net.modalities]

    def make_scheduler(self, optimizer):
        return None  # constructed but never stepped officially

    def grads_of(self, loss, params):
        self.optimizer.zero_grad()
        loss.backward(retain_graph=True)
        return [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in params]

    def train_step(self, batch, at):
        self.net.train()
        y = batch["labels"]
        feats = self.net.features(batch["inputs"])
        z = self.fusion(feats)
        zu = [h(f) for h, f in zip(self.heads, feats)]
        L_mm = F.cross_entropy(z, y)
        L_u = [F.cross_entropy(zm, y) for zm in zu]
        enc = [list(e.parameters()) for e in self.net.encoders]
        g_mm = self.grads_of(L_mm, [p for ps in enc for p in ps])
        g_u = [self.grads_of(L_u[i], enc[i]) for i in range(len(enc))]
        logs = {"loss_mm": float(L_mm)}
        weights = []
        off = 0
        for i, m in enumerate(self.net.modalities):
            gm = g_mm[off:off + len(enc[i])]
            off += len(enc[i])
            a = torch.cat([g.flatten() for g in gm])
            b = torch.cat([g.flatten() for g in g_u[i]])
            cos = float(F.cosine_similarity(a, b, dim=0, eps=1e-8))
            if cos > 0:
                w_mm, w_u = 0.5, 0.5
            else:
                c = min_norm_from2(float(a @ a), float(a @ b), float(b @ b))
                w_mm, w_u = c, 1 - c
            weights.append((gm, w_mm, w_u))
            logs.update({f"cos_{m}": cos, f"w_mm_{m}": w_mm, f"w_uni_{m}": w_u,
                         f"conflict_{m}": 1.0 if cos <= 0 else 0.0,
                         f"loss_{m}": float(L_u[i])})
        total = L_mm + sum(L_u)
        self.optimizer.zero_grad()
        total.backward()
        with torch.no_grad():
            for i, (gm, w_mm, w_u) in enumerate(weights):
                for p, a, b in zip(enc[i], gm, g_u[i]):
                    g_new = 2 * w_mm * a + 2 * w_u * b
                    r = p.grad.norm() / g_new.norm()
                    p.grad = self.gamma * g_new * max(1.0, float(r))
        self.optimizer.step()
        return total, logs
