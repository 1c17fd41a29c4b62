"""Port of IBML's training step (BIO + TCM + warmup).

Follows ``QinYang79/IBML`` @ 5f0d9e2 ``main_AV.py`` as read in
shared/spec/research/ibml-official.md sections 1-3:
- records ``soft_labels`` [N, C] per modality, zero-initialised (``main_AV.py:96-98``);
- reference predictions: one-hot labels in epoch 0, else the records of the batch's samples;
  correctness flags, batch-sum strengths rho~_m and a_m = 2 rho~_m / (rho~_1 + rho~_2)
  (``main_AV.py:110-126``);
- TCM inside the strict window: for the modality with a_m > 1, one N(0, std^2) field of one
  sample's shape (std = unbiased std of the whole batch tensor) added to the samples whose
  recorded prediction was correct and whose u_k < clip(a_m, 0, lambda) / lambda
  (``main_AV.py:128-140``); the unit-normal field and the uniforms are the harness's draws;
- forward in train mode, split logits z_m = f_m W_m^T + b/2 (``main_AV.py:143-156``);
- BIO loss: CE_f + CE_m for the modality with a_m < 1 inside the window, else CE_f
  (``main_AV.py:158-175``);
- backward, then the detached softmax of z_m of this pass is recorded (``main_AV.py:176-180``);
  ``optimizer.step()`` (``main_AV.py:187``);
- lr set at the end of epoch e: min(lr0 (e/2 + 1), 10 lr0) for e < 35, lr0 for e < 70,
  0.1 lr0 after (``main_AV.py:194-204``).
"""

import torch
import torch.nn.functional as F

from nets import ConcatFusion, Net


class BioState:
    """The per-sample records and the step-1 quantities (shared with bio+ogm-ge, bio+pmr)."""

    def __init__(self, case):
        n = len(case["data"]["labels"])
        self.C = case["num_classes"]
        self.records = [torch.zeros(n, self.C) for _ in case["modalities"]]

    def strengths(self, batch, epoch):
        y = batch["labels"]
        onehot = F.one_hot(y, self.C).to(torch.get_default_dtype())
        refs = [onehot if epoch == 0 else r[batch["indices"]] for r in self.records]
        pred = [(ref.argmax(1) == y) for ref in refs]
        rho = [float((ref * onehot).sum()) for ref in refs]
        total = sum(rho)
        a = [2 * r / total for r in rho]
        return a, pred

    def record(self, batch, logits):
        with torch.no_grad():
            for r, z in zip(self.records, logits):
                r[batch["indices"]] = F.softmax(z, dim=1)

    @staticmethod
    def loss(ce_f, ces, a, active):
        """BIO's choice (``main_AV.py:166-175``): the later ``if`` overwrites."""
        loss, used = ce_f, [0.0] * len(ces)
        if active:
            for i in range(len(ces)):
                if a[i] < 1:
                    loss, used = ces[i] + ce_f, [0.0] * len(ces)
                    used[i] = 1.0
        return loss, used


def in_window(case, epoch):
    p = case["params"]
    return p["window_start"] < epoch < p["window_end"]


class Port:
    def __init__(self, case, w):
        self.case = case
        self.p = case["params"]
        self.net = Net(case, w)
        self.fusion = ConcatFusion(w)
        self.bio = BioState(case)
        self.lr0 = float(self.p["base_lr"])

    def make_scheduler(self, optimizer):
        port = self

        class Warmup:
            """``main_AV.py:194-204``: the lr of the next epoch, set after epoch e."""
            at_start = False

            def __init__(self):
                self.e = 0

            def step(self):
                e, lr0 = self.e, port.lr0
                lr = min(lr0 * (e / 2 + 1), 10 * lr0) if e < 35 else lr0 if e < 70 else 0.1 * lr0
                for g in optimizer.param_groups:
                    g["lr"] = lr
                self.e += 1

        return Warmup()

    def tcm(self, batch, a, pred, at):
        lam = self.p["lambda"]
        inputs = dict(batch["inputs"])
        noised = []
        for i, m in enumerate(self.net.modalities):
            x = inputs[m]
            if a[i] > 1:
                std = x.std()  # unbiased, over every element of the batch tensor
                field = at["draws"][f"tcm-field/{m}"] * std
                u = at["draws"][f"tcm-u/{m}"]
                p = min(max(a[i], 0.0), lam) / lam
                mask = (u < p) & pred[i]
                x = x.clone()
                x[mask] = x[mask] + field
                inputs[m] = x
                noised.append(float(mask.float().mean()))
            else:
                noised.append(0.0)
        return inputs, noised

    def train_step(self, batch, at):
        self.net.train()
        active = in_window(self.case, at["epoch"])
        a, pred = self.bio.strengths(batch, at["epoch"])
        inputs, noised = batch["inputs"], [0.0] * len(a)
        if active and self.p["tcm"]:
            inputs, noised = self.tcm(batch, a, pred, at)
        feats = self.net.features(inputs)
        out = self.fusion(feats)
        z = [self.fusion.split(feats, i) for i in range(len(feats))]
        y = batch["labels"]
        ce_f = F.cross_entropy(out, y)
        ces = [F.cross_entropy(zm, y) for zm in z]
        loss, used = BioState.loss(ce_f, ces, a, active and self.p["bio"])
        self.optimizer.zero_grad()
        loss.backward()
        self.bio.record(batch, z)
        self.optimizer.step()
        logs = {}
        for i, m in enumerate(self.net.modalities):
            logs[f"a_{m}"] = a[i]
            logs[f"bio_{m}"] = used[i]
            logs[f"noised_{m}"] = noised[i]
        return loss, logs
