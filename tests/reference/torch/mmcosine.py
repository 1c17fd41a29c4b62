"""Port of MMCosine's training step (cosine-normalised classifier logits).

Follows ``GeWu-Lab/MMCosine_ICASSP23`` ``main_CD.py`` ``train_epoch`` with ``--mmcosine``
and the concat head, as read in shared/spec/research/baselines-pace.md section 3.1:
the model's linear output is computed and then replaced by
z_m = s * F.normalize(f_m, dim=1) @ F.normalize(W_m^T, dim=0) (each class row of the
modality's half of ``fc_out.weight`` normalised, eps 1e-12, no bias); L = CE(z_a + z_v)
(lambda = 0: no NCE); CE(z_a), CE(z_v) for logging; backward; ``optimizer.step()`` (the
bias has no gradient, so SGD leaves it alone); StepLR per epoch.
"""

import torch
import torch.nn.functional as F

from nets import ConcatFusion, Net


class Port:
    def __init__(self, case, w):
        self.s = case["params"]["scaling"]
        self.net = Net(case, w)
        self.fusion = ConcatFusion(w)

    def train_step(self, batch, at):
        self.net.train()
        y = batch["labels"]
        feats = self.net.features(batch["inputs"])
        _ = self.fusion(feats)  # the official forward; its output is replaced
        W = self.fusion.fc_out.weight
        z, off = [], 0
        for f in feats:
            Wm = W[:, off:off + f.shape[1]]
            off += f.shape[1]
            z.append(self.s * torch.mm(F.normalize(f, dim=1), F.normalize(Wm.t(), dim=0)))
        out = sum(z)
        loss = F.cross_entropy(out, y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        logs = {f"ce_{m}": float(F.cross_entropy(zm, y)) for m, zm in zip(self.net.modalities, z)}
        return loss, logs
