"""Port of the Figure 4 composition ``bio+ogm-ge``: OGM-GE with IBML's L_mib loss.

No official code exists (IBML paper section 4.5 builds it by replacing "the standard
cross-entropy loss in OGM-GE ... with our MIB loss"). The port composes the two official
steps: OGM-GE ``main.py`` ``train_epoch`` (``ogm_ge.py`` here) with the loss of IBML
``main_AV.py:110-126,158-180`` (BIO's records, a_m and loss choice inside the strict window
``bio_window_start < e < bio_window_end``; ``ibml.py`` here), no TCM.
"""

import torch.nn.functional as F

import ogm_ge
from ibml import BioState


class Port(ogm_ge.Port):
    with_bio = True

    def loss(self, out, z, y, at, batch):
        a, _ = self.bio.strengths(batch, at["epoch"])
        on = self.p["bio_window_start"] < at["epoch"] < self.p["bio_window_end"]
        ce_f = F.cross_entropy(out, y)
        loss, used = BioState.loss(ce_f, [F.cross_entropy(zm, y) for zm in z], a, on)
        logs = {}
        for i, m in enumerate(self.net.modalities):
            logs[f"a_{m}"] = a[i]
            logs[f"bio_{m}"] = used[i]
        return loss, logs
