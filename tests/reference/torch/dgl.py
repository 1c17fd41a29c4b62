"""Port of DGL's training step (disentangled gradient learning).

Follows ``shicaiwei123/ICCV2025-GDL`` ``main_dgl.py`` ``train_epoch`` (#L69-165) and
``models/fusion_modules.py`` ``ConcatFusion_DGL``, as read in
shared/spec/research/baselines-conflict.md section 4:
1. forward; z = fc_out(cat(a, v).detach()); z_a = fc_out(cat(a, 0)), z_v = fc_out(cat(0, v))
   (zero padding, full bias, not detached); L_f, L_a, L_v;
2. ``(alpha (L_a + L_v)).backward(retain_graph=True)``;
3. every ``fusion_module`` parameter's ``.grad = None`` (#L114-119);
4. ``L_f.backward()`` (only the head: the features are detached);
5. ``clip_grad_norm_(model.parameters(), 40)`` (#L129); ``optimizer.step()``;
6. ``MultiStepLR([70], 0.1)`` stepped at the START of every epoch (#L74); the milestone is
   the protocol's ``lr_step`` (70 of 100) and the clip norm comes from the case.
The lr is 2e-3, i.e. ``lr_scale`` 2 x the protocol base.
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

    def make_scheduler(self, optimizer):
        t = self.case["train"]
        s = torch.optim.lr_scheduler.MultiStepLR(optimizer, [t["lr_step"]], t["lr_gamma"])
        s.at_start = True
        return s

    def train_step(self, batch, at):
        self.net.train()
        y = batch["labels"]
        a, v = self.net.features(batch["inputs"])
        z = self.fusion.fc_out(torch.cat([a.detach(), v.detach()], 1))
        z_a = self.fusion.fc_out(torch.cat([a, torch.zeros_like(v)], 1))
        z_v = self.fusion.fc_out(torch.cat([torch.zeros_like(a), v], 1))
        L_f, L_a, L_v = (F.cross_entropy(t, y) for t in (z, z_a, z_v))
        self.optimizer.zero_grad()
        (self.p["alpha"] * (L_a + L_v)).backward(retain_graph=True)
        for prm in self.fusion.parameters():
            prm.grad = None
        L_f.backward()
        params = self.optimizer.param_groups[0]["params"]
        norm = float(torch.nn.utils.clip_grad_norm_(params, self.p["clip_norm"]))
        self.optimizer.step()
        mods = self.net.modalities
        logs = {"loss_fusion": float(L_f), f"loss_{mods[0]}": float(L_a),
                f"loss_{mods[1]}": float(L_v), "grad_norm": norm,
                "clipped": 1.0 if norm > self.p["clip_norm"] else 0.0}
        return L_f, logs
