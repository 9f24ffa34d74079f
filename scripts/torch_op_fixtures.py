"""Writes the PyTorch reference fixtures of the runtime kernels, test/fixtures/ops/<case>.json
(run by hand, then commit; test/runtime/*.test.ts read them).

Each file holds one case:

    {"op": "conv", "attributes": {...},
     "inputs": {"x": {"shape": [...], "data": [...]}, ...},
     "outputs": {"y": {...}}}

Normalizers hold both modes: "outputs": {"eval": {"y": ...}, "train": {"y": ..., "running_mean": ...}},
where "train" is the output of one training-mode forward and the running statistics after it,
starting from the (random, non-trivial) running statistics in "inputs".

Every value is a float32 written as float(x), which is exact, so the TypeScript side reads back the
very same float32. Operators with a PyTorch module or function are computed by it; batch
renormalization, switchable normalization, filter response normalization and weight
standardization have none, so small float64 implementations that follow docs/operators.md's
formulas stand in, and their results are rounded to float32.

Usage: /usr/bin/python3 scripts/torch_op_fixtures.py
"""
import json
import os

import torch
import torch.nn.functional as F
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ops")


def encode(t):
    t = t.detach().to(torch.float32).contiguous()
    return {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


def write(case, op, attributes, inputs, outputs):
    def walk(value):
        if isinstance(value, torch.Tensor):
            return encode(value)
        return {k: walk(v) for k, v in value.items()}

    body = {"op": op, "attributes": attributes, "inputs": walk(inputs), "outputs": walk(outputs)}
    with open(os.path.join(OUT, case + ".json"), "w") as f:
        json.dump(body, f, separators=(",", ":"))
        f.write("\n")


def randn(*shape, scale=1.0, shift=0.0):
    return torch.randn(*shape) * scale + shift


def uniform(*shape, low, high):
    return torch.rand(*shape) * (high - low) + low


# --- convolution and dense --------------------------------------------------------------------

def conv_cases():
    specs = [
        # name, N, C, H, W, out, kernel, stride, pad (int, pair, or 4 sides t,l,b,r), dilation, groups, bias
        ("conv_basic", 2, 4, 7, 7, 6, (3, 3), 1, 1, 1, 1, True),
        ("conv_stride2_pad1_nobias", 2, 4, 7, 7, 5, (3, 3), 2, 1, 1, 1, False),
        ("conv_dilation2", 2, 3, 7, 7, 4, (3, 3), 1, 2, 2, 1, True),
        ("conv_groups2_stride_pair", 2, 6, 6, 6, 4, (3, 3), (2, 1), (1, 0), 1, 2, True),
        ("conv_depthwise", 2, 4, 6, 6, 4, (3, 3), 1, 1, 1, 4, True),
        ("conv_depthwise_multiplier2", 2, 4, 5, 5, 8, (3, 3), 2, 1, 1, 4, False),
        ("conv_kernel_1x3", 2, 4, 5, 7, 6, (1, 3), 1, (0, 1), 1, 1, True),
        ("conv_kernel_3x1", 2, 4, 5, 7, 6, (3, 1), 1, (1, 0), 1, 1, False),
        ("conv_1x1", 2, 5, 6, 6, 3, (1, 1), 1, 0, 1, 1, True),
        ("conv_1x1_stride2", 2, 5, 6, 6, 3, (1, 1), 2, 0, 1, 1, True),
        ("conv_5x5_dilation_pair", 2, 3, 7, 7, 4, (5, 3), 1, (2, 2), (1, 2), 1, True),
        ("conv_asymmetric_pads", 2, 4, 6, 6, 5, (3, 3), 2, (0, 0, 1, 1), 1, 1, True),
        ("conv_asymmetric_pads_wide", 2, 3, 5, 6, 4, (3, 3), 1, (2, 1, 0, 2), 1, 1, True),
    ]
    for name, n, c, h, w, out, kernel, stride, pad, dilation, groups, bias in specs:
        x = randn(n, c, h, w)
        weight = randn(out, c // groups, *kernel, scale=0.3)
        b = randn(out, scale=0.5) if bias else None
        if isinstance(pad, tuple) and len(pad) == 4:
            top, left, bottom, right = pad
            y = F.conv2d(F.pad(x, (left, right, top, bottom)), weight, b, stride, 0, dilation, groups)
            pads = list(pad)
        else:
            y = F.conv2d(x, weight, b, stride, pad, dilation, groups)
            pads = pad if isinstance(pad, int) else list(pad)
        attributes = {
            "strides": stride if isinstance(stride, int) else list(stride),
            "pads": pads,
            "dilations": dilation if isinstance(dilation, int) else list(dilation),
            "group": groups,
        }
        inputs = {"x": x, "weight": weight}
        if bias:
            inputs["bias"] = b
        write(name, "conv", attributes, inputs, {"y": y})


def gemm_cases():
    for name, n, f, out, bias in [("gemm_bias", 3, 10, 7, True), ("gemm_nobias", 2, 9, 5, False)]:
        layer = nn.Linear(f, out, bias=bias)
        x = randn(n, f)
        inputs = {"x": x, "weight": layer.weight}
        if bias:
            inputs["bias"] = layer.bias
        write(name, "gemm", {}, inputs, {"y": layer(x)})


# --- pooling and reshaping --------------------------------------------------------------------

def pool_cases():
    specs = [
        ("max_pool_k3_s2_p1", "max_pool", (3, 3), (2, 2), (1, 1)),
        ("max_pool_k2", "max_pool", (2, 2), None, (0, 0)),
        ("max_pool_k2x3_s2x1_p1", "max_pool", (2, 3), (2, 1), (1, 1)),
        ("average_pool_k3_s2_p1", "average_pool", (3, 3), (2, 2), (1, 1)),
        ("average_pool_k2", "average_pool", (2, 2), None, (0, 0)),
        ("average_pool_k3x2_s1x2_p1x0", "average_pool", (3, 2), (1, 2), (1, 0)),
    ]
    for name, op, kernel, stride, pad in specs:
        x = randn(2, 3, 7, 6)
        if op == "max_pool":
            y = F.max_pool2d(x, kernel, stride, pad)
        else:
            y = F.avg_pool2d(x, kernel, stride, pad, count_include_pad=False)
        attributes = {"kernel_shape": list(kernel), "pads": list(pad)}
        if stride is not None:
            attributes["strides"] = list(stride)
        write(name, op, attributes, {"x": x}, {"y": y})
    x = randn(2, 4, 5, 6)
    write("global_average_pool", "global_average_pool", {}, {"x": x}, {"y": x.mean(dim=(2, 3), keepdim=True)})
    write("global_max_pool", "global_max_pool", {}, {"x": x}, {"y": x.amax(dim=(2, 3), keepdim=True)})
    write("flatten", "flatten", {}, {"x": x}, {"y": nn.Flatten()(x)})


# --- element-wise and channel-wise ------------------------------------------------------------

def activation_input():
    """A batch whose values cover the interesting ranges, including saturated tails."""
    x = randn(2, 3, 4, 5, scale=3.0)
    x.view(-1)[:6] = torch.tensor([0.0, -20.0, 20.0, -90.0, 1e-4, -1e-4])
    return x


def activation_cases():
    x = activation_input()
    write("relu", "relu", {}, {"x": x}, {"y": F.relu(x)})
    write("sigmoid", "sigmoid", {}, {"x": x}, {"y": torch.sigmoid(x)})
    write("tanh", "tanh", {}, {"x": x}, {"y": torch.tanh(x)})
    write("gelu", "gelu", {}, {"x": x}, {"y": F.gelu(x)})
    write("silu", "silu", {}, {"x": x}, {"y": F.silu(x)})
    for alpha in (0.01, 0.2):
        write(f"leaky_relu_{alpha}", "leaky_relu", {"alpha": alpha}, {"x": x}, {"y": F.leaky_relu(x, alpha)})
    for alpha in (1.0, 0.5):
        write(f"elu_{alpha}", "elu", {"alpha": alpha}, {"x": x}, {"y": F.elu(x, alpha)})
    for name, count in (("prelu_per_channel", 3), ("prelu_shared", 1)):
        layer = nn.PReLU(count)
        with torch.no_grad():
            layer.weight.uniform_(-0.5, 0.5)
        write(name, "prelu", {}, {"x": x, "weight": layer.weight}, {"y": layer(x)})
    features = randn(4, 6, scale=2.0)
    write("prelu_rank2", "prelu", {}, {"x": features, "weight": torch.tensor([0.1, -0.2, 0.3, 0.25, 0.5, -0.05])},
          {"y": F.prelu(features, torch.tensor([0.1, -0.2, 0.3, 0.25, 0.5, -0.05]))})

    images = randn(2, 6, 4, 3)
    write("maxout_pieces2", "maxout", {"pieces": 2}, {"x": images},
          {"y": images.reshape(2, 3, 2, 4, 3).amax(dim=2)})
    write("maxout_pieces3_rank2", "maxout", {"pieces": 3}, {"x": features},
          {"y": features.reshape(4, 2, 3).amax(dim=2)})

    logits = randn(3, 7, scale=4.0)
    logits[0, 0] = 80.0
    write("softmax_rank2", "softmax", {}, {"x": logits}, {"y": F.softmax(logits, dim=1)})
    write("softmax_rank4", "softmax", {}, {"x": images}, {"y": F.softmax(images, dim=1)})
    write("log_softmax_rank2", "log_softmax", {}, {"x": logits}, {"y": F.log_softmax(logits, dim=1)})
    write("log_softmax_rank4", "log_softmax", {}, {"x": images}, {"y": F.log_softmax(images, dim=1)})

    mean = [0.485, 0.456, 0.406]
    std = [0.229, 0.224, 0.225]
    pixels = torch.rand(2, 3, 4, 5)
    expected = (pixels - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    write("standardize", "standardize", {"mean": mean, "std": std}, {"x": pixels}, {"y": expected})

    a, b = randn(2, 3, 4, 4), randn(2, 3, 4, 4)
    write("add", "add", {}, {"a": a, "b": b}, {"y": a + b})
    parts = [randn(2, 2, 3, 3), randn(2, 4, 3, 3), randn(2, 1, 3, 3)]
    write("concat_axis1", "concat", {"axis": 1}, {"x0": parts[0], "x1": parts[1], "x2": parts[2]},
          {"y": torch.cat(parts, dim=1)})
    rows = [randn(1, 5), randn(3, 5)]
    write("concat_axis0_rank2", "concat", {"axis": 0}, {"x0": rows[0], "x1": rows[1]}, {"y": torch.cat(rows, dim=0)})


# --- normalizers ------------------------------------------------------------------------------

def affine(c):
    return uniform(c, low=0.5, high=1.5), randn(c, scale=0.5)


def running_stats(c):
    return randn(c, scale=0.5), uniform(c, low=0.5, high=2.0)


def batch_cases():
    for name, shape, momentum, is_affine in [
        ("batch_rank4", (3, 5, 6, 6), 0.1, True),
        ("batch_rank2", (6, 5), 0.3, True),
        ("batch_rank4_no_affine", (2, 4, 5, 5), 0.1, False),
    ]:
        c = shape[1]
        module = (nn.BatchNorm2d if len(shape) == 4 else nn.BatchNorm1d)(c, eps=1e-5, momentum=momentum, affine=is_affine)
        mean, var = running_stats(c)
        with torch.no_grad():
            module.running_mean.copy_(mean)
            module.running_var.copy_(var)
            if is_affine:
                module.weight.copy_(affine(c)[0])
                module.bias.copy_(randn(c, scale=0.5))
        x = randn(*shape, scale=1.5, shift=0.7)
        inputs = {"x": x, "running_mean": mean, "running_var": var}
        if is_affine:
            inputs["weight"] = module.weight
            inputs["bias"] = module.bias
        eval_y = module.eval()(x)
        train_y = module.train()(x)
        write(name, "batch", {"epsilon": 1e-5, "momentum": momentum}, inputs, {
            "eval": {"y": eval_y},
            "train": {"y": train_y, "running_mean": module.running_mean, "running_var": module.running_var},
        })


def batch_renorm_reference(x, gamma, beta, mean, std, eps, momentum, rmax, dmax, training):
    """docs/operators.md's formula, literally, in float64."""
    x, gamma, beta, mean, std = (t.double() for t in (x, gamma, beta, mean, std))
    axes = [0] + list(range(2, x.dim()))
    view = [1, -1] + [1] * (x.dim() - 2)
    if not training:
        return gamma.view(view) * (x - mean.view(view)) / std.view(view) + beta.view(view), None, None
    mu_b = x.mean(dim=axes)
    sigma_b = torch.sqrt(x.var(dim=axes, unbiased=False) + eps)
    r = torch.clamp(sigma_b / std, 1 / rmax, rmax)
    d = torch.clamp((mu_b - mean) / std, -dmax, dmax)
    x_hat = (x - mu_b.view(view)) / sigma_b.view(view) * r.view(view) + d.view(view)
    y = gamma.view(view) * x_hat + beta.view(view)
    return y, mean + momentum * (mu_b - mean), std + momentum * (sigma_b - std)


def batch_renorm_cases():
    for name, shape, momentum, rmax, dmax, spread in [
        ("batch_renorm_rank4", (3, 5, 5, 5), 0.01, 3.0, 5.0, None),
        ("batch_renorm_rank4_clipped", (2, 6, 4, 4), 0.1, 1.5, 0.5, [0.05, 0.5, 1.0, 2.0, 4.0, 0.3]),
        ("batch_renorm_rank2", (8, 5), 0.05, 3.0, 5.0, None),
    ]:
        c = shape[1]
        gamma, beta = affine(c)
        mean, std = running_stats(c)
        # Spread the channels' scales so that r and d land on both sides of their clip bounds.
        scales = torch.tensor(spread) if spread else uniform(c, low=0.2, high=4.0)
        x = randn(*shape) * scales.view([1, -1] + [1] * (len(shape) - 2)) + 0.8
        eps = 1e-5
        eval_y, _, _ = batch_renorm_reference(x, gamma, beta, mean, std, eps, momentum, rmax, dmax, False)
        train_y, new_mean, new_std = batch_renorm_reference(x, gamma, beta, mean, std, eps, momentum, rmax, dmax, True)
        write(name, "batch_renorm", {"epsilon": eps, "momentum": momentum, "rmax": rmax, "dmax": dmax},
              {"x": x, "weight": gamma, "bias": beta, "running_mean": mean, "running_std": std},
              {"eval": {"y": eval_y}, "train": {"y": train_y, "running_mean": new_mean, "running_std": new_std}})


def stateless_case(name, op, attributes, module, x, inputs):
    """A normalizer without running statistics: training and inference must agree."""
    eval_y = module.eval()(x)
    train_y = module.train()(x)
    write(name, op, attributes, dict(x=x, **inputs), {"eval": {"y": eval_y}, "train": {"y": train_y}})


def per_sample_cases():
    c = 6
    for name, shape in [("layer_rank4", (2, c, 5, 5)), ("layer_rank2", (4, c))]:
        module = nn.GroupNorm(1, c, eps=1e-5) if len(shape) == 4 else nn.LayerNorm(c, eps=1e-5)
        with torch.no_grad():
            module.weight.copy_(affine(c)[0])
            module.bias.copy_(randn(c, scale=0.5))
        stateless_case(name, "layer", {"epsilon": 1e-5}, module, randn(*shape, scale=2.0, shift=0.5),
                       {"weight": module.weight, "bias": module.bias})

    module = nn.InstanceNorm2d(c, eps=1e-5, affine=True)
    with torch.no_grad():
        module.weight.copy_(affine(c)[0])
        module.bias.copy_(randn(c, scale=0.5))
    stateless_case("instance_rank4", "instance", {"epsilon": 1e-5}, module, randn(2, c, 5, 6, scale=2.0, shift=-0.3),
                   {"weight": module.weight, "bias": module.bias})
    stateless_case("instance_rank4_no_affine", "instance", {"epsilon": 1e-5}, nn.InstanceNorm2d(c, eps=1e-5),
                   randn(2, c, 4, 4, scale=0.5, shift=1.0), {})

    for groups in (2, 3):
        module = nn.GroupNorm(groups, c, eps=1e-5)
        with torch.no_grad():
            module.weight.copy_(affine(c)[0])
            module.bias.copy_(randn(c, scale=0.5))
        stateless_case(f"group_{groups}", "group", {"groups": groups, "epsilon": 1e-5}, module,
                       randn(3, c, 4, 5, scale=1.5, shift=0.2), {"weight": module.weight, "bias": module.bias})


def frn_reference(x, gamma, beta, tau, eps):
    """docs/operators.md: ν² = mean_{H,W}(x²) (x² itself for rank 2), y = max(γ x / sqrt(ν² + eps) + β, τ)."""
    x, gamma, beta, tau = (t.double() for t in (x, gamma, beta, tau))
    view = [1, -1] + [1] * (x.dim() - 2)
    nu2 = (x * x).mean(dim=(2, 3), keepdim=True) if x.dim() == 4 else x * x
    return torch.maximum(gamma.view(view) * x / torch.sqrt(nu2 + eps) + beta.view(view), tau.view(view))


def frn_cases():
    for name, shape, eps in [("frn_rank4", (2, 5, 5, 5), 1e-6), ("frn_rank2", (4, 5), 1e-6), ("frn_rank4_eps", (2, 4, 3, 3), 1e-3)]:
        c = shape[1]
        gamma, beta = affine(c)
        tau = randn(c, scale=0.3)
        x = randn(*shape, scale=1.5)
        x.view(-1)[0] = 0.0
        y = frn_reference(x, gamma, beta, tau, eps)
        write(name, "frn", {"epsilon": eps}, {"x": x, "weight": gamma, "bias": beta, "tau": tau},
              {"eval": {"y": y}, "train": {"y": y}})


def switchable_reference(x, gamma, beta, mean_weight, var_weight, running_mean, running_var, eps, momentum, training):
    """docs/operators.md's formula, literally, in float64."""
    x, gamma, beta, mean_weight, var_weight, running_mean, running_var = (
        t.double() for t in (x, gamma, beta, mean_weight, var_weight, running_mean, running_var))
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    mu_in = flat.mean(dim=2)
    var_in = flat.var(dim=2, unbiased=False)
    mu_ln = mu_in.mean(dim=1, keepdim=True)
    var_ln = (var_in + mu_in ** 2).mean(dim=1, keepdim=True) - mu_ln ** 2
    if training:
        mu_bn = flat.transpose(0, 1).reshape(c, -1).mean(dim=1)
        var_bn = flat.transpose(0, 1).reshape(c, -1).var(dim=1, unbiased=False)
    else:
        mu_bn, var_bn = running_mean, running_var
    wm = torch.softmax(mean_weight, dim=0)
    wv = torch.softmax(var_weight, dim=0)
    mu = wm[0] * mu_in + wm[1] * mu_ln + wm[2] * mu_bn.view(1, c)
    var = wv[0] * var_in + wv[1] * var_ln + wv[2] * var_bn.view(1, c)
    y = gamma.view(1, c, 1) * (flat - mu.view(n, c, 1)) / torch.sqrt(var.view(n, c, 1) + eps) + beta.view(1, c, 1)
    new_mean = (1 - momentum) * running_mean + momentum * mu_bn
    new_var = (1 - momentum) * running_var + momentum * var_bn
    return y.reshape(x.shape), new_mean, new_var


def switchable_cases():
    for name, shape, momentum in [("switchable_rank4", (3, 5, 4, 4), 0.1), ("switchable_rank2", (6, 4), 0.2)]:
        c = shape[1]
        gamma, beta = affine(c)
        mean_weight, var_weight = randn(3), randn(3)
        mean, var = running_stats(c)
        x = randn(*shape, scale=1.5) + randn(1, c, *([1] * (len(shape) - 2)))
        eps = 1e-5
        eval_y, _, _ = switchable_reference(x, gamma, beta, mean_weight, var_weight, mean, var, eps, momentum, False)
        train_y, new_mean, new_var = switchable_reference(x, gamma, beta, mean_weight, var_weight, mean, var, eps, momentum, True)
        write(name, "switchable", {"epsilon": eps, "momentum": momentum},
              {"x": x, "weight": gamma, "bias": beta, "mean_weight": mean_weight, "var_weight": var_weight,
               "running_mean": mean, "running_var": var},
              {"eval": {"y": eval_y}, "train": {"y": train_y, "running_mean": new_mean, "running_var": new_var}})


def weight_standardization_cases():
    """docs/operators.md's formula, literally, in float64: per output filter, biased variance."""
    for name, shape in [("ws_conv", (6, 4, 3, 3)), ("ws_dense", (5, 8))]:
        w = randn(*shape, scale=0.2, shift=0.05)
        flat = w.double().reshape(shape[0], -1)
        mu = flat.mean(dim=1, keepdim=True)
        var = flat.var(dim=1, unbiased=False, keepdim=True)
        standard = (flat - mu) / torch.sqrt(var + 1e-5)
        write(name + "_standard", "ws_standard", {"epsilon": 1e-5}, {"weight": w}, {"y": standard.reshape(shape)})
        gain = uniform(shape[0], low=0.5, high=1.5)
        fan_in = flat.shape[1]
        scaled = gain.double().view(-1, 1) * (flat - mu) / (fan_in ** 0.5 * torch.sqrt(var))
        write(name + "_scaled", "ws_scaled", {}, {"weight": w, "gain": gain}, {"y": scaled.reshape(shape)})


def mobile_activation_cases():
    """relu6 and hardswish (MobileNet's activations), from their own seed so that adding them
    left every earlier fixture as it was; the input also covers their corners at -3, 0, 3 and 6."""
    torch.manual_seed(20241)
    x = activation_input()
    x.view(-1)[6:12] = torch.tensor([-3.0, 3.0, 6.0, 6.5, -2.999, 2.999])
    write("relu6", "relu6", {}, {"x": x}, {"y": F.relu6(x)})
    write("hardswish", "hardswish", {}, {"x": x}, {"y": F.hardswish(x)})


def clip_activation_cases():
    """hardtanh, clamp and hardsigmoid, from their own seed so that adding them left every earlier
    fixture as it was; the input also covers their corners at -3, -2, -1, 0.5, 1, 2 and 3."""
    torch.manual_seed(20246)
    x = activation_input()
    x.view(-1)[6:16] = torch.tensor([-3.0, 3.0, -2.0, 2.0, -1.0, 1.0, 0.5, -2.999, 2.999, -1.0001])
    write("hardtanh", "hardtanh", {"min": -1.0, "max": 1.0}, {"x": x}, {"y": F.hardtanh(x)})
    write("hardtanh_bounds", "hardtanh", {"min": -2.0, "max": 0.5}, {"x": x}, {"y": F.hardtanh(x, -2.0, 0.5)})
    write("clamp", "clamp", {"min": -1.0, "max": 2.0}, {"x": x}, {"y": torch.clamp(x, -1.0, 2.0)})
    write("hardsigmoid", "hardsigmoid", {}, {"x": x}, {"y": F.hardsigmoid(x)})


def ceil_and_adaptive_pool_cases():
    """Pools in ceil mode (windows clipped at the bottom and right, a last window that would start
    in the padding dropped) and adaptive average pools, from their own seed so that adding them
    left every earlier fixture as it was."""
    torch.manual_seed(20242)
    specs = [
        # name, op, input, kernel, stride, pad
        ("max_pool_k3_s2_ceil", "max_pool", (2, 3, 7, 6), (3, 3), (2, 2), (0, 0)),
        ("max_pool_k3_s2_p1_ceil", "max_pool", (2, 3, 8, 7), (3, 3), (2, 2), (1, 1)),
        ("max_pool_k2x3_s3x2_p1_ceil_dropped", "max_pool", (2, 2, 5, 9), (2, 3), (3, 2), (1, 1)),
        ("average_pool_k3_s2_ceil", "average_pool", (2, 3, 7, 6), (3, 3), (2, 2), (0, 0)),
        ("average_pool_k3_s2_p1_ceil", "average_pool", (2, 3, 8, 7), (3, 3), (2, 2), (1, 1)),
        ("average_pool_k4_s4_p2_ceil_dropped", "average_pool", (2, 2, 6, 9), (4, 4), (4, 4), (2, 2)),
        ("average_pool_k2x3_s3x2_p1_ceil_dropped", "average_pool", (2, 2, 5, 9), (2, 3), (3, 2), (1, 1)),
    ]
    for name, op, shape, kernel, stride, pad in specs:
        x = randn(*shape)
        if op == "max_pool":
            y = F.max_pool2d(x, kernel, stride, pad, ceil_mode=True)
        else:
            y = F.avg_pool2d(x, kernel, stride, pad, ceil_mode=True, count_include_pad=False)
        attributes = {"kernel_shape": list(kernel), "strides": list(stride), "pads": list(pad), "ceil_mode": 1}
        write(name, op, attributes, {"x": x}, {"y": y})
    # GoogLeNet's first pool, nn.MaxPool2d(3, 2, ceil_mode=True), at 112x112: 56x56 (55 in floor mode);
    # small integers keep the file small.
    x = torch.randint(0, 10, (1, 1, 112, 112)).to(torch.float32)
    write("max_pool_googlenet_stem_112", "max_pool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [0, 0], "ceil_mode": 1},
          {"x": x}, {"y": nn.MaxPool2d(3, 2, ceil_mode=True)(x)})
    for name, shape, size in [
        ("adaptive_average_pool_7x6_to_3x4", (2, 3, 7, 6), (3, 4)),
        ("adaptive_average_pool_13_to_6", (2, 2, 13, 13), (6, 6)),
        ("adaptive_average_pool_6x8_to_3x4", (2, 3, 6, 8), (3, 4)),
        ("adaptive_average_pool_3x4_to_5x7", (2, 2, 3, 4), (5, 7)),
        ("adaptive_average_pool_5x9_to_1x2", (2, 3, 5, 9), (1, 2)),
    ]:
        x = randn(*shape)
        write(name, "adaptive_average_pool", {"output_size": list(size)}, {"x": x}, {"y": F.adaptive_avg_pool2d(x, size)})


def channel_norm_cases():
    """ConvNeXt's layer normalization over the channels of each pixel, from its own seed so that
    adding it left every earlier fixture as it was: nn.LayerNorm(C) on x permuted to [N, H, W, C]
    (timm's LayerNorm2d), in float64 from the float32 inputs. Each pixel gets its own offset and
    spread, so that per-pixel statistics differ from per-sample ones."""
    torch.manual_seed(20251)
    for name, shape, eps, is_affine in [
        ("channel_norm_rank4", (2, 6, 4, 5), 1e-6, True),
        ("channel_norm_no_affine", (3, 5, 3, 3), 1e-6, False),
        ("channel_norm_eps", (2, 4, 3, 2), 1e-2, True),
    ]:
        n, c, h, w = shape
        x = randn(*shape) * uniform(n, 1, h, w, low=0.1, high=3.0) + randn(n, 1, h, w, scale=2.0)
        inputs = {"x": x}
        gamma = beta = None
        if is_affine:
            gamma, beta = affine(c)
            inputs.update(weight=gamma, bias=beta)
        pixels = x.double().permute(0, 2, 3, 1)
        y = F.layer_norm(pixels, (c,), None if gamma is None else gamma.double(), None if beta is None else beta.double(), eps)
        y = y.permute(0, 3, 1, 2)
        write(name, "channel_norm", {"epsilon": eps}, inputs, {"eval": {"y": y}, "train": {"y": y}})


def broadcast_arithmetic_cases():
    """add, sub, mul and div of operands that broadcast (a per-channel gate, both operands
    stretching) and of a tensor and a rank-0 number on either side, as `x * 0.2` and `1 - x`
    lower; from their own seed so that adding them left every earlier fixture as it was."""
    torch.manual_seed(20245)
    x = randn(2, 3, 4, 4)
    gate = torch.sigmoid(randn(2, 3, 1, 1))
    row = randn(2, 1, 4, 4)
    positive = uniform(2, 3, 4, 4, low=0.5, high=2.0)
    for name, op, a, b in [
        ("add_broadcast_gate", "add", x, randn(2, 3, 1, 1)),
        ("add_scalar", "add", x, torch.tensor(0.5)),
        ("sub_broadcast_both", "sub", row, gate),
        ("sub_scalar_left", "sub", torch.tensor(1.0), x),
        ("mul_broadcast_gate", "mul", x, gate),
        ("mul_per_channel_weight", "mul", x, randn(1, 3, 1, 1)),
        ("mul_scalar", "mul", x, torch.tensor(0.2)),
        ("div_broadcast_row", "div", x, uniform(2, 1, 4, 4, low=0.5, high=2.0)),
        ("div_scalar", "div", x, torch.tensor(1.0198039)),
        ("div_scalar_left", "div", torch.tensor(2.0), positive),
    ]:
        y = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div}[op](a, b)
        write(name, op, {}, {"a": a, "b": b}, {"y": y})


def slice_and_shuffle_cases():
    """Channel slices (`x[:, start:end]`, torch.chunk's halves among them) and torchvision's
    channel_shuffle, from their own seed so that adding them left every earlier fixture as it was."""
    from torchvision.models.shufflenetv2 import channel_shuffle

    torch.manual_seed(20252)
    images, features = randn(2, 6, 3, 4), randn(3, 7)
    first, second = images.chunk(2, dim=1)
    write("slice_chunk_first", "slice", {"starts": [0], "ends": [3], "axes": [1]}, {"x": images}, {"y": first})
    write("slice_chunk_second", "slice", {"starts": [3], "ends": [6], "axes": [1]}, {"x": images}, {"y": second})
    write("slice_rank2_middle", "slice", {"starts": [2], "ends": [5], "axes": [1]}, {"x": features}, {"y": features[:, 2:5]})
    for name, shape, groups in [("channel_shuffle_g2", (2, 6, 3, 4), 2), ("channel_shuffle_g3", (2, 12, 2, 3), 3),
                                ("channel_shuffle_g1", (1, 4, 2, 2), 1)]:
        x = randn(*shape)
        write(name, "channel_shuffle", {"groups": groups}, {"x": x}, {"y": channel_shuffle(x, groups)})


def main():
    os.makedirs(OUT, exist_ok=True)
    for stale in os.listdir(OUT):
        if stale.endswith(".json"):
            os.remove(os.path.join(OUT, stale))
    torch.manual_seed(20240)
    torch.set_grad_enabled(False)
    for make in (conv_cases, gemm_cases, pool_cases, activation_cases, batch_cases, batch_renorm_cases,
                 per_sample_cases, frn_cases, switchable_cases, weight_standardization_cases,
                 mobile_activation_cases, ceil_and_adaptive_pool_cases, channel_norm_cases,
                 clip_activation_cases, broadcast_arithmetic_cases, slice_and_shuffle_cases):
        make()


if __name__ == "__main__":
    main()
