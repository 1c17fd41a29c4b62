"""Networks of the step-equivalence ports, in PyTorch layout and PyTorch semantics.

The weights come from the TypeScript model (the suite exports them) and are converted to
PyTorch layout: a harness Linear kernel [in, out] becomes ``nn.Linear.weight`` [out, in]; a
conv kernel [kh, kw, in, out] becomes ``nn.Conv2d.weight`` [out, in, kh, kw]. Inputs stay
NHWC as the harness stores them and are permuted to NCHW inside the conv encoder.

The building blocks follow the official repositories:
- encoders and heads as OGM-GE ``models/basic_model.py`` / ``models/fusion_modules.py``
  (``ConcatFusion.fc_out``, ``SumFusion.fc_x``/``fc_y``; shared by every repo, see
  shared/spec/research/baselines-pace.md section 0.1 and baselines-conflict.md section 0);
- BatchNorm is ``F.batch_norm`` (momentum 0.1, eps 1e-5, unbiased running variance) and
  dropout is ``nn.Dropout``'s inverted dropout with the mask fed in from the harness.
"""

import torch
import torch.nn.functional as F
from torch import nn

BN_MOMENTUM = 0.1
BN_EPS = 1e-5


def tensor(w):
    """A tensor (default dtype: float32) from a wire tensor {shape, data}."""
    return torch.tensor(w["data"], dtype=torch.get_default_dtype()).reshape(w["shape"])


class Weights:
    """The exported initial parameters, converted to PyTorch layout, by harness name."""

    def __init__(self, init):
        self.params = {}
        self.layout = {}
        for name, w in init["params"].items():
            t = tensor(w)
            if t.dim() == 2:
                t, lay = t.t().contiguous(), "linear"
            elif t.dim() == 4:
                t, lay = t.permute(3, 2, 0, 1).contiguous(), "conv"
            else:
                lay = "plain"
            self.params[name] = nn.Parameter(t)
            self.layout[name] = lay
        self.buffers = {name: tensor(w) for name, w in init["buffers"].items()}

    def to_torch(self, name, t):
        """A tensor of parameter ``name``'s harness shape, in PyTorch layout."""
        lay = self.layout[name]
        if lay == "linear":
            return t.t().contiguous()
        if lay == "conv":
            return t.permute(3, 2, 0, 1).contiguous()
        return t

    def take(self, name):
        if name not in self.params:
            raise KeyError(f"port needs parameter '{name}', which the harness model lacks")
        return self.params[name]

    def export(self, name, t):
        """A parameter back in harness layout, as a flat list."""
        lay = self.layout[name]
        t = t.detach()
        if lay == "linear":
            t = t.t()
        elif lay == "conv":
            t = t.permute(2, 3, 1, 0)
        return t.contiguous().reshape(-1).tolist()


class Linear(nn.Module):
    """``nn.Linear`` whose weight and bias are the harness's ``<name>.kernel`` / ``.bias``."""

    def __init__(self, w, name):
        super().__init__()
        self.weight = w.take(f"{name}.kernel")
        self.bias = w.params.get(f"{name}.bias")

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class MlpEncoder(nn.Module):
    """The quick profile's MLP: ReLU after every layer (harness ``src/models/mlp.ts``)."""

    def __init__(self, w, modality):
        super().__init__()
        layers = []
        i = 0
        while f"encoder.{modality}.{i}.kernel" in w.params:
            layers.append(Linear(w, f"encoder.{modality}.{i}"))
            i += 1
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        h = x.reshape(x.shape[0], -1)
        for layer in self.layers:
            h = F.relu(layer(h))
        return h


class Dropout(nn.Module):
    """``nn.Dropout`` (inverted) whose masks are fed in: one new mask per training pass."""

    def __init__(self, masks):
        super().__init__()
        self.masks = masks
        self.count = 0

    def forward(self, x):
        if not self.training:
            return x
        if self.count >= len(self.masks):
            raise RuntimeError("dropout: the harness exported too few masks")
        mask = torch.tensor(self.masks[self.count], dtype=torch.get_default_dtype()).reshape(x.shape)
        self.count += 1
        return x * mask


class BatchNorm(nn.Module):
    """``nn.BatchNorm2d`` on the harness's gamma/beta and running statistics."""

    def __init__(self, w, name):
        super().__init__()
        self.weight = w.take(f"{name}.gamma")
        self.bias = w.take(f"{name}.beta")
        self.register_buffer("running_mean", w.buffers[f"{name}.running_mean"].clone())
        self.register_buffer("running_var", w.buffers[f"{name}.running_var"].clone())
        self.name = name

    def forward(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training, BN_MOMENTUM, BN_EPS)


class ConvBnEncoder(nn.Module):
    """conv3x3 - BN - ReLU - conv3x3/2 - BN - ReLU - global average pool - dropout."""

    def __init__(self, w, modality, masks):
        super().__init__()
        g = f"encoder.{modality}"
        self.conv1 = w.take(f"{g}.conv1.kernel")
        self.bn1 = BatchNorm(w, f"{g}.bn1")
        self.conv2 = w.take(f"{g}.conv2.kernel")
        self.bn2 = BatchNorm(w, f"{g}.bn2")
        self.drop = Dropout(masks)

    def forward(self, x):
        h = x.permute(0, 3, 1, 2)
        h = F.relu(self.bn1(F.conv2d(h, self.conv1, stride=1, padding=1)))
        h = F.relu(self.bn2(F.conv2d(h, self.conv2, stride=2, padding=1)))
        return self.drop(F.adaptive_avg_pool2d(h, 1).flatten(1))

    def named_running(self):
        return {f"{bn.name}.{k}": getattr(bn, k) for bn in (self.bn1, self.bn2)
                for k in ("running_mean", "running_var")}


def make_encoder(case, w, modality):
    if case["encoder"] == "conv":
        return ConvBnEncoder(w, modality, case["dropout_masks"][modality])
    return MlpEncoder(w, modality)


class ConcatFusion(nn.Module):
    """OGM-GE ``ConcatFusion``: ``fc_out(cat(a, v))`` (harness name ``head.fc``)."""

    def __init__(self, w, name="head.fc"):
        super().__init__()
        self.fc_out = Linear(w, name)

    def forward(self, feats):
        return self.fc_out(torch.cat(feats, dim=1))

    def split(self, feats, i, bias_share=None):
        """OGM-GE ``main.py`` split logits: f_i W_i^T + b / M (or ``bias_share`` x b)."""
        d = [f.shape[1] for f in feats]
        off = sum(d[:i])
        W = self.fc_out.weight[:, off:off + d[i]]
        share = 1.0 / len(feats) if bias_share is None else bias_share
        return torch.mm(feats[i], W.t()) + self.fc_out.bias * share


class SumFusion(nn.Module):
    """OGM-GE ``SumFusion``: ``fc_x(a) + fc_y(v)`` (harness names ``head.<modality>``)."""

    def __init__(self, w, modalities):
        super().__init__()
        self.fcs = nn.ModuleList([Linear(w, f"head.{m}") for m in modalities])

    def forward(self, feats):
        return sum(fc(f) for fc, f in zip(self.fcs, feats))


class Net(nn.Module):
    """Encoders (in the dataset's modality order) plus whatever heads a port adds."""

    def __init__(self, case, w, modalities=None):
        super().__init__()
        self.modalities = list(modalities or case["modalities"])
        self.encoders = nn.ModuleList([make_encoder(case, w, m) for m in self.modalities])

    def features(self, inputs):
        return [enc(inputs[m]) for enc, m in zip(self.encoders, self.modalities)]

    def encoder_params(self, i):
        """Named parameters of encoder i (harness names)."""
        return list(self.encoders[i].parameters())

    def running(self):
        out = {}
        for enc in self.encoders:
            if isinstance(enc, ConvBnEncoder):
                out.update(enc.named_running())
        return out
