"""The PyTorch twin of every run of scripts/normalization_experiments.ts (docs/normalization.md).

Not run by hand: the TypeScript script writes a spec (JSON) and calls

    /usr/bin/python3 scripts/normalization_experiments.py <spec.json> <results.json>

The spec names a data file (safetensors: `x` [K, 1, 28, 28] and `y` [K], the training digits;
`x_test`, `y_test`, the held-out digits; `order` [steps·batch], the index into `x` of every
example in the order both sides train on) and the runs. A run gives the model (`small` for
experiments/normalization/small_cnn.nn, `nf` for nf_cnn.nn), its normalizer, the batch size, the
number of steps, the optimizer as nnc's settings, the AGC λ if any, when to evaluate, and a
safetensors file of nnc's initial weights, which the twin loads by nnc name, so both sides start
equal. Batch k of a run is `order[k·batch : (k+1)·batch]`.

For each run the results hold the training loss of every step (None once it is not finite: the
run stops there, as nnc's does), the held-out loss and accuracy at each evaluation (in eval mode,
so BatchNorm uses its running statistics), and for switchable normalization the softmax of each
layer's `mean_weight` and `var_weight` at the end.
"""
import json
import math
import os
import sys

import torch
from torch import nn
import torch.nn.functional as F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_trajectories import adaptive_clip_grad, optimizer, read_safetensors  # noqa: E402
from torch_twins import Names, conv, dense, nnc_names, norm  # noqa: E402


class SmallCNN(nn.Module):
    """small_cnn.nn (`ws="none"`) and nf_cnn.nn (`ws="scaled"`, kind `none`): two conv -> norm -> relu -> maxpool stages, then dense(10)."""

    def __init__(self, kind, args, ws="none"):
        super().__init__()
        n = Names()
        self.conv0 = conv(n, 1, 16, 3, pad=1, ws=ws)
        self.norm0 = norm(n, kind, 16, **dict(args))
        self.conv1 = conv(n, 16, 32, 3, pad=1, ws=ws)
        self.norm1 = norm(n, kind, 32, **dict(args))
        self.fc = dense(n, 32 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.norm0(self.conv0(x))), 2)
        x = F.max_pool2d(F.relu(self.norm1(self.conv1(x))), 2)
        return self.fc(torch.flatten(x, 1))


def build(run):
    if run["model"] == "nf":
        return SmallCNN("none", {}, ws="scaled")
    return SmallCNN(run["norm"]["kind"], run["norm"].get("args", {}))


def finite(value):
    return value if math.isfinite(value) else None


def evaluate(model, x, y):
    model.eval()
    with torch.no_grad():
        logits = model(x)
        loss = F.cross_entropy(logits, y).item()
        accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    model.train()
    return finite(loss), accuracy if math.isfinite(loss) else None


def run_one(run, data):
    torch.manual_seed(0)
    model = build(run)
    initial = read_safetensors(run["init"])
    state = model.state_dict()
    for torch_name, ours in nnc_names(model):
        state[torch_name].copy_(initial[ours])
    model.train()
    opt = optimizer(model, run["settings"])
    agc = run["settings"].get("agc")
    classifier = {id(model.fc.weight), id(model.fc.bias)}
    clipped = [p for p in model.parameters() if id(p) not in classifier]
    order = data["order"].long()
    batch = run["batch"]
    losses, evals = [], []
    for step in range(run["steps"]):
        index = order[step * batch:(step + 1) * batch]
        opt.zero_grad()
        loss = F.cross_entropy(model(data["x"][index]), data["y"][index])
        if not math.isfinite(loss.item()):
            break
        losses.append(loss.item())
        loss.backward()
        if agc is not None:
            adaptive_clip_grad(clipped, agc)
        opt.step()
        if (step + 1) % run["evalEvery"] == 0:
            held_loss, accuracy = evaluate(model, data["x_test"], data["y_test"])
            evals.append({"step": step + 1, "loss": held_loss, "accuracy": accuracy})
    losses += [None] * (run["steps"] - len(losses))
    result = {"loss": losses, "evals": evals}
    if run.get("norm", {}).get("kind") == "switchable":
        result["switchable"] = {
            name: {"mean": torch.softmax(m.mean_weight.detach(), 0).tolist(), "var": torch.softmax(m.var_weight.detach(), 0).tolist()}
            for name, m in ((m.nnc_name, m) for m in (model.norm0, model.norm1))
        }
    return result


def main():
    spec_path, out_path = sys.argv[1], sys.argv[2]
    torch.set_num_threads(1)  # the nnc side trains at the same time on the other core
    with open(spec_path) as f:
        spec = json.load(f)
    raw = read_safetensors(spec["data"])
    data = {key: raw[key] for key in ("x", "x_test", "order")}
    data["y"] = raw["y"].long()
    data["y_test"] = raw["y_test"].long()
    results = {}
    for run in spec["runs"]:
        results[run["id"]] = run_one(run, data)
        last = [v for v in results[run["id"]]["loss"] if v is not None]
        print(f"torch {run['id']:<24} final loss {last[-1] if last else float('nan'):.4f}", flush=True)
    with open(out_path, "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
