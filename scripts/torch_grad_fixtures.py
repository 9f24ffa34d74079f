"""Writes the PyTorch autograd fixtures of every layer's gradient, test/fixtures/grad/<case>.json
(run by hand, then commit; test/train/torch-gradients.test.ts reads them).

A case is a tiny model in the nnc language and its PyTorch twin, with random, non-trivial
parameters (γ ≠ 1, β ≠ 0, running statistics ≠ 0/1, switchable weights non-uniform, FRN's τ
above some responses). The twin runs one step in training mode (batch statistics), then

- a seeded case calls `y.backward(seed)` with a random seed gradient, which is what nnc's
  `seededGradients` graph computes;
- a loss case takes the loss of nnc's training step (`trainingGraph`): cross-entropy on the
  logits (with optional label smoothing; for a model ending in softmax or log_softmax, on the
  logits before that layer, i.e. the NLL of its probabilities) or mean squared error on the
  output, and calls `loss.backward()`.

Each file holds one case:

    {"case": "conv_stride2_pad1", "source": "model M(x: [N, 3, 6, 6]) {...}",
     "inputs": {"x": T}, "params": {"conv0.weight": T, ...},      # every parameter and buffer, nnc names
     "seed": T,                                                 # seeded cases
     "loss": {"loss": "cross_entropy", "labelSmoothing": 0.1, "target": T, "value": T},  # loss cases
     "output": T, "gradients": {"x": T, "conv0.weight": T, ...},  # model inputs and learnable parameters
     "running": {"batch0.running_mean": T, ...},                # running statistics after the step
     "float32_deviation": 3e-7}

where T is {"shape": [...], "data": [...]}. Every value is a float32 written as float(x), which is
exact, so the TypeScript side reads back the very same float32.

The reference is computed in float64 from those float32 values and rounded once to float32, so
that it carries no float32 rounding of its own; the same step in float32 must agree with it
within 1e-5 of each tensor's largest magnitude (recorded as `float32_deviation`), which also
shows that no case sits so near a kink, a tie or a clip bound that rounding could move it.
Inputs of the layers whose gradient has kinks (relu, leaky_relu, elu, relu6, hardtanh, clamp,
hardswish, hardsigmoid, prelu) or ties (maxpool, global_maxpool, maxout) come from a 1×1 conv on
a coarse grid, whose outputs are exact in any precision, so that some land exactly on the kinks
(0, 6, ±1, ±3) and some windows tie; the script checks that they do. At a kink each activation
takes PyTorch's derivative there (clamp's gradient passes on both bounds, hardtanh's and
relu6's on neither). At a tie, maxpool's gradient goes to the first maximum of the window in row-major
order (`nn.MaxPool2d`), while global_maxpool and maxout, whose twins are `amax` as in the forward
fixtures (scripts/torch_op_fixtures.py), share it evenly among the tied maxima. Hardswish's +3 is
left out: PyTorch's own gradient there is 1.5 in its scalar loop and 1 in its vectorized one.

Usage: /usr/bin/python3 scripts/torch_grad_fixtures.py
"""
import copy
import json
import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F
from torch import nn

sys.dont_write_bytecode = True  # importing torch_nn must not leave a __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_nn import (  # noqa: E402
    BatchRenorm,
    Scale,
    ChannelNorm2d,
    FilterResponseNorm,
    ScaledStandardizedConv2d,
    ScaledStandardizedLinear,
    StandardizedConv2d,
    StandardizedLinear,
    SwitchableNorm,
)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "grad")

# The float32 twin must agree with the float64 reference within this share of each tensor's scale.
FLOAT32_AGREEMENT = 1e-5
# Every reference tensor must reach this magnitude, so that the test's absolute floor never decides.
SMALLEST_SCALE = 1e-3


# --- cases ----------------------------------------------------------------------------------------

class Case:
    """One model: its nnc source, its twin's layers by nnc path, and the twin's forward.

    `forward(L, *inputs)` computes the output from the ModuleDict `L` of the named layers;
    `tune(state, inputs)` may overwrite the random parameters (by nnc name) and inputs;
    `check(L, inputs)` asserts what the case is there for (kinks hit, ties, clipping); `loss`
    makes it a loss case; `steps` are a chain's steps (a loss case's last layer may be softmax).
    """

    def __init__(self, name, source, inputs, layers, forward, tune=None, loss=None, check=None, steps=()):
        self.name, self.source, self.inputs = name, source, inputs
        self.layers, self.forward, self.tune = layers, forward, tune
        self.loss, self.check, self.steps = loss, check, steps


def model(inputs, body):
    """The source of `model M(<inputs>) { <body> }`; `inputs` maps names to shapes after N."""
    signature = ", ".join(f"{name}: [N, {', '.join(map(str, shape[1:]))}]" for name, shape in inputs.items())
    lines = body.strip().split("\n")
    return "model M(" + signature + ") {\n" + "".join(f"  {line.strip()}\n" for line in lines) + "}\n"


def chain(*steps):
    """A forward that applies each step in turn: a path of `L`, or a parameterless callable."""
    def forward(L, x):
        for step in steps:
            x = L[step](x) if isinstance(step, str) else step(x)
        return x
    return forward


def pipeline_case(name, shape, pipeline, layers, steps, **options):
    """The common case: one input `x` of `shape`, `return x -> <pipeline>`, a chain twin of `steps`."""
    return Case(name, model({"x": shape}, f"return x -> {pipeline}"), {"x": shape}, layers, chain(*steps),
                steps=steps, **options)


def padded(path, pads):
    """The conv at `path` after explicit [top, left, bottom, right] zero padding."""
    top, left, bottom, right = pads
    return lambda L, x: L[path](F.pad(x, (left, right, top, bottom)))


def conv(cin, cout, kernel, stride=1, pad=0, dilation=1, groups=1, bias=True, ws="none"):
    """The twin of `conv(cout, kernel, ...)` on `cin` channels (symmetric padding only)."""
    cls = {"none": nn.Conv2d, "standard": StandardizedConv2d, "scaled": ScaledStandardizedConv2d}[ws]
    return cls(cin, cout, kernel, stride=stride, padding=pad, dilation=dilation, groups=groups, bias=bias)


def dense(fin, fout, bias=True, ws="none"):
    """The twin of `dense(fout, bias:, ws:)` on `fin` features."""
    cls = {"none": nn.Linear, "standard": StandardizedLinear, "scaled": ScaledStandardizedLinear}[ws]
    return cls(fin, fout, bias=bias)


def conv_cases():
    s5, s6 = [2, 3, 5, 5], [2, 3, 6, 6]
    specs = [
        # name, input, nnc call, twin conv, explicit pads for the twin (asymmetric) or None
        ("conv_basic", s5, "conv(4, 3, pad: 1)", conv(3, 4, 3, pad=1), None),
        ("conv_stride2_pad1", s6, "conv(4, 3, stride: 2, pad: 1)", conv(3, 4, 3, stride=2, pad=1), None),
        ("conv_dilation2", s6, "conv(4, 3, pad: 2, dilation: 2)", conv(3, 4, 3, pad=2, dilation=2), None),
        ("conv_groups2", [2, 4, 5, 5], "conv(6, 3, pad: 1, groups: 2)", conv(4, 6, 3, pad=1, groups=2), None),
        ("conv_depthwise", [2, 4, 5, 5], "conv(4, 3, pad: 1, groups: 4)", conv(4, 4, 3, pad=1, groups=4), None),
        ("conv_depthwise_multiplier2_stride2", [2, 4, 6, 6], "conv(8, 3, stride: 2, groups: 4)",
         conv(4, 8, 3, stride=2, groups=4), None),
        ("conv_pair_kernel_stride_pad", s6, "conv(4, (3, 1), stride: (2, 1), pad: (1, 0))",
         conv(3, 4, (3, 1), stride=(2, 1), pad=(1, 0)), None),
        ("conv_same_stride2", s6, "conv(4, 3, stride: 2, pad: same)", conv(3, 4, 3, stride=2), [0, 0, 1, 1]),
        ("conv_same_kernel_2x4", s5, "conv(4, (2, 4), pad: same)", conv(3, 4, (2, 4)), [0, 1, 1, 2]),
        ("conv_same_dilation2", s5, "conv(4, 3, pad: same, dilation: 2)", conv(3, 4, 3, dilation=2), [2, 2, 2, 2]),
        ("conv_no_bias", s5, "conv(4, 3, bias: false)", conv(3, 4, 3, bias=False), None),
        ("conv_ws_standard", s5, 'conv(4, 3, pad: 1, ws: "standard")', conv(3, 4, 3, pad=1, ws="standard"), None),
        ("conv_ws_scaled_stride2", s6, 'conv(4, 3, stride: 2, pad: 1, ws: "scaled")',
         conv(3, 4, 3, stride=2, pad=1, ws="scaled"), None),
        ("conv_ws_scaled_groups_no_bias", [2, 4, 5, 5], 'conv(6, 3, groups: 2, bias: false, ws: "scaled")',
         conv(4, 6, 3, groups=2, bias=False, ws="scaled"), None),
    ]
    for name, shape, call, module, pads in specs:
        forward = chain("conv0") if pads is None else padded("conv0", pads)
        yield Case(name, model({"x": shape}, f"return x -> {call}"), {"x": shape}, {"conv0": module}, forward)


def dense_cases():
    for name, call, module in [
        ("dense_bias", "dense(5)", dense(6, 5)),
        ("dense_no_bias", "dense(5, bias: false)", dense(6, 5, bias=False)),
        ("dense_ws_standard", 'dense(5, ws: "standard")', dense(6, 5, ws="standard")),
        ("dense_ws_scaled", 'dense(5, bias: false, ws: "scaled")', dense(6, 5, bias=False, ws="scaled")),
    ]:
        yield pipeline_case(name, [3, 6], call, {"dense0": module}, ["dense0"])


# --- inputs on a grid: kinks and ties -------------------------------------------------------------

def grid(shape, values):
    values = torch.tensor(values, dtype=torch.float32)
    return values[torch.randint(len(values), tuple(shape))]


def grid_conv(state, inputs, path="conv0"):
    """A 1×1 conv whose outputs are multiples of 0.5: integer inputs, weights ±0.5, ±1."""
    for name in inputs:
        inputs[name] = grid(inputs[name].shape, [-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])
    state[f"{path}.weight"] = grid(state[f"{path}.weight"].shape, [-1.0, -0.5, 0.5, 1.0])
    if f"{path}.bias" in state:
        state[f"{path}.bias"] = grid(state[f"{path}.bias"].shape, [-1.0, -0.5, 0.0, 0.5, 1.0])


def on_kinks(*kinks):
    """A check that the 1×1 grid conv's output hits every kink exactly."""
    def check(L, inputs):
        pre = L["conv0"](inputs["x"])
        missing = [k for k in kinks if not bool((pre == k).any())]
        assert not missing, f"no input exactly on {missing}"
    return check


def with_ties(windows):
    """A check that some window of the grid conv's output (`windows(pre)`: [..., k]) has a tied max."""
    def check(L, inputs):
        w = windows(L["conv0"](inputs["x"]))
        ties = (w == w.max(dim=-1, keepdim=True).values).sum(dim=-1) >= 2
        assert bool(ties.any()), "no tied maximum"
    return check


def pool_windows(kernel, stride, pad, ceil_mode=False):
    """The windows of a square max pool, `[N·C, windows, kernel²]`; in ceil mode the last ones run
    into extra -inf padding at the bottom and right, as far as PyTorch's output size reaches."""
    def windows(x):
        n, c, h, w = x.shape
        extra = [0, 0]
        if ceil_mode:
            for axis, size in enumerate((h, w)):
                out = -(-(size + 2 * pad - kernel) // stride) + 1
                if (out - 1) * stride >= size + pad:
                    out -= 1
                extra[axis] = max(0, (out - 1) * stride + kernel - size - 2 * pad)
        x = F.pad(x, (pad, pad + extra[1], pad, pad + extra[0]), value=-math.inf)
        return F.unfold(x.reshape(n * c, 1, *x.shape[2:]), kernel, stride=stride).transpose(1, 2)
    return windows


GRID = conv(3, 4, 1)  # the twin of `conv(4, 1)`, copied per case


def grid_case(name, pipeline, steps, layers=None, shape=(2, 3, 5, 5), check=None, tune=grid_conv):
    """`x -> conv(4, 1) -> <pipeline>` on grid inputs."""
    layers = {"conv0": copy.deepcopy(GRID), **(layers or {})}
    return pipeline_case(name, list(shape), f"conv(4, 1) -> {pipeline}", layers, ["conv0", *steps], tune=tune, check=check)


def avoiding_three(state, inputs):
    """Grid inputs on which the conv hits -3 but never +3: PyTorch's hardswish gradient at exactly
    +3 is 1.5 in its scalar loop and 1 in its vectorized one, so +3 has no single reference."""
    while True:
        grid_conv(state, inputs)
        pre = F.conv2d(inputs["x"], state["conv0.weight"], state["conv0.bias"])
        if bool((pre == -3).any()) and not bool((pre == 3).any()):
            return


def repeated_rows(state, inputs):
    """Grid inputs whose first sample repeats its top two rows at the bottom: tied maxima in a plane."""
    grid_conv(state, inputs)
    inputs["x"][0, :, -2:, :] = inputs["x"][0, :, :2, :]


def smooth_case(name, pipeline, steps, layers=None, scale=1.0):
    """`x -> conv(4, 3, pad: 1) -> <pipeline>` on random inputs (times `scale`, to reach the tails)."""
    def tune(state, inputs):
        inputs["x"] = inputs["x"] * scale
    layers = {"conv0": conv(3, 4, 3, pad=1), **(layers or {})}
    return pipeline_case(name, [2, 3, 5, 5], f"conv(4, 3, pad: 1) -> {pipeline}", layers, ["conv0", *steps], tune=tune)


def pool_cases():
    yield grid_case("maxpool_k2_ties", "maxpool(2)", [nn.MaxPool2d(2)], shape=(2, 3, 6, 6),
                    check=with_ties(pool_windows(2, 2, 0)))
    yield grid_case("maxpool_k3_s2_pad1_ties", "maxpool(3, stride: 2, pad: 1)", [nn.MaxPool2d(3, 2, 1)],
                    check=with_ties(pool_windows(3, 2, 1)))
    yield grid_case("maxpool_k3_s1_pad1_overlapping_ties", "maxpool(3, stride: 1, pad: 1)", [nn.MaxPool2d(3, 1, 1)],
                    check=with_ties(pool_windows(3, 1, 1)))
    yield smooth_case("avgpool_k3_s2_pad1", "avgpool(3, stride: 2, pad: 1)",
                      [nn.AvgPool2d(3, 2, 1, count_include_pad=False)])
    yield smooth_case("avgpool_k2x3_s1x2_pad1", "avgpool((2, 3), stride: (1, 2), pad: 1)",
                      [nn.AvgPool2d((2, 3), (1, 2), 1, count_include_pad=False)])
    yield grid_case("maxpool_k3_s2_ceil_ties", "maxpool(3, stride: 2, ceil_mode: true)", [nn.MaxPool2d(3, 2, ceil_mode=True)],
                    shape=(2, 3, 6, 6), check=with_ties(pool_windows(3, 2, 0, ceil_mode=True)))
    yield smooth_case("avgpool_k2_ceil", "avgpool(2, ceil_mode: true)", [nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False)])
    yield smooth_case("avgpool_k4_pad2_ceil_dropped", "avgpool(4, pad: 2, ceil_mode: true)",
                      [nn.AvgPool2d(4, 4, 2, ceil_mode=True, count_include_pad=False)])
    yield smooth_case("adaptive_avgpool_5_to_2x3", "adaptive_avgpool((2, 3))", [nn.AdaptiveAvgPool2d((2, 3))])
    yield pipeline_case("adaptive_avgpool_6_to_3", [2, 3, 6, 6], "conv(4, 3, pad: 1) -> adaptive_avgpool(3)",
                        {"conv0": conv(3, 4, 3, pad=1)}, ["conv0", nn.AdaptiveAvgPool2d(3)])
    yield smooth_case("global_avgpool", "global_avgpool", [lambda x: x.mean(dim=(2, 3), keepdim=True)])
    yield grid_case("global_maxpool_ties", "global_maxpool", [lambda x: x.amax(dim=(2, 3), keepdim=True)],
                    tune=repeated_rows, check=with_ties(lambda x: x.flatten(2)))
    yield smooth_case("flatten", "flatten", [nn.Flatten()])


# --- activations ----------------------------------------------------------------------------------

def activation_cases():
    yield grid_case("relu_kinks", "relu", [nn.ReLU()], check=on_kinks(0.0))
    yield smooth_case("sigmoid", "sigmoid", [nn.Sigmoid()], scale=3.0)
    yield smooth_case("tanh", "tanh", [nn.Tanh()], scale=3.0)
    yield smooth_case("gelu", "gelu", [nn.GELU()], scale=3.0)
    yield smooth_case("silu", "silu", [nn.SiLU()], scale=3.0)
    yield grid_case("leaky_relu_kinks", "leaky_relu", [nn.LeakyReLU(0.01)], check=on_kinks(0.0))
    yield grid_case("leaky_relu_alpha_kinks", "leaky_relu(alpha: 0.2)", [nn.LeakyReLU(0.2)], check=on_kinks(0.0))
    yield grid_case("elu_kinks", "elu", [nn.ELU()], check=on_kinks(0.0))
    yield grid_case("elu_alpha_kinks", "elu(alpha: 0.5)", [nn.ELU(0.5)], check=on_kinks(0.0))
    yield grid_case("relu6_kinks", "relu6", [nn.ReLU6()], check=on_kinks(0.0, 6.0))
    yield grid_case("hardswish_kinks", "hardswish", [nn.Hardswish()], tune=avoiding_three,
                    check=on_kinks(-3.0, 0.0))
    yield grid_case("hardtanh_kinks", "hardtanh", [nn.Hardtanh()], check=on_kinks(-1.0, 1.0))
    yield grid_case("hardtanh_bounds_kinks", "hardtanh(min: -2, max: 0.5)", [nn.Hardtanh(-2.0, 0.5)],
                    check=on_kinks(-2.0, 0.5))
    yield grid_case("clamp_kinks", "clamp(min: -1, max: 1.5)", [lambda x: torch.clamp(x, -1.0, 1.5)],
                    check=on_kinks(-1.0, 1.5))
    yield grid_case("hardsigmoid_kinks", "hardsigmoid", [nn.Hardsigmoid()], check=on_kinks(-3.0, 3.0))
    yield grid_case("prelu_per_channel_kinks", "prelu", ["prelu0"], {"prelu0": nn.PReLU(4)}, check=on_kinks(0.0))
    yield grid_case("prelu_shared_kinks", "prelu(shared: true)", ["prelu0"], {"prelu0": nn.PReLU(1)},
                    check=on_kinks(0.0))
    yield pipeline_case("prelu_rank2", [3, 6], "dense(5) -> prelu", {"dense0": dense(6, 5), "prelu0": nn.PReLU(5)},
                 ["dense0", "prelu0"])
    yield grid_case("maxout_ties", "maxout", [lambda x: x.reshape(x.shape[0], 2, 2, *x.shape[2:]).amax(dim=2)],
                    check=with_ties(lambda x: x.reshape(x.shape[0], 2, 2, -1).transpose(2, 3)))
    yield pipeline_case("maxout_pieces3_rank2", [3, 6], "dense(6) -> maxout(pieces: 3)", {"dense0": dense(6, 6)},
                 ["dense0", lambda x: x.reshape(x.shape[0], 2, 3).amax(dim=2)])
    yield pipeline_case("softmax_rank2", [3, 6], "dense(5) -> softmax", {"dense0": dense(6, 5)}, ["dense0", nn.Softmax(1)])
    yield smooth_case("softmax_rank4", "softmax", [nn.Softmax(1)])
    yield pipeline_case("log_softmax_rank2", [3, 6], "dense(5) -> log_softmax", {"dense0": dense(6, 5)},
                 ["dense0", nn.LogSoftmax(1)])
    yield smooth_case("log_softmax_rank4", "log_softmax", [nn.LogSoftmax(1)])


# --- structure ------------------------------------------------------------------------------------

def structure_cases():
    yield pipeline_case("dropout_p0", [3, 6], "dense(5) -> dropout(0)", {"dense0": dense(6, 5)}, ["dense0", nn.Dropout(0.0)])
    mean, std = [0.5, -1.0, 0.25, 2.0], [0.5, 2.0, 1.5, 0.25]
    yield smooth_case("standardize", f"standardize({mean}, {std})",
                      [lambda x: (x - torch.tensor(mean, dtype=x.dtype).view(1, -1, 1, 1))
                       / torch.tensor(std, dtype=x.dtype).view(1, -1, 1, 1)])
    yield smooth_case("identity", "identity", [nn.Identity()])
    yield smooth_case("none", "none", [nn.Identity()])
    shape = [2, 3, 5, 5]
    yield Case("add_branches", model({"x": shape}, """
        a = x -> conv(4, 3, pad: 1)
        b = x -> conv(4, 1)
        return a + b
    """), {"x": shape}, {"conv0": conv(3, 4, 3, pad=1), "conv1": conv(3, 4, 1)},
        lambda L, x: L["conv0"](x) + L["conv1"](x))
    yield Case("add_two_inputs", model({"a": [3, 6], "b": [3, 5]}, "return (a -> dense(5), b) -> add"),
               {"a": [3, 6], "b": [3, 5]}, {"dense0": dense(6, 5)}, lambda L, a, b: L["dense0"](a) + b)
    yield Case("concat_channels_reused", model({"x": shape}, """
        y = x -> conv(2, 1)
        return (y, x -> conv(3, 3, pad: 1), x, y) -> concat
    """), {"x": shape}, {"conv0": conv(3, 2, 1), "conv1": conv(3, 3, 3, pad=1)},
        lambda L, x: torch.cat([L["conv0"](x), L["conv1"](x), x, L["conv0"](x)], dim=1))
    yield Case("concat_axis2", model({"a": [2, 3, 4, 5], "b": [2, 4, 2, 5]}, "return (a -> conv(4, 1), b) -> concat(axis: 2)"),
               {"a": [2, 3, 4, 5], "b": [2, 4, 2, 5]}, {"conv0": conv(3, 4, 1)},
               lambda L, a, b: torch.cat([L["conv0"](a), b], dim=2))


# --- channel slices and shuffles ------------------------------------------------------------------

def slice_and_shuffle_cases():
    from torchvision.models.shufflenetv2 import channel_shuffle

    shape = [2, 4, 5, 5]
    yield Case("slice_chunk_shuffle", model({"x": shape}, """
        y = x -> conv(6, 1)
        a = y -> slice(0, 3)
        b = y -> slice(3, 6) -> conv(3, 3, pad: 1)
        return concat(a, b) -> channel_shuffle(2)
    """), {"x": shape}, {"conv0": conv(4, 6, 1), "conv1": conv(3, 3, 3, pad=1)},
        lambda L, x: (lambda a, b: channel_shuffle(torch.cat((a, L["conv1"](b)), dim=1), 2))(*L["conv0"](x).chunk(2, dim=1)))
    yield pipeline_case("slice_features", [3, 6], "dense(7) -> slice(2, 5)", {"dense0": dense(6, 7)},
                        ["dense0", lambda x: x[:, 2:5]])
    yield pipeline_case("channel_shuffle_g3", shape, "conv(6, 3, pad: 1) -> channel_shuffle(3)",
                        {"conv0": conv(4, 6, 3, pad=1)}, ["conv0", lambda x: channel_shuffle(x, 3)])


# --- arithmetic on tensors ------------------------------------------------------------------------

def gap(x):
    """global_avgpool."""
    return x.mean(dim=(2, 3), keepdim=True)


def arithmetic_cases():
    shape = [2, 3, 5, 5]
    yield Case("mul_gate", model({"x": shape}, """
        y = x -> conv(4, 3, pad: 1)
        g = x -> global_avgpool -> conv(4, 1) -> sigmoid
        return y * g
    """), {"x": shape}, {"conv0": conv(3, 4, 3, pad=1), "conv1": conv(3, 4, 1)},
        lambda L, x: L["conv0"](x) * torch.sigmoid(L["conv1"](gap(x))))
    yield Case("sub_div_broadcast", model({"x": shape}, """
        a = x -> conv(4, 3, pad: 1)
        b = x -> conv(1, 1)
        return (a - b) / (x -> global_avgpool -> conv(4, 1) -> sigmoid)
    """), {"x": shape}, {"conv0": conv(3, 4, 3, pad=1), "conv1": conv(3, 1, 1), "conv2": conv(3, 4, 1)},
        lambda L, x: (L["conv0"](x) - L["conv1"](x)) / torch.sigmoid(L["conv2"](gap(x))))
    yield Case("arithmetic_numbers", model({"x": shape}, """
        return 1 - 0.5 * (x -> conv(4, 3, pad: 1)) / 3 + 2 / ((x -> conv(4, 1) -> sigmoid) + 1) - 0.25
    """), {"x": shape}, {"conv0": conv(3, 4, 3, pad=1), "conv1": conv(3, 4, 1)},
        lambda L, x: 1 - 0.5 * L["conv0"](x) / 3 + 2 / (torch.sigmoid(L["conv1"](x)) + 1) - 0.25)
    yield Case("div_call_features", model({"a": [3, 5], "b": [3, 6]}, "return (a, b -> dense(1) -> sigmoid) -> div"),
               {"a": [3, 5], "b": [3, 6]}, {"dense0": dense(6, 1)}, lambda L, a, b: a / torch.sigmoid(L["dense0"](b)))
    yield pipeline_case("scale_rank4", shape, "conv(4, 3) -> scale(init: 0.5)",
                        {"conv0": conv(3, 4, 3), "scale0": Scale(4, 0.5, image=True)}, ["conv0", "scale0"])
    yield pipeline_case("scale_rank2", [3, 6], "dense(5) -> scale", {"dense0": dense(6, 5), "scale0": Scale(5)},
                        ["dense0", "scale0"])


# --- normalizers ----------------------------------------------------------------------------------

def far_running_stats(state, inputs, path="batch_renorm0"):
    """Running statistics far from the batch's, so that r and d clip in some channels, not all."""
    c = state[f"{path}.running_mean"].shape[0]
    state[f"{path}.running_mean"] = torch.tensor([6.0, -0.2, -8.0, 0.1, 3.0][:c])
    state[f"{path}.running_std"] = torch.tensor([0.2, 0.9, 9.0, 1.1, 0.5][:c])


def check_renorm(rmax, dmax, shape_is_4d):
    """The raw r and d of every channel stay 1e-3 away from the clip bounds, and some clip."""
    def check(L, inputs):
        with torch.no_grad():
            pre = L["conv0" if shape_is_4d else "dense0"](inputs["x"]).double()
            axes = [0, 2, 3] if shape_is_4d else [0]
            norm = L["batch_renorm0"]
            mu, sigma = pre.mean(dim=axes), torch.sqrt(pre.var(dim=axes, unbiased=False) + norm.eps)
            r = sigma / norm.running_std.double()
            d = (mu - norm.running_mean.double()) / norm.running_std.double()
        for values, bound in ((r, rmax), (1 / r, rmax), (d, dmax), (-d, dmax)):
            assert bool(((values - bound).abs() > 1e-3).all()), "r or d too near a clip bound"
        assert bool(((r > rmax) | (r < 1 / rmax)).any()) and bool((d.abs() > dmax).any()), "neither r nor d clips"
        assert bool(((r < rmax) & (r > 1 / rmax)).any()), "r clips everywhere"
    return check


def conv_norm(name, call, module, path, bias=False, tune=None, check=None, shape=(3, 3, 5, 5)):
    """`x -> conv(4, 3, pad: 1) -> <normalizer>`; no conv bias before batch statistics (its gradient is zero)."""
    pre = "conv(4, 3, pad: 1)" if bias else "conv(4, 3, pad: 1, bias: false)"
    layers = {"conv0": conv(3, 4, 3, pad=1, bias=bias), **({path: module} if path else {})}
    return pipeline_case(name, list(shape), f"{pre} -> {call}", layers, ["conv0", path or module], tune=tune, check=check)


def dense_norm(name, call, module, path, bias=False, tune=None, check=None):
    """`x -> dense(5) -> <normalizer>` at rank 2."""
    pre = "dense(5)" if bias else "dense(5, bias: false)"
    layers = {"dense0": dense(6, 5, bias=bias), **({path: module} if path else {})}
    return pipeline_case(name, [4, 6], f"{pre} -> {call}", layers, ["dense0", path or module], tune=tune, check=check)


def normalizer_cases():
    yield conv_norm("batch_rank4", "batch(momentum: 0.3)", nn.BatchNorm2d(4, momentum=0.3), "batch0")
    yield dense_norm("batch_rank2", "batch", nn.BatchNorm1d(5), "batch0")
    yield conv_norm("batch_affine_false_rank4", "batch(affine: false)", nn.BatchNorm2d(4, affine=False), "batch0")
    yield dense_norm("batch_affine_false_rank2", "batch(eps: 0.001, affine: false)",
                     nn.BatchNorm1d(5, eps=1e-3, affine=False), "batch0")
    yield conv_norm("batch_renorm_rank4_clipped", "batch_renorm(momentum: 0.1, rmax: 2, dmax: 1)",
                    BatchRenorm(4, momentum=0.1, rmax=2.0, dmax=1.0), "batch_renorm0",
                    tune=far_running_stats, check=check_renorm(2.0, 1.0, True))
    yield dense_norm("batch_renorm_rank2_clipped", "batch_renorm", BatchRenorm(5), "batch_renorm0",
                     tune=far_running_stats, check=check_renorm(3.0, 5.0, False))
    yield conv_norm("layer_rank4", "layer", nn.GroupNorm(1, 4), "layer0", bias=True)
    yield dense_norm("layer_rank2", "layer", nn.LayerNorm(5), "layer0", bias=True)
    yield conv_norm("layer_affine_false_rank4", "layer(affine: false)", nn.GroupNorm(1, 4, affine=False), None, bias=True)
    yield dense_norm("layer_affine_false_rank2", "layer(affine: false)",
                     nn.LayerNorm(5, elementwise_affine=False), None, bias=True)
    yield conv_norm("instance", "instance", nn.InstanceNorm2d(4, affine=True), "instance0")
    yield conv_norm("instance_affine_false", "instance(eps: 0.001, affine: false)",
                    nn.InstanceNorm2d(4, eps=1e-3, affine=False), None)
    yield conv_norm("group", "group(groups: 2)", nn.GroupNorm(2, 4), "group0", bias=True)
    yield conv_norm("frn", "frn", FilterResponseNorm(4), "frn0", bias=True)
    yield conv_norm("channel_norm", "channel_norm", ChannelNorm2d(4), "channel_norm0", bias=True)
    yield conv_norm("channel_norm_affine_false", "channel_norm(eps: 0.001, affine: false)",
                    ChannelNorm2d(4, eps=1e-3, affine=False), None, bias=True)
    yield conv_norm("switchable", "switchable(momentum: 0.2)", SwitchableNorm(4, momentum=0.2), "switchable0",
                    bias=True)


# --- losses ---------------------------------------------------------------------------------------

def loss_cases():
    mlp = "dense(8) -> relu -> dense(5)"
    layers = lambda: {"dense0": dense(6, 8), "dense1": dense(8, 5)}  # noqa: E731
    steps = ["dense0", nn.ReLU(), "dense1"]
    for name, tail, twin_tail, loss in [
        ("loss_cross_entropy", "", [], {"loss": "cross_entropy", "labelSmoothing": 0.0}),
        ("loss_cross_entropy_smoothing", "", [], {"loss": "cross_entropy", "labelSmoothing": 0.1}),
        ("loss_mse", " -> tanh", [nn.Tanh()], {"loss": "mse"}),
        ("loss_log_softmax_nll", " -> log_softmax", [nn.LogSoftmax(1)], {"loss": "cross_entropy", "labelSmoothing": 0.1}),
        ("loss_softmax_nll", " -> softmax", [nn.Softmax(1)], {"loss": "cross_entropy", "labelSmoothing": 0.0}),
        ("loss_softmax_mse", " -> softmax", [nn.Softmax(1)], {"loss": "mse"}),
    ]:
        yield pipeline_case(name, [4, 6], mlp + tail, layers(), steps + twin_tail, loss=loss)
    shape = [3, 3, 6, 6]
    yield Case("loss_conv_net", model({"x": shape}, """
        y = x -> conv(4, 3, pad: 1, bias: false) -> batch -> relu -> maxpool(2)
        return (y + (y -> conv(4, 1))) -> global_avgpool -> flatten -> dense(5)
    """), {"x": shape}, {"conv0": conv(3, 4, 3, pad=1, bias=False), "batch0": nn.BatchNorm2d(4),
                         "conv1": conv(4, 4, 1), "dense0": dense(4, 5)},
        conv_net, loss={"loss": "cross_entropy", "labelSmoothing": 0.0})


def conv_net(L, x):
    y = F.max_pool2d(F.relu(L["batch0"](L["conv0"](x))), 2)
    return L["dense0"](torch.flatten((y + L["conv1"](y)).mean(dim=(2, 3)), 1))


# --- running a case -------------------------------------------------------------------------------

def initial_state(layers):
    """Random, non-trivial float32 values for every parameter and buffer, by nnc name."""
    state = {}
    for path, module in layers.items():
        for key, t in list(module.named_parameters(recurse=False)) + list(module.named_buffers(recurse=False)):
            if key == "num_batches_tracked":
                continue
            shape = tuple(t.shape)
            if key == "weight" and t.dim() >= 2:
                value = torch.randn(shape) * math.sqrt(2.0 / t[0].numel())
            elif key == "weight" and isinstance(module, nn.PReLU):
                value = torch.rand(shape) * 0.45 + 0.05
            elif key in ("weight", "gain"):
                value = torch.rand(shape) + 0.5
            elif key == "bias":
                value = torch.randn(shape) * 0.5
            elif key == "running_mean":
                value = torch.randn(shape) * 0.5
            elif key == "running_var":
                value = torch.rand(shape) * 1.5 + 0.5
            elif key == "running_std":
                value = torch.rand(shape) * 0.7 + 0.7
            elif key == "tau":
                value = torch.rand(shape) - 0.5
            elif key in ("mean_weight", "var_weight"):
                value = torch.randn(shape)
            else:
                raise ValueError(f"{path}.{key}: no initial value")
            state[f"{path}.{key}"] = value.to(torch.float32)
    return state


def step(case, L, state, inputs, seed, target, dtype):
    """One training-mode step of the twin in `dtype`: output, gradients, running statistics, loss."""
    L = copy.deepcopy(L).to(dtype).train()
    tensors = dict(L.named_parameters())
    tensors.update(L.named_buffers())
    with torch.no_grad():
        for name, value in state.items():
            tensors[name].copy_(value.to(dtype))
    leaves = {name: value.to(dtype).requires_grad_() for name, value in inputs.items()}
    loss = None
    if case.loss is None:
        y = case.forward(L, *leaves.values())
        y.backward(seed.to(dtype))
    else:
        settings = case.loss
        last = case.steps[-1] if case.steps else None
        if settings["loss"] == "cross_entropy" and isinstance(last, (nn.Softmax, nn.LogSoftmax)):
            # The NLL of the model's probabilities: cross-entropy on the logits before the last layer.
            logits = chain(*case.steps[:-1])(L, *leaves.values())
            y = last(logits)
        else:
            y = logits = case.forward(L, *leaves.values())
        if settings["loss"] == "cross_entropy":
            loss = F.cross_entropy(logits, target.long(), label_smoothing=settings["labelSmoothing"])
        else:
            loss = F.mse_loss(y, target.to(dtype))
        loss.backward()
    grads = {name: t.grad for name, t in leaves.items()}
    grads.update({name: p.grad for name, p in L.named_parameters()})
    running = {name: b for name, b in L.named_buffers() if not name.endswith("num_batches_tracked")}
    return {"output": y, "gradients": grads, "running": running, "loss": loss}


def deviation(actual, expected):
    """The largest difference, relative to the expected tensor's largest magnitude."""
    scale = max(float(expected.abs().max()), SMALLEST_SCALE)
    return float((actual.double() - expected.double()).abs().max()) / scale


def flat(result):
    """Every tensor of a step's result, by a label."""
    tensors = {"output": result["output"]}
    tensors.update({f"gradient {k}": v for k, v in result["gradients"].items()})
    tensors.update({f"running {k}": v for k, v in result["running"].items()})
    if result["loss"] is not None:
        tensors["loss"] = result["loss"].reshape(1)
    return tensors


def encode(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def build(case):
    torch.manual_seed(zlib.crc32(case.name.encode()))
    L = nn.ModuleDict(case.layers)
    state = initial_state(L)
    inputs = {name: torch.randn(*shape) for name, shape in case.inputs.items()}
    if case.tune is not None:
        case.tune(state, inputs)
    if case.check is not None:
        twin = copy.deepcopy(L)
        tensors = dict(twin.named_parameters())
        tensors.update(twin.named_buffers())
        with torch.no_grad():
            for name, value in state.items():
                tensors[name].copy_(value)
            case.check(twin, inputs)
    output_shape = case.forward(L, *inputs.values()).shape
    seed = target = None
    if case.loss is None:
        seed = torch.randn(output_shape)
    elif case.loss["loss"] == "cross_entropy":
        target = torch.randint(output_shape[1], (output_shape[0],)).to(torch.float32)
    else:
        target = torch.rand(output_shape)

    reference = step(case, L, state, inputs, seed, target, torch.float64)
    single = step(case, L, state, inputs, seed, target, torch.float32)
    expected, got = flat(reference), flat(single)
    worst = 0.0
    for label, tensor in expected.items():
        assert tensor is not None, f"{case.name}: {label} is missing"
        assert torch.isfinite(tensor).all(), f"{case.name}: {label} is not finite"
        assert float(tensor.abs().max()) >= SMALLEST_SCALE or label.startswith("running"), \
            f"{case.name}: {label} is all but zero"
        worst = max(worst, deviation(got[label], tensor))
    assert worst < FLOAT32_AGREEMENT, f"{case.name}: float32 and float64 differ by {worst}"

    body = {"case": case.name, "source": case.source}
    body["inputs"] = {name: encode(t) for name, t in inputs.items()}
    body["params"] = {name: encode(t) for name, t in state.items()}
    if seed is not None:
        body["seed"] = encode(seed)
    else:
        body["loss"] = {**case.loss, "target": encode(target), "value": encode(reference["loss"].reshape(1))}
    body["output"] = encode(reference["output"])
    body["gradients"] = {name: encode(t) for name, t in reference["gradients"].items()}
    body["running"] = {name: encode(t) for name, t in reference["running"].items()}
    body["float32_deviation"] = float(f"{worst:.2g}")
    return body


CASES = [conv_cases, dense_cases, pool_cases, activation_cases, structure_cases, arithmetic_cases, normalizer_cases, loss_cases,
         slice_and_shuffle_cases]


def main():
    os.makedirs(OUT, exist_ok=True)
    for stale in os.listdir(OUT):
        if stale.endswith(".json"):
            os.remove(os.path.join(OUT, stale))
    names, total = set(), 0
    for group in CASES:
        for case in group():
            assert case.name not in names, f"two cases named {case.name}"
            names.add(case.name)
            body = build(case)
            text = json.dumps(body, separators=(",", ":")) + "\n"
            with open(os.path.join(OUT, case.name + ".json"), "w") as f:
                f.write(text)
            total += len(text)
            print(f"{case.name:<40} {len(text) / 1024:6.1f} KiB  float32 deviation {body['float32_deviation']:.1g}")
    print(f"{len(names)} cases, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
