"""Port of vanilla Concatenation fusion (OGM-GE ``--fusion_method concat --modulation Normal``).

Follows ``GeWu-Lab/OGM-GE_CVPR2022`` ``models/fusion_modules.py#L16-24`` (``ConcatFusion``:
``fc_out(cat(a, v))``) and ``main.py#L55-160`` (``train_epoch``: ``loss = CE(out, y)``,
``loss.backward()``, ``optimizer.step()``), as described in
shared/spec/research/baselines-conflict.md section 1.
"""

import torch.nn.functional as F

from nets import ConcatFusion, Net


class Port:
    def __init__(self, case, w):
        self.net = Net(case, w)
        self.fusion = ConcatFusion(w)

    def train_step(self, batch, at):
        self.net.train()
        out = self.fusion(self.net.features(batch["inputs"]))
        loss = F.cross_entropy(out, batch["labels"])
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss, {}
