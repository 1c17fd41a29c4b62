"""Port of vanilla Summation fusion (OGM-GE ``--fusion_method sum --modulation Normal``).

Follows ``GeWu-Lab/OGM-GE_CVPR2022`` ``models/fusion_modules.py#L5-13`` (``SumFusion``:
``fc_x(a) + fc_y(v)``) and ``main.py#L55-160`` (``train_epoch``: ``loss = CE(out, y)``,
``loss.backward()``, ``optimizer.step()``; the unimodal losses are logging only), as
described in shared/spec/research/baselines-conflict.md section 1.
"""

import torch.nn.functional as F

from nets import Net, SumFusion


class Port:
    def __init__(self, case, w):
        self.net = Net(case, w)
        self.fusion = SumFusion(w, self.net.modalities)

    def train_step(self, batch, at):
        self.net.train()
        feats = self.net.features(batch["inputs"])
        out = self.fusion(feats)
        loss = F.cross_entropy(out, batch["labels"])
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss, {}
