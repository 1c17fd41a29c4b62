"""Port of the unimodal reference: one encoder plus a linear head, CE loss, SGD.

No official file: the harness's reference lines (Figures 2/5) train one modality alone
with the OGM-GE training loop (``GeWu-Lab/OGM-GE_CVPR2022`` ``main.py#L55-160``: forward,
``CE``, ``backward``, ``optimizer.step()``) on that modality's encoder and a ``nn.Linear``
head (shared/spec/methods.md, "unimodal").
"""

import torch.nn.functional as F

from nets import Linear, Net


class Port:
    def __init__(self, case, w):
        self.m = case["params"]["modality"]
        self.net = Net(case, w, modalities=[self.m])
        self.head = Linear(w, f"head.{self.m}")

    def train_step(self, batch, at):
        self.net.train()
        (f,) = self.net.features(batch["inputs"])
        loss = F.cross_entropy(self.head(f), batch["labels"])
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss, {}
