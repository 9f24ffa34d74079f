"""Writes the training-trajectory fixtures, test/fixtures/trajectories/<example>-<run>.safetensors
(run by hand, then commit; test/train/trajectories.test.ts reads them).

The reference is PyTorch in float64 (from the same float32 weights and data), rounded to float32
at the end: a ReLU network's loss has kinks, and at batch 4 a float32 rounding difference of 1e-7
can put a unit on the other side of one, changing a gradient element by tens of percent (PyTorch's
own float32 run does this on resnet20 at step 1; the script prints how far each float32 run strays
from float64). Which way a kink flips depends on the order of each float32 sum, which differs
between any two implementations, so the script runs PyTorch in float32 several ways that sum in
different orders (its default CPU convolutions, one thread, without oneDNN, channels-last) and
records the farthest any of them strays from float64: nnc, whose products sum in float32 in yet
another order, is held to that spread, not to one draw of it.

For examples/resnet20.nn, examples/norm_zoo.nn and examples/nfnet.nn, the PyTorch twin of
scripts/torch_twins.py starts from nnc's own initial weights (`nnc init --seed 0`, so both sides
start equal), trains for STEPS steps in training mode on batches drawn from the sfc32 generator of
runtime/random.ts (so the test regenerates them instead of reading them), with cross-entropy on the
logits, and records the loss of every step and every parameter and running statistic at the end.
Runs: SGD with momentum and weight decay, Adam, and SGD with momentum under adaptive gradient
clipping (timm's adaptive_clip_grad, below) that leaves the final classifier alone. The learning
rates are small enough that training is smooth: at batch 4 on random labels, larger ones make the
loss jump from step to step, a chaotic regime where float32 rounding differences between any two
implementations grow tenfold per step and no trajectory is reproducible.

Each file holds the final tensors by nnc name, plus `trajectory.loss` [STEPS]; its metadata holds
the run's settings as JSON (`settings`), which the test passes to nnc unchanged.

Usage: /usr/bin/python3 scripts/torch_trajectories.py   (from the repository root; needs node)
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_twins import NFNet, ResNet20, nnc_names, norm_zoo  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "test", "fixtures", "trajectories")
STEPS = 20
BATCH = 4
CLASSES = 10
DATA_SEED = 1234

EXAMPLES = [("resnet20", ResNet20), ("norm_zoo", norm_zoo), ("nfnet", NFNet)]

RUNS = {
    "sgd": {"optimizer": {"name": "sgd", "lr": 0.002, "momentum": 0.9, "weightDecay": 1e-4}},
    "adam": {"optimizer": {"name": "adam", "lr": 0.0002}},
    "agc": {"optimizer": {"name": "sgd", "lr": 0.005, "momentum": 0.9}, "agc": 0.01},
}


def sfc32(seed):
    """runtime/random.ts's createRandom, number for number."""
    m = 0xFFFFFFFF
    a, b, c, d = 0x9E3779B9, 0x243F6A88, 0xB7E15162, seed & m

    def step():
        nonlocal a, b, c, d
        t = (((a + b) & m) + d) & m
        d = (d + 1) & m
        a = b ^ (b >> 9)
        b = (c + (c << 3)) & m
        c = ((c << 21) | (c >> 11)) & m
        c = (c + t) & m
        return t / 4294967296

    for _ in range(12):
        step()
    return step


def batches(shape):
    """STEPS batches: x uniform in [-1, 1) (float32), labels uniform over the classes."""
    draw = sfc32(DATA_SEED)
    size = 1
    for d in shape:
        size *= d
    out = []
    for _ in range(STEPS):
        x = torch.tensor([2 * draw() - 1 for _ in range(size)], dtype=torch.float32).reshape(shape)
        y = torch.tensor([int(draw() * CLASSES) for _ in range(shape[0])], dtype=torch.long)
        out.append((x, y))
    return out


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", name
        start, end = info["data_offsets"]
        t = torch.frombuffer(bytearray(body[start:end]), dtype=torch.float32).reshape(info["shape"])
        tensors[name] = t.clone()
    return tensors


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def adaptive_clip_grad(parameters, clip_factor, eps=1e-3, norm_type=2.0):
    """timm.utils.agc.adaptive_clip_grad (pytorch-image-models, Apache-2.0), as published."""
    def unitwise_norm(x):
        if x.ndim <= 1:
            return x.norm(norm_type)
        return x.norm(norm_type, dim=tuple(range(1, x.ndim)), keepdim=True)

    for p in parameters:
        if p.grad is None:
            continue
        p_data = p.detach()
        g_data = p.grad.detach()
        max_norm = unitwise_norm(p_data).clamp_(min=eps).mul_(clip_factor)
        grad_norm = unitwise_norm(g_data)
        clipped_grad = g_data * (max_norm / grad_norm.clamp(min=1e-6))
        new_grads = torch.where(grad_norm < max_norm, g_data, clipped_grad)
        p.grad.detach().copy_(new_grads)


def optimizer(model, settings):
    o = settings["optimizer"]
    if o["name"] == "sgd":
        return torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o.get("momentum", 0), weight_decay=o.get("weightDecay", 0))
    return torch.optim.Adam(model.parameters(), lr=o["lr"])


# The float32 runs whose spread the tests allow: each sums in a different order.
FLOAT32_VARIANTS = ["default", "one thread", "no oneDNN", "channels-last"]


def run(example, build, run_name, settings, init_path, dtype=torch.float64, variant="default"):
    """Trains one run in `dtype` (one of FLOAT32_VARIANTS); returns the losses and the final tensors by nnc name."""
    threads = torch.get_num_threads()
    if variant == "one thread":
        torch.set_num_threads(1)
    try:
        with torch.backends.mkldnn.flags(enabled=variant != "no oneDNN"):
            return train(example, build, run_name, settings, init_path, dtype, variant == "channels-last")
    finally:
        torch.set_num_threads(threads)


def train(example, build, run_name, settings, init_path, dtype, channels_last):
    torch.manual_seed(0)
    model = build()
    pairs = nnc_names(model)
    initial = read_safetensors(init_path)
    state = model.state_dict()
    for torch_name, ours in pairs:
        state[torch_name].copy_(initial[ours])
    model.to(dtype).train()
    layout = torch.channels_last if channels_last else torch.contiguous_format
    model.to(memory_format=layout)
    opt = optimizer(model, settings)
    named = dict(model.named_parameters())
    classifier = [p for name, p in named.items() if name.startswith(last_linear(model))]
    clipped = [p for p in model.parameters() if all(p is not q for q in classifier)]
    losses = []
    clips = 0
    for x, y in batches([BATCH, 3, 32, 32]):
        opt.zero_grad()
        loss = F.cross_entropy(model(x.to(dtype).contiguous(memory_format=layout)), y)
        loss.backward()
        if "agc" in settings:
            before = [p.grad.clone() for p in clipped]
            adaptive_clip_grad(clipped, settings["agc"])
            clips += sum(1 for b, p in zip(before, clipped) if not torch.equal(b, p.grad))
        opt.step()
        losses.append(loss.item())
    final = {ours: model.state_dict()[torch_name] for torch_name, ours in pairs}
    return losses, final, clips


def record(example, build, run_name, settings, init_path):
    """Writes the float64 run as the fixture, and says how far PyTorch's float32 runs stray from it."""
    losses, final, clips = run(example, build, run_name, settings, init_path)
    final["trajectory.loss"] = torch.tensor(losses, dtype=torch.float32)
    path = os.path.join(OUT, f"{example}-{run_name}.safetensors")
    # How far each float32 run ends from the float64 one, in the test's measures: the loss
    # relative to its largest value, each tensor relative to max(its largest magnitude, 1).
    scale = max(abs(v) for v in losses)
    strays = {}
    for variant in FLOAT32_VARIANTS:
        losses32, final32, _ = run(example, build, run_name, settings, init_path, torch.float32, variant)
        strays[variant] = (max(abs(a - b) for a, b in zip(losses32, losses)) / scale,
                           max((final32[k].double() - final[k].double()).abs().max().item() / max(final[k].abs().max().item(), 1.0) for k in final32))
        if variant == "default":
            first = next((i for i, (a, b) in enumerate(zip(losses32, losses)) if abs(a - b) / abs(b) > 1e-4), None)
    stray = max(loss for loss, _ in strays.values())
    tensors = max(t for _, t in strays.values())
    write_safetensors(path, final, {"settings": json.dumps(settings), "steps": str(STEPS), "batch": str(BATCH), "data_seed": str(DATA_SEED),
                                    "float32_loss_stray": repr(stray), "float32_tensor_stray": repr(tensors)})
    print(f"{example:<9} {run_name:<5} loss {losses[0]:.5f} -> {losses[-1]:.5f}; torch float32 strays up to {stray:.1e} (loss), {tensors:.1e} (tensors)"
          + (f" (the default beyond 1e-4 from step {first})" if first is not None else "")
          + "; " + ", ".join(f"{v} {l:.1e}/{t:.1e}" for v, (l, t) in strays.items())
          + (f"; AGC clipped {clips} parameter-steps" if "agc" in settings else ""))


def last_linear(model):
    """The state_dict prefix of the last nn.Linear: the final classifier, which AGC leaves alone."""
    name = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)][-1]
    return name + "."


def main():
    os.makedirs(OUT, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for example, build in EXAMPLES:
            init_path = os.path.join(tmp, example + ".safetensors")
            subprocess.run(["node", os.path.join(ROOT, "bin", "nnc.js"), "init", os.path.join(ROOT, "examples", example + ".nn"),
                            "--seed", "0", "-o", init_path], check=True)
            for run_name, settings in RUNS.items():
                record(example, build, run_name, settings, init_path)


if __name__ == "__main__":
    main()
