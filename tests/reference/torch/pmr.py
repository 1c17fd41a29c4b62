"""Port of PMR's training step (prototypical modal rebalance).

Follows ``fanyunfeng-bit/Modal-Imbalance-PMR`` ``main_Prototype_grad.py`` (``train_epoch``,
``calculate_prototype``) with the CREMA-D ``bash.sh`` settings, as read in
shared/spec/research/baselines-pace.md section 2.1:
0. prototypes before epoch 0 and after every epoch: ``model.eval()``, no_grad, class means of
   the fusion module's raw features over the sampled training batches (here: the batches the
   harness sampled); momentum ``P = (1 - mu) P_new + mu P_old`` except for ``epoch <= 0``;
1. per iteration: forward (train mode), sim_m = -||f_m - P^m_c||_2 (prototypes constant),
   s^p_m = sum_i softmax(sim_m)_i[y_i], rho^p = s^p_a / s^p_v; inside
   ``modulation_starts <= epoch <= modulation_ends``: rho^p > 1 -> lam = alpha (visual),
   rho^p < 1 -> beta = alpha (audio), L = CE(out) + beta CE(sim_a) + lam CE(sim_v);
   outside, L = CE(out); backward; ``optimizer.step()``; StepLR per epoch.
"""

import torch
import torch.nn.functional as F

from nets import ConcatFusion, Net


def distance_logits(f, protos):
    return -torch.sqrt(((f[:, None, :] - protos[None, :, :]) ** 2).sum(2))


class Port:
    with_bio = False

    def __init__(self, case, w):
        self.case = case
        self.p = case["params"]
        self.C = case["num_classes"]
        self.net = Net(case, w)
        self.fusion = ConcatFusion(w)
        self.protos = None
        if self.with_bio:
            from ibml import BioState
            self.bio = BioState(case)

    def calculate_prototype(self, batches, epoch):
        if not batches:
            raise RuntimeError(f"the harness sampled no prototype batches (epoch {epoch})")
        self.net.eval()
        M = len(self.net.modalities)
        with torch.no_grad():
            sums = None
            count = torch.zeros(self.C)
            for b in batches:
                feats = self.net.features(b["inputs"])
                if sums is None:
                    sums = [torch.zeros(self.C, f.shape[1]) for f in feats]
                for i in range(M):
                    sums[i].index_add_(0, b["labels"], feats[i])
                count += torch.bincount(b["labels"], minlength=self.C).to(count.dtype)
            new = [s / count[:, None] for s in sums]
        mu = self.p["momentum_coef"]
        if epoch <= 0 or self.protos is None:
            self.protos = new
        else:
            self.protos = [(1 - mu) * n + mu * o for n, o in zip(new, self.protos)]
        self.net.train()

    def on_train_start(self, batches):
        self.calculate_prototype(batches, 0)

    def on_epoch_end(self, epoch, batches):
        self.calculate_prototype(batches, epoch)

    def train_step(self, batch, at):
        self.net.train()
        y = batch["labels"]
        feats = self.net.features(batch["inputs"])
        out = self.fusion(feats)
        z = [self.fusion.split(feats, i) for i in range(len(feats))]
        sims = [distance_logits(f, P) for f, P in zip(feats, self.protos)]
        with torch.no_grad():
            score = [float(F.softmax(s, 1).gather(1, y[:, None]).sum()) for s in sims]
        ratio = score[0] / score[1]
        alpha = self.p["alpha"]
        active = self.p["window_start"] <= at["epoch"] <= self.p["window_end"]
        beta = lam = 0.0
        if active:
            if ratio > 1:
                lam = alpha
            elif ratio < 1:
                beta = alpha
        ce_proto = [F.cross_entropy(s, y) for s in sims]
        logs = {}
        if self.with_bio:
            base, logs = self.bio_loss(out, z, y, at, batch)
        else:
            base = F.cross_entropy(out, y)
        loss = base + beta * ce_proto[0] + lam * ce_proto[1]
        self.optimizer.zero_grad()
        loss.backward()
        if self.with_bio:
            self.bio.record(batch, z)
        self.optimizer.step()
        mods = self.net.modalities
        logs.update({"proto_ratio": ratio, "active": 1.0 if active else 0.0,
                     f"w_{mods[0]}": beta, f"w_{mods[1]}": lam})
        for i, m in enumerate(mods):
            logs[f"loss_proto_{m}"] = float(ce_proto[i])
            logs[f"per_{m}"] = 0.0  # the released code has no PER
        return loss, logs
