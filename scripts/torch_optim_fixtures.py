"""Writes the PyTorch reference trajectories of the optimizers, clipping and learning-rate schedules,
test/fixtures/optim/*.json (run by hand, then commit; test/train/optimizers.test.ts reads them).

inputs.json holds three parameters shaped like a model's (a conv weight [4, 3, 3, 3], a dense
weight [5, 7], a bias [5], zero as biases start) and a fixed sequence of STEPS random gradients,
whose scale varies by step and by output unit so that clipping acts on some steps and units and
not on others:

    {"parameters": [{"name": ..., "shape": [...], "data": [...]}, ...],
     "gradients": [{"conv.weight": [...], ...}, ...]}        # one record per step

Each other file is one case, run by torch.optim (the single-tensor implementations, foreach=False)
from those parameters over those gradients:

    {"settings": {...},          # nnc's UpdateSettings, passed to ParameterUpdate as they are
     "skip": {"fc.bias": [0, 5]},  # steps on which that parameter has no gradient (p.grad is None)
     "lr": [...],                # the learning rate step t used (the scheduler's, read before the step)
     "parameters": [{...}, ...], # every parameter after step t
     "clipped": [{...}, ...],    # the gradients after clipping (clipping cases only)
     "state": {...}}             # the optimizer state at the end, under nnc's optim.<param>.<slot> names

Every value is a float32 written in the fewest digits that read back as the same float32.

Adaptive gradient clipping is timm's adaptive_clip_grad, copied below from
github.com/huggingface/pytorch-image-models, timm/utils/agc.py (commit aa4b585), so that this
script needs only torch.

Usage: /usr/bin/python3 scripts/torch_optim_fixtures.py
"""
import json
import math
import os
import struct
import warnings

import torch

# SequentialLR starts its second scheduler with step(0), which torch flags as deprecated.
warnings.filterwarnings("ignore", message="The epoch parameter")

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "optim")
STEPS = 25
SHAPES = [("conv.weight", [4, 3, 3, 3]), ("fc.weight", [5, 7]), ("fc.bias", [5])]


# --- timm/utils/agc.py (Ross Wightman, Apache-2.0), unchanged --------------------------------

def unitwise_norm(x, norm_type=2.0):
    if x.ndim <= 1:
        return x.norm(norm_type)
    else:
        # works for nn.ConvNd and nn,Linear where output dim is first in the kernel/weight tensor
        # might need special cases for other weights (possibly MHA) where this may not be true
        return x.norm(norm_type, dim=tuple(range(1, x.ndim)), keepdim=True)


def adaptive_clip_grad(parameters, clip_factor=0.01, eps=1e-3, norm_type=2.0):
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    for p in parameters:
        if p.grad is None:
            continue
        p_data = p.detach()
        g_data = p.grad.detach()
        max_norm = unitwise_norm(p_data, norm_type=norm_type).clamp_(min=eps).mul_(clip_factor)
        grad_norm = unitwise_norm(g_data, norm_type=norm_type)
        clipped_grad = g_data * (max_norm / grad_norm.clamp(min=1e-6))
        new_grads = torch.where(grad_norm < max_norm, g_data, clipped_grad)
        p.grad.detach().copy_(new_grads)


# --- writing ----------------------------------------------------------------------------------

def short(value):
    """The fewest significant digits that read back as the same float32."""
    target = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(6, 10):
        text = "%.*g" % (digits, target)
        if struct.unpack("f", struct.pack("f", float(text)))[0] == target:
            return text
    return repr(target)


def flat(t):
    return "[" + ",".join(short(v) for v in t.detach().reshape(-1).tolist()) + "]"


def record(tensors):
    return "{" + ",".join('"%s":%s' % (name, flat(t)) for name, t in tensors.items()) + "}"


def write(name, body):
    """`body` maps keys to JSON text already made (the float lists are written by hand to stay short)."""
    text = "{" + ",".join('"%s":%s' % (key, value) for key, value in body.items()) + "}\n"
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        f.write(text)


# --- the inputs -------------------------------------------------------------------------------

def make_inputs():
    torch.manual_seed(20240607)
    initial = {
        "conv.weight": torch.randn(4, 3, 3, 3) * 0.4,
        "fc.weight": torch.randn(5, 7) * 0.4,
        "fc.bias": torch.zeros(5),
    }
    gradients = []
    for step in range(STEPS):
        scale = 0.2 + 1.8 * torch.rand(()).item()
        step_gradients = {}
        for name, shape in SHAPES:
            # Each output unit gets its own log-uniform scale in [0.02, 2], so that AGC clips some
            # units and leaves others.
            unit = torch.exp(torch.empty(shape[0]).uniform_(math.log(0.02), math.log(2.0)))
            unit = unit.reshape([shape[0]] + [1] * (len(shape) - 1))
            step_gradients[name] = torch.randn(shape) * unit * scale
        gradients.append(step_gradients)
    parameters = ",".join(
        '{"name":"%s","shape":%s,"data":%s}' % (name, json.dumps(shape), flat(initial[name])) for name, shape in SHAPES
    )
    write("inputs", {"parameters": "[" + parameters + "]", "gradients": "[" + ",".join(record(g) for g in gradients) + "]"})
    return initial, gradients


# --- the cases --------------------------------------------------------------------------------

def optimizer_of(settings, params):
    o = settings.get("optimizer", {"name": "sgd", "lr": 0.01})
    name = o["name"]
    if name == "sgd":
        return torch.optim.SGD(
            params, lr=o.get("lr", 0.01), momentum=o.get("momentum", 0), dampening=o.get("dampening", 0),
            nesterov=o.get("nesterov", False), weight_decay=o.get("weightDecay", 0), foreach=False,
        )
    common = dict(lr=o.get("lr", 0.001), betas=tuple(o.get("betas", (0.9, 0.999))), eps=o.get("eps", 1e-8), foreach=False)
    if name == "adam":
        return torch.optim.Adam(params, weight_decay=o.get("weightDecay", 0), **common)
    return torch.optim.AdamW(params, weight_decay=o.get("weightDecay", 0.01), **common)


def scheduler_of(settings, optimizer):
    """The torch scheduler of a schedule: warm-up is LinearLR from 1/(W + 1), then the schedule, as SequentialLR."""
    s = settings.get("schedule", {"name": "constant"})
    sched = torch.optim.lr_scheduler
    warmup = s.get("warmupSteps", 0)
    if s["name"] == "constant":
        main = sched.LambdaLR(optimizer, lambda t: 1.0)
    elif s["name"] == "step":
        main = sched.StepLR(optimizer, step_size=s["stepSize"], gamma=s.get("gamma", 0.1))
    else:
        main = sched.CosineAnnealingLR(optimizer, T_max=s["totalSteps"], eta_min=s.get("minLr", 0))
    if warmup == 0:
        return main
    # Built after `main`, so the warm-up's constructor leaves the optimizer at its start factor.
    linear = sched.LinearLR(optimizer, start_factor=1 / (warmup + 1), end_factor=1.0, total_iters=warmup)
    return sched.SequentialLR(optimizer, [linear, main], milestones=[warmup])


def state_of(optimizer, params, names, steps):
    out = {"optim.step": "[%d]" % steps}
    for p, name in zip(params, names):
        for slot, value in optimizer.state.get(p, {}).items():
            if value is None:  # plain SGD keeps momentum_buffer = None
                continue
            out["optim.%s.%s" % (name, slot)] = "[%s]" % short(float(value)) if value.dim() == 0 else flat(value)
    return "{" + ",".join('"%s":%s' % item for item in out.items()) + "}"


def run_case(name, settings, initial, gradients, skip=None):
    skip = skip or {}
    names = [n for n, _ in SHAPES]
    params = [initial[n].clone().requires_grad_(True) for n in names]
    optimizer = optimizer_of(settings, params)
    scheduler = scheduler_of(settings, optimizer)
    excluded = set(settings.get("agcExclude", []))
    clips = "agc" in settings or "clipNorm" in settings
    lrs, trajectory, clipped = [], [], []
    for step in range(STEPS):
        for p, n in zip(params, names):
            p.grad = None if step in skip.get(n, []) else gradients[step][n].clone()
        present = [p for p in params if p.grad is not None]
        if "agc" in settings:
            adaptive_clip_grad([p for p, n in zip(params, names) if n not in excluded], settings["agc"])
        if "clipNorm" in settings:
            torch.nn.utils.clip_grad_norm_(present, settings["clipNorm"])
        if clips:
            clipped.append(record({n: p.grad for p, n in zip(params, names) if p.grad is not None}))
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
        trajectory.append(record(dict(zip(names, params))))
    body = {
        "settings": json.dumps(settings, separators=(",", ":")),
        "skip": json.dumps(skip, separators=(",", ":")),
        "lr": "[" + ",".join(repr(lr) for lr in lrs) + "]",
        "parameters": "[" + ",".join(trajectory) + "]",
    }
    if clips:
        body["clipped"] = "[" + ",".join(clipped) + "]"
    body["state"] = state_of(optimizer, params, names, STEPS)
    write(name, body)


def total_norms(gradients):
    return sorted(math.sqrt(sum(float(g.pow(2).sum()) for g in step.values())) for step in gradients)


def main():
    os.makedirs(OUT, exist_ok=True)
    initial, gradients = make_inputs()
    momentum = {"name": "sgd", "lr": 0.05, "momentum": 0.9}
    skipped = {"fc.bias": [0, 5, 6]}
    # The median total gradient norm: clip_grad_norm_ scales about half the steps.
    clip_norm = round(total_norms(gradients)[STEPS // 2], 2)
    cases = [
        ("sgd_plain", {"optimizer": {"name": "sgd", "lr": 0.1}}, None),
        ("sgd_momentum", {"optimizer": momentum}, None),
        ("sgd_nesterov_weight_decay", {"optimizer": {**momentum, "nesterov": True, "weightDecay": 0.05}}, None),
        ("sgd_dampening_skipped", {"optimizer": {**momentum, "dampening": 0.5}}, skipped),
        ("adam", {"optimizer": {"name": "adam", "lr": 0.01}}, None),
        ("adam_weight_decay", {"optimizer": {"name": "adam", "lr": 0.01, "weightDecay": 0.1, "betas": [0.8, 0.99], "eps": 1e-6}}, None),
        ("adam_skipped", {"optimizer": {"name": "adam", "lr": 0.01}}, skipped),
        ("adamw", {"optimizer": {"name": "adamw", "lr": 0.01}}, None),
        ("adamw_weight_decay", {"optimizer": {"name": "adamw", "lr": 0.02, "weightDecay": 0.5}}, None),
        ("clip_norm", {"optimizer": momentum, "clipNorm": clip_norm}, None),
        ("agc", {"optimizer": momentum, "agc": 0.1, "agcExclude": ["fc.weight"]}, None),
        ("agc_then_clip_norm", {"optimizer": momentum, "agc": 0.1, "agcExclude": ["fc.weight"], "clipNorm": clip_norm / 4}, None),
        ("schedule_constant_warmup", {"optimizer": momentum, "schedule": {"name": "constant", "warmupSteps": 4}}, None),
        ("schedule_step", {"optimizer": momentum, "schedule": {"name": "step", "stepSize": 7, "gamma": 0.5}}, None),
        ("schedule_step_warmup", {"optimizer": momentum, "schedule": {"name": "step", "stepSize": 6, "gamma": 0.3, "warmupSteps": 5}}, None),
        ("schedule_cosine", {"optimizer": momentum, "schedule": {"name": "cosine", "totalSteps": STEPS - 1, "minLr": 0.001}}, None),
        ("schedule_cosine_warmup_adamw", {"optimizer": {"name": "adamw", "lr": 0.01}, "schedule": {"name": "cosine", "totalSteps": 20, "warmupSteps": 5}}, None),
    ]
    for name, settings, skip in cases:
        run_case(name, settings, initial, gradients, skip)


if __name__ == "__main__":
    main()
