"""Port of the Figure 4 composition ``bio+pmr``: PMR with IBML's L_mib loss.

No official code exists (IBML paper section 4.5). The port composes PMR
``main_Prototype_grad.py`` ``train_epoch`` (``pmr.py`` here) with IBML ``main_AV.py:110-126,
158-180`` (BIO's records, a_m and loss choice inside the strict window
``bio_window_start < e < bio_window_end``; ``ibml.py`` here) in place of CE(out); no TCM.
"""

import torch.nn.functional as F

import pmr
from ibml import BioState


class Port(pmr.Port):
    with_bio = True

    def bio_loss(self, out, z, y, at, batch):
        a, _ = self.bio.strengths(batch, at["epoch"])
        on = self.p["bio_window_start"] < at["epoch"] < self.p["bio_window_end"]
        loss, used = BioState.loss(F.cross_entropy(out, y), [F.cross_entropy(zm, y) for zm in z],
                                   a, on)
        logs = {}
        for i, m in enumerate(self.net.modalities):
            logs[f"a_{m}"] = a[i]
            logs[f"bio_{m}"] = used[i]
        return loss, logs
