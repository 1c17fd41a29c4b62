#!/usr/bin/python3
"""PyTorch reference for `deno task bench --compare`.

Builds the same architectures, batch sizes, input sizes and optimizer as bench/cases.ts
(SGD lr 0.01, momentum 0.9, weight decay 1e-4, PyTorch semantics) and prints one JSON line
per model: {"model", "threads", "batch", "params", "median_ms", "min_ms", "steps"}.

Run with Debian's interpreter, which sees Debian's python3-torch:

    apt-get install -y python3-torch libopenblas0-pthread
    /usr/bin/python3 bench/torch_reference.py --threads 1 --models mlp-concat,resnet18

The timing loop matches the TypeScript bench (bench/worker.ts): warm-up steps (at least
--warmup and at least 1 s), then at least --steps timed steps and at least 1 s of them
(stopping early after --max-s seconds once 3 are timed), median reported. Each step ends with
`loss.item()` (the TypeScript bench reads its loss back too).
"""

import argparse
import json
import math
import statistics
import sys
import time

import resource
import torch
import torch.nn as nn
import torch.nn.functional as F

LR = 0.01
SGD = dict(lr=LR, momentum=0.9, weight_decay=1e-4)


# ---------------------------------------------------------------- quick-profile MLP model

class Mlp(nn.Module):
    """MLP encoder: Linear + ReLU after every layer (64-128-64)."""

    def __init__(self, dims):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x):
        for layer in self.layers:
            x = F.relu(layer(x))
        return x


class ConcatFusion(nn.Module):
    """Two MLP encoders + one Linear over the concatenated features (split logits)."""

    def __init__(self, in_dim=64, hidden=128, feat=64, classes=6):
        super().__init__()
        self.audio = Mlp([in_dim, hidden, feat])
        self.visual = Mlp([in_dim, hidden, feat])
        self.fc = nn.Linear(2 * feat, classes)
        self.feat = feat

    def forward(self, a, v):
        fa, fv = self.audio(a), self.visual(v)
        z = self.fc(torch.cat([fa, fv], 1))
        w, b = self.fc.weight, self.fc.bias
        ga = fa @ w[:, : self.feat].t() + b / 2
        gv = fv @ w[:, self.feat:].t() + b / 2
        return z, {"audio": ga, "visual": gv}


def rho(logits, y):
    return F.softmax(logits, 1).gather(1, y[:, None]).sum()


class MethodCase:
    """One step of the `concat` or `ibml` method on the 1200-sample crema-d stand-in size,
    including the trainer's per-step metrics (correct count, discrepancy ratio)."""

    def __init__(self, method, batch=64, n_train=1200, classes=6, lam=10.0):
        g = torch.Generator().manual_seed(0)
        self.method, self.batch, self.classes, self.lam = method, batch, classes, lam
        self.model = ConcatFusion(classes=classes)
        self.opt = torch.optim.SGD(self.model.parameters(), **SGD)
        self.data = {m: torch.randn(n_train, 64, generator=g) for m in ("audio", "visual")}
        self.labels = torch.randint(0, classes, (n_train,), generator=g)
        self.records = {m: F.softmax(torch.randn(n_train, classes, generator=g), 1)
                        for m in ("audio", "visual")}
        self.order = torch.randperm(n_train, generator=g)
        self.n_train = n_train
        self.it = 0
        self.sums = torch.zeros(())

    def params(self):
        return sum(p.numel() for p in self.model.parameters())

    def step(self):
        steps = math.ceil(self.n_train / self.batch)
        s = self.it % steps
        self.it += 1
        idx = self.order[s * self.batch:(s + 1) * self.batch]
        x = {m: t.index_select(0, idx) for m, t in self.data.items()}
        y = self.labels.index_select(0, idx)
        if self.method == "ibml":
            onehot = F.one_hot(y, self.classes).float()
            rhos, correct = {}, {}
            for m in x:
                ref = self.records[m].index_select(0, idx)
                rhos[m] = (ref * onehot).sum()
                correct[m] = (ref.argmax(1) == y).float()
            total = sum(rhos.values())
            a = {m: rhos[m] * len(x) / total for m in x}
            noised = {}
            for m in list(x):  # TCM
                t = x[m]
                std = t.std()
                field = torch.randn(t.shape[1:]) * std
                u = torch.rand(t.shape[0])
                p = torch.clamp(a[m], max=self.lam) / self.lam
                mask = correct[m] * (u < p).float() * (a[m] > 1).float()
                noised[m] = mask.mean()
                x[m] = t + mask[:, None] * field
        z, uni = self.model(x["audio"], x["visual"])
        loss = F.cross_entropy(z, y)
        if self.method == "ibml":
            for m in uni:
                loss = loss + (a[m] < 1).float() * F.cross_entropy(uni[m], y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        with torch.no_grad():
            if self.method == "ibml":
                for m in uni:
                    self.records[m][idx] = F.softmax(uni[m], 1)
            c = (z.argmax(1) == y).float().sum()
            ratio = rho(uni["audio"], y) / rho(uni["visual"], y)
            self.sums = self.sums + loss.detach() * y.shape[0] + c + ratio
            if self.method == "ibml":  # the per-step logs the trainer sums (a_m, bio_m, noised_m)
                for m in uni:
                    self.sums = self.sums + a[m] + (a[m] < 1).float() + noised[m]
        return loss.item()


# ---------------------------------------------------------------- paper backbones

class ImgFC(nn.Module):
    """3D MNIST Img_FC (official backbone_2D3D.py; the unused fc2 left out)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 96, 3, padding=1)
        self.conv2 = nn.Conv2d(96, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 512)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return F.relu(self.fc1(torch.flatten(x, 1)))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                      nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.down(x) if self.down is not None else x))


class ResNet18(nn.Module):
    """OGM-GE/IBML backbone_AV ResNet18 trunk (no fc), global average pooling to 512."""

    def __init__(self, in_ch=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        blocks, cin = [], 64
        for stage, width in enumerate([64, 128, 256, 512]):
            for b in range(2):
                blocks.append(BasicBlock(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        return self.blocks(x).mean((2, 3))


def knn(x, k):
    """Indices [B, N, k] of the k nearest points (the point itself included), x [B, N, C]."""
    inner = torch.matmul(x, x.transpose(1, 2))
    sq = (x ** 2).sum(-1, keepdim=True)
    return (2 * inner - sq - sq.transpose(1, 2)).topk(k=k, dim=-1)[1]


class EdgeConv(nn.Module):
    """EdgeConv with the official Conv2d(2C, out, 1, bias=False) weight, computed as the
    TypeScript model does: W [x_j - x_i; x_i] = W1 x_j + (W2 - W1) x_i, the per-point
    products gathered for the k neighbours (the same numbers as convolving the
    [B, 2C, N, k] edge tensor, k times fewer multiplications)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(2 * cin, cout, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.cin, self.cout = cin, cout

    def forward(self, x, k):  # x [B, N, C] -> [B, N, out]
        b, n, c = x.shape
        with torch.no_grad():
            idx = (knn(x, k) + torch.arange(b)[:, None, None] * n).view(-1)
        w = self.conv.weight.view(self.cout, 2 * c)
        w1, w2 = w[:, :c], w[:, c:]
        p = (x @ w1.t()).reshape(b * n, self.cout)
        q = x @ (w2 - w1).t()
        e = p[idx].view(b, n, k, self.cout) + q[:, :, None, :]
        e = F.leaky_relu(self.bn(e.permute(0, 3, 1, 2)), 0.2)  # [B, out, N, k]
        return e.max(dim=-1)[0].transpose(1, 2)


class DGCNN(nn.Module):
    """The IBML DGCNN variant (k 20, emb 512, output 512)."""

    def __init__(self, k=20, emb=512, out=512):
        super().__init__()
        self.k = k
        self.convs = nn.ModuleList([EdgeConv(3, 64), EdgeConv(64, 64), EdgeConv(64, 128),
                                    EdgeConv(128, 256)])
        self.conv5 = nn.Conv1d(512, emb, 1, bias=False)
        self.bn5 = nn.BatchNorm1d(emb)
        self.linear1 = nn.Linear(2 * emb, 512, bias=False)
        self.bn6 = nn.BatchNorm1d(512)
        self.dp1 = nn.Dropout(0.2)
        self.linear2 = nn.Linear(512, 256)
        self.bn7 = nn.BatchNorm1d(256)
        self.dp2 = nn.Dropout(0.2)
        self.linear3 = nn.Linear(256, out)

    def forward(self, x):  # x [B, N, 3]
        outs = []
        for conv in self.convs:
            x = conv(x, self.k)
            outs.append(x)
        x = torch.cat(outs, 2).transpose(1, 2)  # [B, 512, N]
        x = F.leaky_relu(self.bn5(self.conv5(x)), 0.2)
        x = torch.cat((x.max(-1)[0], x.mean(-1)), 1)
        x = self.dp1(F.leaky_relu(self.bn6(self.linear1(x)), 0.2))
        x = self.dp2(F.leaky_relu(self.bn7(self.linear2(x)), 0.2))
        return self.linear3(x)


class BiGRU(nn.Module):
    """Bi-GRU text encoder: directions averaged per step, mean over the (all valid) steps."""

    def __init__(self, emb=300, hidden=512):
        super().__init__()
        self.gru = nn.GRU(emb, hidden, batch_first=True, bidirectional=True)
        self.hidden = hidden

    def forward(self, x):
        out, _ = self.gru(x)
        out = (out[..., : self.hidden] + out[..., self.hidden:]) / 2
        return out.mean(1)


class BackboneCase:
    """Encoder + Linear head + cross-entropy + SGD on one fixed batch."""

    def __init__(self, encoder, classes, x):
        g = torch.Generator().manual_seed(1)
        self.model = nn.Sequential(encoder, nn.Linear(512, classes))
        self.model.train()
        self.opt = torch.optim.SGD(self.model.parameters(), **SGD)
        self.x = x
        self.y = torch.randint(0, classes, (x.shape[0],), generator=g)

    def params(self):
        return sum(p.numel() for p in self.model.parameters())

    def step(self):
        loss = F.cross_entropy(self.model(self.x), self.y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return loss.item()


class CremaD(nn.Module):
    """Paper-profile CREMA-D model: audio ResNet18 (1 ch) + visual ResNet18 (3 ch) over T
    frames (features averaged over T), concatenated into a 1024-6 head (concat fusion)."""

    def __init__(self, classes=6):
        super().__init__()
        self.audio, self.visual = ResNet18(1), ResNet18(3)
        self.head = nn.Linear(1024, classes)

    def forward(self, x):
        a, v = x
        b, t = v.shape[:2]
        fv = self.visual(v.flatten(0, 1)).view(b, t, -1).mean(1)
        return self.head(torch.cat([self.audio(a), fv], 1))


class MultiView(nn.Module):
    """ModelNet40 multi-view encoder: shared ResNet18 trunk -> Linear 512-512 -> BN1d -> ReLU
    per view (each view its own batch), mean over the views."""

    def __init__(self):
        super().__init__()
        self.trunk = ResNet18(3)
        self.fc = nn.Linear(512, 512)
        self.bn = nn.BatchNorm1d(512)

    def forward(self, x):  # x [B, V, 3, H, W]
        views = [F.relu(self.bn(self.fc(self.trunk(x[:, i])))) for i in range(x.shape[1])]
        return torch.stack(views, 0).mean(0)


class TupleCase(BackboneCase):
    """A model that takes its own head and a tuple input (the CREMA-D step)."""

    def __init__(self, model, classes, x, batch):
        g = torch.Generator().manual_seed(1)
        self.model = model
        self.model.train()
        self.opt = torch.optim.SGD(self.model.parameters(), **SGD)
        self.x = x
        self.y = torch.randint(0, classes, (batch,), generator=g)


def make_case(name):
    g = torch.Generator().manual_seed(2)
    if name in ("mlp-concat", "mlp-ibml"):
        return MethodCase(name[4:]), 64
    if name == "cnn":
        return BackboneCase(ImgFC(), 10, torch.randn(32, 3, 30, 30, generator=g)), 32
    if name == "resnet18":
        return BackboneCase(ResNet18(1), 6, torch.randn(64, 1, 257, 188, generator=g)), 64
    if name == "crema-d":
        x = (torch.randn(64, 1, 257, 188, generator=g), torch.randn(64, 3, 3, 224, 224, generator=g))
        return TupleCase(CremaD(), 6, x, 64), 64
    if name == "dgcnn":
        return BackboneCase(DGCNN(), 40, torch.randn(32, 1024, 3, generator=g)), 32
    if name == "multiview":
        return BackboneCase(MultiView(), 40, torch.randn(32, 4, 3, 112, 112, generator=g)), 32
    if name == "bigru":
        return BackboneCase(BiGRU(), 3, torch.randn(64, 32, 300, generator=g)), 64
    raise SystemExit(f"unknown model '{name}'")


MODELS = ["mlp-concat", "mlp-ibml", "cnn", "resnet18", "crema-d", "dgcnn", "multiview", "bigru"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--max-s", type=float, default=30.0)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (backbone cases only)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    for name in args.models.split(","):
        case, batch = make_case(name)
        if args.device != "cpu":
            if not isinstance(case, BackboneCase):
                raise SystemExit(f"--device {args.device}: only the backbone cases move to a device")
            dev = torch.device(args.device)
            case.model.to(dev)
            case.x = tuple(t.to(dev) for t in case.x) if isinstance(case.x, tuple) else case.x.to(dev)
            case.y = case.y.to(dev)
            case.opt = torch.optim.SGD(case.model.parameters(), **SGD)
        # Same protocol as bench/worker.ts: warm-up >= --warmup steps and >= 1 s; timed
        # >= --steps steps and >= 1 s (at most 1000), stopping after --max-s once 3 are timed.
        w0 = time.perf_counter()
        i = 0
        while i < args.warmup or (time.perf_counter() - w0 < 1.0 and i < 500):
            case.step()
            i += 1
        times = []
        start = time.perf_counter()
        while True:
            elapsed = time.perf_counter() - start
            if len(times) >= 3 and elapsed > args.max_s:
                break
            if len(times) >= args.steps and (elapsed > 1.0 or len(times) >= 1000):
                break
            t = time.perf_counter()
            case.step()
            times.append((time.perf_counter() - t) * 1000)
        print(json.dumps({
            "model": name, "threads": torch.get_num_threads(), "batch": batch,
            "params": case.params(), "median_ms": statistics.median(times),
            "device": args.device,
            "min_ms": min(times), "steps": len(times), "torch": torch.__version__,
            # Peak RSS of this process so far: exact per model when bench/main.ts runs one
            # model per process (it does).
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }), flush=True)


if __name__ == "__main__":
    sys.exit(main())
