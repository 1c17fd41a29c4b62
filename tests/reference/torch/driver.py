"""Shared driver of the step-equivalence ports.

Usage: ``python3 driver.py IN.json OUT.json``. IN holds the cases the TypeScript side
recorded (tests/reference/step_case.ts): initial weights, the training split, each step's
batch positions and random draws, the dropout masks and the epoch-end batches. For each
case the driver imports the port of its method (``<method>.py`` with ``-`` and ``+`` as
``_``), replays the same steps with ``torch.optim.SGD`` (momentum, weight decay as the
official scripts), the port's own scheduler and its own training step, and writes per step:
the lr, the loss, the port's logged quantities, every parameter (harness layout) and every
BatchNorm running statistic.

A port module defines ``Port(case, weights)`` with ``train_step(batch, at) -> (loss, logs)``
and optionally ``make_scheduler(optimizer)``, ``on_train_start(batches)``,
``on_epoch_end(epoch, batches)`` and ``parameters()`` (default: every exported parameter).
"""

import importlib
import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # no __pycache__ in the working tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from nets import Weights, tensor  # noqa: E402


class Data:
    """The recorded training split; batches by split position."""

    def __init__(self, case):
        self.inputs = {m: tensor(w) for m, w in case["data"]["inputs"].items()}
        self.labels = torch.tensor(case["data"]["labels"], dtype=torch.long)

    def batch(self, indices):
        idx = torch.tensor(indices, dtype=torch.long)
        return {
            "inputs": {m: x[idx] for m, x in self.inputs.items()},
            "labels": self.labels[idx],
            "indices": idx,
        }


class StepLRAtEnd:
    """The harness protocol's scheduler as the OGM-GE scripts use it: StepLR stepped after
    every epoch (``OGM-GE:main.py#L246-247``)."""

    at_start = False

    def __init__(self, optimizer, case):
        t = case["train"]
        self.s = torch.optim.lr_scheduler.StepLR(optimizer, t["lr_step"], t["lr_gamma"])

    def step(self):
        self.s.step()


def run_case(case):
    torch.manual_seed(0)
    name = case["method"].replace("-", "_").replace("+", "_")
    port_mod = importlib.import_module(name)
    w = Weights(case["init"])
    port = port_mod.Port(case, w)
    t = case["train"]
    params = port.parameters() if hasattr(port, "parameters") else list(w.params.values())
    # Methods whose official scripts use another absolute lr than the protocol base carry it
    # as ``lr_scale`` (e.g. InfoReg, DGL, MMPareto: 2e-3 over the paper's 1e-3 base).
    # IBML's schedule has an absolute base (``base_lr``, the official 1e-3).
    if "base_lr" in case["params"]:
        lr0 = float(case["params"]["base_lr"])
    else:
        lr0 = t["lr"] * float(case["params"].get("lr_scale", 1))
    opt = torch.optim.SGD(params, lr=lr0, momentum=t["momentum"],
                          weight_decay=t["weight_decay"])
    port.optimizer = opt
    sched = port.make_scheduler(opt) if hasattr(port, "make_scheduler") else StepLRAtEnd(opt, case)
    data = Data(case)
    events = {e["epoch"]: [data.batch(b) for b in e["batches"]] for e in case["epoch_end"]}
    if hasattr(port, "on_train_start"):
        port.on_train_start(events.get(-1))
    elif -1 in events:
        raise RuntimeError("the harness ran a before-training hook the port does not have")
    steps = case["steps"]
    out = []
    for i, st in enumerate(steps):
        epoch = st["epoch"]
        if st["step"] == 0 and sched is not None and getattr(sched, "at_start", False):
            sched.step()
        at = {
            "epoch": epoch,
            "step": st["step"],
            "iteration": epoch * t["steps_per_epoch"] + st["step"],
            "lr": opt.param_groups[0]["lr"],
            "draws": {d["key"]: tensor(d) for d in st["draws"]},
        }
        batch = data.batch(st["indices"])
        loss, logs = port.train_step(batch, at)
        out.append({
            "lr": at["lr"],
            "loss": float(loss),
            "logs": {k: float(v) for k, v in logs.items()},
            "params": {n: w.export(n, p) for n, p in w.params.items()},
            "buffers": {n: b.detach().reshape(-1).tolist() for n, b in port.net.running().items()},
        })
        last_of_epoch = i + 1 == len(steps) or steps[i + 1]["epoch"] != epoch
        if last_of_epoch:
            if hasattr(port, "on_epoch_end"):
                port.on_epoch_end(epoch, events.get(epoch))
            elif epoch in events:
                raise RuntimeError(f"the harness ran an epoch-end hook after epoch {epoch} "
                                   "the port does not have")
            if sched is not None and not getattr(sched, "at_start", False):
                sched.step()
    return {"steps": out}


def main():
    torch.set_num_threads(1)
    # The ports run in float64 on the harness's float32 inputs (weights, data, draws): the
    # reference is the exact official update, so the comparison measures the harness's own
    # float32 error, not the sum of two float32 errors (which ill-conditioned quantities such
    # as a cosine of nearly orthogonal gradients amplify). STEP_EQ_FLOAT32=1 runs them in
    # float32 instead, for diagnosis.
    if os.environ.get("STEP_EQ_FLOAT32") != "1":
        torch.set_default_dtype(torch.float64)
    cases = json.load(open(sys.argv[1]))
    results = {}
    for case in cases:
        try:
            results[case["id"]] = run_case(case)
        except Exception as e:  # reported per case by the TypeScript side
            import traceback
            results[case["id"]] = {"error": f"{type(e).__name__}: {e}",
                                   "trace": traceback.format_exc()}
    json.dump(results, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
