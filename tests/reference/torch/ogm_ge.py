"""Port of OGM-GE's training step (on-the-fly gradient modulation + generalisation enhancement).

Follows ``GeWu-Lab/OGM-GE_CVPR2022`` ``main.py`` ``train_epoch`` (#L55-160) as read in
shared/spec/research/baselines-pace.md section 1.1:
1. forward, split logits z_a = a W_a^T + b/2, z_v = v W_v^T + b/2 (section 0.5), L = CE(out);
2. ``loss.backward()``;
3. score_m = batch sum of softmax(z_m)[y]; ratio_v = score_v / score_a, ratio_a = 1/ratio_v;
4. ratio_v > 1: k_v = 1 - tanh(alpha relu(ratio_v)), k_a = 1; else k_a = 1 - tanh(alpha
   relu(ratio_a)), k_v = 1;
5. if modulation_starts <= epoch <= modulation_ends: every encoder parameter whose gradient
   is 4-D (conv weights) gets g <- k_m g + N(0, (std(g) + 1e-8)^2) (std unbiased, before
   scaling; ``OGM_GE``), on both encoders; the unit normal is the harness's draw;
6. ``optimizer.step()``; StepLR after the epoch.
Modality 1 (audio) plays the official ``audio``, modality 2 the official ``visual``.

Variant ``min_rank`` (the harness's default ``grad_min_rank=2``): step 5 on every gradient of
rank >= min_rank, i.e. also the Linear kernels, as the maintainer advises for encoders with
FC layers (OGM-GE issue #22).
"""

import math

import torch
import torch.nn.functional as F

from nets import ConcatFusion, Net


def coefficients(z, y, alpha):
    """Steps 3-4: k and rho (s_m / s_other) per modality, official order (audio, visual)."""
    with torch.no_grad():
        score = [float(F.softmax(zm, dim=1).gather(1, y[:, None]).sum()) for zm in z]
        ratio_v = score[1] / score[0]
        ratio_a = 1 / ratio_v
        relu = lambda r: max(r, 0.0)  # noqa: E731
        if ratio_v > 1:
            k = [1.0, 1 - math.tanh(alpha * relu(ratio_v))]
        else:
            k = [1 - math.tanh(alpha * relu(ratio_a)), 1.0]
        return k, [ratio_a, ratio_v]


def modulate(port, k, at):
    """Step 5 on the 4-D gradients of each encoder (``OGM_GE``: noise on both encoders)."""
    names = {id(p): n for n, p in port.weights.params.items()}
    min_rank = int(port.case["port_options"].get("min_rank", 4))
    for i, enc in enumerate(port.net.encoders):
        for p in enc.parameters():
            if p.grad is None or p.grad.dim() < min_rank:
                continue
            g = p.grad
            std = g.std().item()
            name = names[id(p)]
            unit = port.weights.to_torch(name, at["draws"][f"ge/{name}"])
            # ``torch.zeros_like(grad).normal_(0, std + 1e-8)``: the harness's unit draw, scaled.
            p.grad = g * k[i] + unit * (std + 1e-8)


class Port:
    with_bio = False

    def __init__(self, case, w):
        self.case = case
        self.p = case["params"]
        self.weights = w
        self.net = Net(case, w)
        self.fusion = ConcatFusion(w)
        if self.with_bio:
            from ibml import BioState
            self.bio = BioState(case)

    def loss(self, out, z, y, at):
        return F.cross_entropy(out, y), {}

    def train_step(self, batch, at):
        self.net.train()
        y = batch["labels"]
        feats = self.net.features(batch["inputs"])
        out = self.fusion(feats)
        z = [self.fusion.split(feats, i) for i in range(len(feats))]
        loss, extra = self.loss(out, z, y, at, batch) if self.with_bio else self.loss(out, z, y, at)
        self.optimizer.zero_grad()
        loss.backward()
        k, rho = coefficients(z, y, self.p["alpha"])
        active = self.p["window_start"] <= at["epoch"] <= self.p["window_end"]
        if active:
            modulate(self, k, at)
        if self.with_bio:
            self.bio.record(batch, z)
        self.optimizer.step()
        logs = {"active": 1.0 if active else 0.0}
        for i, m in enumerate(self.net.modalities):
            logs[f"k_{m}"] = k[i]
            logs[f"rho_{m}"] = rho[i]
        logs.update(extra)
        return loss, logs
