"""Port of ARL's training step (asymmetric representation learning), a reconstruction.

The released code does not run unmodified (shared/spec/research/baselines-conflict.md
section 5; docs/methods.md "ARL in detail"). This port follows the data flow of the revision
that stores omega (``shicaiwei123/ICCV2025-ARL`` ``main_arl_variance.py`` 51a9de33
``train_epoch``, ``models/backbone.py`` 0e851af ``GradScale`` / ``ResNet_weight``), with the
statistics of ``main_arl_variance.py#L116-154`` and the loss of ``#L150-164``:
1. forward; GradScale(f_m, w_m) on each encoder output once ``epoch > start`` (identity
   forward, gradient x (1 + w_m); w = the ``args.*_weight`` stored by the previous
   iteration); z = fc_out([a; v]), z_m = fc_out with the other modality zeroed (full bias);
2. without gradient: M_m = sum_c mean_b |z_m|, m^_m = M_m / sum M; H_m = mean_b(-sum_c p
   log(p + 1e-16)), H^_m = max(H_m / sum H, 0.3); u_m = (1 / H^_m) / sum_j (1 / H^_j);
   omega = softmax(T [m^_v u_a, m^_a u_v]);
3. epoch > start: L = L_f + gamma (L_a + L_v), ``args.audio_weight, args.visual_weight =
   omega``; else L = L_f + L_a + L_v and both weights 0.5;
4. backward; ``clip_grad_norm_(model.parameters(), 40)``; ``optimizer.step()``;
   ``MultiStepLR([70, 150])`` stepped at epoch start (milestone: the protocol's ``lr_step``).
The 0/0 guards of the harness (floors at 1e-30) never bind on these inputs.
"""

import torch
import torch.nn.functional as F

from nets import ConcatFusion, Net


class Port:
    def __init__(self, case, w):
        self.case = case
        self.p = case["params"]
        self.net = Net(case, w)
        self.fusion = ConcatFusion(w)
        self.weights = [0.5, 0.5]  # args.audio_weight, args.visual_weight

    def make_scheduler(self, optimizer):
        t = self.case["train"]
        s = torch.optim.lr_scheduler.MultiStepLR(optimizer, [t["lr_step"], 150], t["lr_gamma"])
        s.at_start = True
        return s

    def train_step(self, batch, at):
        self.net.train()
        y = batch["labels"]
        active = at["epoch"] > self.p["start"]
        feats = self.net.features(batch["inputs"])
        mult = [1 + w for w in self.weights] if active else [1.0, 1.0]
        if active:
            for f, k in zip(feats, mult):
                f.register_hook(lambda g, k=k: g * k)
        a, v = feats
        z = self.fusion.fc_out(torch.cat([a, v], 1))
        z_a = self.fusion.fc_out(torch.cat([a, torch.zeros_like(v)], 1))
        z_v = self.fusion.fc_out(torch.cat([torch.zeros_like(a), v], 1))
        L_f, L_a, L_v = (F.cross_entropy(t, y) for t in (z, z_a, z_v))
        with torch.no_grad():
            M = [zm.abs().mean(0).sum() for zm in (z_a, z_v)]
            m_hat = [x / (M[0] + M[1]) for x in M]
            H = []
            for zm in (z_a, z_v):
                p = F.softmax(zm, 1)
                H.append((-(p * torch.log(p + 1e-16)).sum(1)).mean())
            H_hat = [torch.clamp(h / (H[0] + H[1]), min=self.p["h_min"]) for h in H]
            u = [1 / h for h in H_hat]
            u = [x / (u[0] + u[1]) for x in u]
            omega = F.softmax(self.p["T"] * torch.stack([m_hat[1] * u[0], m_hat[0] * u[1]]), 0)
        if active:
            loss = L_f + self.p["gamma"] * (L_a + L_v)
            self.weights = [float(omega[0]), float(omega[1])]
        else:
            loss = L_f + L_a + L_v
            self.weights = [0.5, 0.5]
        self.optimizer.zero_grad()
        loss.backward()
        params = self.optimizer.param_groups[0]["params"]
        norm = float(torch.nn.utils.clip_grad_norm_(params, self.p["clip_norm"]))
        self.optimizer.step()
        mods = self.net.modalities
        logs = {"gamma_phase": 1.0 if active else 0.0, "loss_fusion": float(L_f),
                "grad_norm": norm, f"loss_{mods[0]}": float(L_a), f"loss_{mods[1]}": float(L_v)}
        for i, m in enumerate(mods):
            logs[f"omega_{m}"] = float(omega[i])
            logs[f"multiplier_{m}"] = mult[i]
        return loss, logs
