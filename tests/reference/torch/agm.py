"""Port of AGM's training step (adaptive gradient modulation with Shapley contributions).

Follows ``lihong2303/AGM`` ``model/CREMAD_net.py`` (``GradMod``) and ``run/CREMAD_main.py``
(``train``), as read in shared/spec/research/baselines-pace.md sections 4.1-4.2:
- ``GradMod.forward``: T = f(a, v) in the current (train) mode; ``net.eval()``;
  Pv = f(a, 0), Pa = f(0, v) with gradient (running BN statistics); ``net.train()``;
  m_a = (T - Pa + Pv) / 2, m_v = (T - Pv + Pa) / 2, each through an identity whose backward
  hook multiplies the gradient by ``scale_a`` / ``scale_v``; out = m_a + m_v;
- ``train``: iteration t (1-based, global); S_m = mean CE of m_m with terms capped at
  -log 1e-8; r_a = exp(S_v - S_a), r*_a = exp(S^_v - S^_a) from the running means;
  k_a = exp(alpha min(r*_a - r_a, 10)) (likewise v); S^_m <- S^_m (t-1)/t + S_m/t; inside
  the window the hook scales become k (outside they keep their last values); backward;
  if any |fc_out.weight.grad| > 1: ``clip_grad_norm_(all, 1.0)``; ``optimizer.step()``.
The window is compared with the harness's 0-based epoch (docs/methods.md: 0-100 inclusive,
the author's "always on"); the threshold, norm, alpha and cap come from the case.
"""

import math

import torch
import torch.nn.functional as F

from nets import ConcatFusion, Net


class Port:
    def __init__(self, case, w):
        self.p = case["params"]
        self.net = Net(case, w)
        self.fusion = ConcatFusion(w)
        self.mods = self.net.modalities
        self.running = [0.0, 0.0]
        self.scales = [1.0, 1.0]

    def f(self, inputs):
        return self.fusion(self.net.features(inputs))

    def contributions(self, inputs):
        a, v = self.mods
        T = self.f(inputs)
        self.net.eval()
        Pv = self.f({a: inputs[a], v: torch.zeros_like(inputs[v])})
        Pa = self.f({a: torch.zeros_like(inputs[a]), v: inputs[v]})
        self.net.train()
        m_a = 0.5 * (T - Pa + Pv)
        m_v = 0.5 * (T - Pv + Pa)
        return T, [m_a, m_v]

    def train_step(self, batch, at):
        self.net.train()
        y = batch["labels"]
        t = at["iteration"] + 1
        T, m = self.contributions(batch["inputs"])
        scales = self.scales  # read by the hooks at backward time
        hooked = [mm.clone() for mm in m]
        for i, h in enumerate(hooked):
            h.register_hook(lambda g, i=i: g * scales[i])
        out = hooked[0] + hooked[1]
        loss = F.cross_entropy(out, y)
        with torch.no_grad():
            cap_term = -math.log(1e-8)
            S = [float(torch.clamp(-F.log_softmax(mm, 1).gather(1, y[:, None]), max=cap_term).mean())
                 for mm in m]
        alpha, cap = self.p["alpha"], self.p["cap"]
        r = [math.exp(S[1] - S[0]), math.exp(S[0] - S[1])]
        rs = [math.exp(self.running[1] - self.running[0]),
              math.exp(self.running[0] - self.running[1])]
        k = [math.exp(alpha * min(rs[i] - r[i], cap)) for i in range(2)]
        self.running = [self.running[i] * (t - 1) / t + S[i] / t for i in range(2)]
        active = self.p["window_start"] <= at["epoch"] <= self.p["window_end"]
        if active:
            scales[0], scales[1] = k[0], k[1]
        self.optimizer.zero_grad()
        loss.backward()
        clipped = 0.0
        if (self.fusion.fc_out.weight.grad.abs() > self.p["clip_threshold"]).any():
            torch.nn.utils.clip_grad_norm_(self.optimizer.param_groups[0]["params"],
                                           self.p["clip_norm"])
            clipped = 1.0
        self.optimizer.step()
        logs = {"clipped": clipped}
        for i, mname in enumerate(self.mods):
            logs[f"k_{mname}"] = k[i]
            logs[f"scale_{mname}"] = scales[i]
            logs[f"loss_{mname}"] = S[i]
            logs[f"running_{mname}"] = self.running[i]
        return loss, logs
