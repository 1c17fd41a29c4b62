"""Port of InfoReg's training step (proximal regulation in the prime learning window).

Follows ``GeWu-Lab/InfoReg_CVPR2025`` ``main.py`` at HEAD 939b2ed, as read in
shared/spec/research/baselines-pace.md sections 5.2-5.3:
- epoch start: theta0 <- deepcopy of the model; k = 1 at epoch 0, else with
  list = [0] * 10 ++ traces: tr1 = sum(list[-10:]) / 10, tr2 = sum(list[-11:-1]) / 10,
  k = (tr1 - tr2) / tr1; regulation while k > 0.05;
- per batch: out = head([a; v]), z_a = a W_a^T + b/2, z_v = v W_v^T + b/2; the gradient of
  L + L_a + L_v (three accumulated backward passes); s_m = batch sum of softmax(z_m)[y];
  s_a > s_v: beta_a = 0.95 exp(tanh(s_a - s_v)); s_a < s_v: beta_v = 0.1 exp(tanh(s_v - s_a));
  g <- g + beta_m (theta - theta0) on every parameter of encoder m; the audio trace: for each
  Conv2d/Linear of ``audio_net`` the mean of weight.grad^2, summed (the grad including the
  proximal term); ``optimizer.step()``;
- epoch end: ``scheduler.step()``; append the epoch's summed trace.
The window (10) and threshold (0.05) are hard-coded officially; the port reads them from the
case (the suite runs window 10; see tests/reference/cases.ts for the threshold).
"""

import math

import torch
import torch.nn.functional as F

from nets import ConcatFusion, Net


class Port:
    def __init__(self, case, w):
        self.p = case["params"]
        self.weights = w
        self.net = Net(case, w)
        self.fusion = ConcatFusion(w)
        self.W = int(self.p["window"])
        self.traces = []
        self.epoch_trace = 0.0
        self.k = 1.0
        self.anchor = None

    def kernels(self, i):
        names = {id(p): n for n, p in self.weights.params.items()}
        return [p for p in self.net.encoders[i].parameters()
                if self.weights.layout[names[id(p)]] in ("linear", "conv")]

    def on_epoch_end(self, epoch, batches):
        self.traces.append(self.epoch_trace)
        self.epoch_trace = 0.0

    def train_step(self, batch, at):
        if at["step"] == 0:
            self.anchor = [[p.detach().clone() for p in enc.parameters()]
                           for enc in self.net.encoders]
            if at["epoch"] == 0:
                self.k = 1.0
            else:
                lst = [0.0] * self.W + self.traces
                tr1 = sum(lst[-self.W:]) / self.W
                tr2 = sum(lst[-self.W - 1:-1]) / self.W
                self.k = (tr1 - tr2) / tr1
        gate = self.k > self.p["threshold"]
        self.net.train()
        y = batch["labels"]
        feats = self.net.features(batch["inputs"])
        out = self.fusion(feats)
        z = [self.fusion.split(feats, i) for i in range(2)]
        loss = F.cross_entropy(out, y)
        loss_a = F.cross_entropy(z[0], y)
        loss_v = F.cross_entropy(z[1], y)
        self.optimizer.zero_grad()
        loss_v.backward(retain_graph=True)
        loss_a.backward(retain_graph=True)
        loss.backward()
        with torch.no_grad():
            s = [float(F.softmax(zm, 1).gather(1, y[:, None]).sum()) for zm in z]
        beta = [0.0, 0.0]
        if s[0] > s[1] and gate:
            beta[0] = self.p["beta_strong"] * math.exp(math.tanh(s[0] - s[1]))
        elif s[0] < s[1] and gate:
            beta[1] = self.p["beta_lazy"] * math.exp(math.tanh(s[1] - s[0]))
        with torch.no_grad():
            for i, enc in enumerate(self.net.encoders):
                for p, p0 in zip(enc.parameters(), self.anchor[i]):
                    p.grad += beta[i] * (p - p0)
            fim = sum(float((p.grad ** 2).mean()) for p in self.kernels(0))
        self.epoch_trace += fim
        self.optimizer.step()
        mods = self.net.modalities
        logs = {f"beta_{mods[0]}": beta[0], f"beta_{mods[1]}": beta[1],
                "gate": 1.0 if gate else 0.0, "k": self.k, "fim": fim}
        return loss + loss_a + loss_v, logs
