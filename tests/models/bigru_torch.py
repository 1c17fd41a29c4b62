"""PyTorch's side of tests/models/bigru_torch_test.ts.

Reads one case (JSON: the Bi-GRU's weights in the TypeScript layout, a padded batch, its
sequence lengths and the loss weights), runs PyTorch's own bidirectional `nn.GRU` on the
packed sequences in float64, averages the two directions per step, mean-pools over each
sequence's valid steps, and writes the features and the gradients of sum(features * weights)
with respect to the eight parameters, in the TypeScript layout ([in, 3H] kernels).

Usage: python3 bigru_torch.py IN.json OUT.json
"""
import json
import sys

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# PyTorch's parameter suffix for each of our directions.
SUFFIX = {"forward": "_l0", "backward": "_l0_reverse"}
# Our parameter name -> PyTorch's prefix and whether the layouts are transposed.
PARAMS = {"w_ih": ("weight_ih", True), "w_hh": ("weight_hh", True),
          "b_ih": ("bias_ih", False), "b_hh": ("bias_hh", False)}


def run(case):
    hidden, in_dim = case["hidden"], case["in"]
    gru = torch.nn.GRU(in_dim, hidden, batch_first=True, bidirectional=True).double()
    with torch.no_grad():
        for direction, suffix in SUFFIX.items():
            for ours, (theirs, transposed) in PARAMS.items():
                value = torch.tensor(case["params"][f"{direction}.{ours}"], dtype=torch.float64)
                getattr(gru, theirs + suffix).copy_(value.T if transposed else value)
    x = torch.tensor(case["x"], dtype=torch.float64)
    lengths = torch.tensor(case["lengths"])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, _ = gru(packed)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    per_step = (out[..., :hidden] + out[..., hidden:]) / 2  # zero on padded steps
    features = per_step.sum(1) / lengths[:, None].double()
    (features * torch.tensor(case["weights"], dtype=torch.float64)).sum().backward()
    grads = {}
    for direction, suffix in SUFFIX.items():
        for ours, (theirs, transposed) in PARAMS.items():
            g = getattr(gru, theirs + suffix).grad
            grads[f"{direction}.{ours}"] = (g.T if transposed else g).tolist()
    return {"features": features.tolist(), "grads": grads}


def main():
    with open(sys.argv[1]) as f:
        case = json.load(f)
    with open(sys.argv[2], "w") as f:
        json.dump(run(case), f)


if __name__ == "__main__":
    main()
