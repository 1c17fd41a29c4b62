"""Port of MLA's training step (alternating unimodal steps through one shared head).

Follows ``Cecile-hi/Multimodal-Learning-with-Alternating-Unimodal-Adaptation`` ``main.py``
``train_epoch`` with ``--gs_flag`` (#L419-477) and ``utils/utils.py`` ``GSPlugin``
(#L12-41), as read in shared/spec/research/baselines-conflict.md section 3:
1. one train-mode forward of both encoders: a, v;
2. audio step: L_a = CE(fc_out(a)); backward; ``GSPlugin.before_update`` (whose guard
   ``n == "module.weight"`` never matches ``fc_out``'s parameter names, so it changes
   nothing); ``optimizer.step()``; ``optimizer.zero_grad()`` (torch 1.8.1, as pinned in
   ``requirements.txt``: gradients are zeroed, not set to None);
3. visual step: L_v = CE(fc_out(v)) through the just-updated head; backward;
   ``before_update``; ``optimizer.step()`` (the audio encoder's zero gradients get one more
   momentum + weight-decay update); ``zero_grad()``;
4. every ``.grad`` is deleted; the logged loss is 0.55 L_a + 0.45 L_v; StepLR per epoch.

Variant ``gsplugin_guard_fixed`` (the harness's ``projection=replace``): ``before_update``
as if its guard matched ``fc_out.weight`` (``utils/utils.py#L24-41``): skipped while
``exp_count == 0``; alpha = 0.1^(batch_idx / N + 1); r = batch mean of the (detached)
features; k = P r^T; P <- P - k k^T / (alpha + r k); P <- P / |P|_F;
``weight.grad <- weight.grad @ P^T``; P (I at the start) and exp_count persist.
"""

import torch
import torch.nn.functional as F

from nets import Linear, Net


class Port:
    def __init__(self, case, w):
        self.fixed = [float(x) for x in case["params"]["fixed_weights"]]
        self.net = Net(case, w)
        self.fc_out = Linear(w, "head.shared")
        self.fixed_guard = bool(case["port_options"].get("gsplugin_guard_fixed", False))
        self.alpha_base = float(case["params"]["alpha_base"])
        self.steps = case["train"]["steps_per_epoch"]
        D = self.fc_out.weight.shape[1]
        self.P = torch.eye(D)
        self.exp_count = 0

    def before_update(self, feature, batch_idx):
        """GSPlugin.before_update; returns |projected grad| / |grad| (1 when not applied)."""
        if not self.fixed_guard or self.exp_count == 0:
            return 1.0
        alpha = self.alpha_base ** (batch_idx / self.steps + 1)
        with torch.no_grad():
            r = torch.mean(feature.detach(), 0, True)
            k = torch.mm(self.P, r.t())
            self.P = self.P - torch.mm(k, k.t()) / (alpha + torch.mm(r, k))
            self.P = self.P / torch.norm(self.P, p="fro")
            g = self.fc_out.weight.grad
            new = torch.mm(g, self.P.t())
            ratio = float(new.norm() / g.norm())
            self.fc_out.weight.grad = new
        return ratio

    def train_step(self, batch, at):
        self.net.train()
        y = batch["labels"]
        feats = self.net.features(batch["inputs"])
        losses, ratios = [], []
        for f in feats:
            loss = F.cross_entropy(self.fc_out(f), y)
            loss.backward()
            # GSPlugin.before_update: its guard never matches (no-op officially).
            ratios.append(self.before_update(f, at["step"]))
            self.exp_count += 1
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=False)  # torch 1.8.1 semantics
            losses.append(loss)
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                p.grad = None
        logs = {f"loss_{m}": float(l) for m, l in zip(self.net.modalities, losses)}
        for m, ratio in zip(self.net.modalities, ratios):
            logs[f"proj_ratio_{m}"] = ratio
        return sum(w * l for w, l in zip(self.fixed, losses)), logs
