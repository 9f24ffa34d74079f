"""Synthetic, reproducible tensors for the end-to-end fixtures: the Python half of a generator
that test/support/synthetic.ts implements bit for bit in TypeScript.

Committing real weights would be too big (ResNet-18 alone has 11.7M parameters), so every weight
and input of the end-to-end fixtures (scripts/torch_e2e.py, test/fixtures/e2e/) is a pure
function of the tensor's name, shape and role, computed with exact integer arithmetic:

1. Seed. seed = FNV-1a 32-bit over the UTF-8 bytes of the tensor's name: h = 0x811c9dc5; for each
   byte b: h = ((h XOR b) * 0x01000193) mod 2^32. The name is the nnc parameter name (docs/operators.md, "Parameter names")
   (`Basic0.conv0.weight`), or `input:<k>` for the model's k-th tensor input (from 0, in
   declaration order).

2. Stream. Element i (0-based, row-major) gets the 32-bit word u_i, a counter-based splitmix32
   with Chris Wellons' `lowbias32` finalizer (all arithmetic mod 2^32, `>>` logical):
       x = seed + (i + 1) * 0x9e3779b9
       x ^= x >> 16; x *= 0x7feb352d
       x ^= x >> 15; x *= 0x846ca68b
       x ^= x >> 16
       u_i = x
   Being counter-based, it vectorizes (numpy here, a plain loop with Math.imul in TypeScript).

3. Uniform. f_i = (u_i >> 8) / 2^24, exactly representable, in [0, 1).

4. Range. value_i = float32(lo + (hi - lo) * f_i), where lo, hi and the arithmetic are IEEE
   float64 (no fused multiply-add), rounded once to float32 (round to nearest even).

5. Role, hence [lo, hi), from the leaf name (after the last dot) and the shape:
       input (`input:<k>`)                  [-1, 1)
       `weight` of rank >= 2 (conv, dense)  [-w, w), w = sqrt(6 / fan_in), fan_in = prod(shape[1:])
                                            (He: kaiming_uniform with the relu gain)
       `bias` next to such a weight         [-b, b), b = 1 / sqrt(fan_in) of that weight (PyTorch's
                                            bias init)
       `weight` of rank 1, prelu            [0, 0.5)   (the layer segment is `prelu<k>`)
       `weight` of rank 1, otherwise (γ)    [0.5, 1.5)
       `bias` otherwise (β)                 [-0.5, 0.5)
       `running_mean`                       [-0.5, 0.5)
       `running_var`                        [0.5, 2)
       `running_std`                        [0.7, 1.4)
       `gain`                               [0.5, 1.5)
       `tau`                                [-0.5, 0)
       `mean_weight`, `var_weight`          [-1, 1)
   "Next to" means: the same layer path holds a `weight` of rank >= 2 (conv/dense). w and b are
   computed in float64 as sqrt(6 / fan_in) and 1 / sqrt(fan_in) (division and sqrt are correctly
   rounded in both languages). Why He rather than PyTorch's default weight bound 1/sqrt(fan_in):
   with the default, each conv shrinks the signal by sqrt(3) while eval-mode BatchNorm divides by
   the synthetic running variance instead of renormalizing, so after a few layers the output no
   longer depended on the input (VGG: by less than 1e-3 of its scale) and a broken early layer
   would hide below the tolerance. With He bounds every example's output moves by 10-70% of its
   scale with the input (`input_sensitivity` in the fixtures).

6. Checksum of a tensor: CRC-32 (zlib's, as Python's zlib.crc32 and Node's zlib.crc32 compute it)
   of its float32 little-endian bytes, as an unsigned integer.

Usage as a library: synthetic_tensor(name, shape, lo, hi), synthetic_range(name, shape, params),
synthetic_weights(params), synthetic_input(k, shape), checksum(array).
"""
import math
import sys
import zlib

import numpy as np

sys.dont_write_bytecode = True

MASK = 0xFFFFFFFF
GOLDEN = 0x9E3779B9

INPUT_RANGE = (-1.0, 1.0)
FIXED_RANGES = {
    "running_mean": (-0.5, 0.5),
    "running_var": (0.5, 2.0),
    "running_std": (0.7, 1.4),
    "gain": (0.5, 1.5),
    "tau": (-0.5, 0.0),
    "mean_weight": (-1.0, 1.0),
    "var_weight": (-1.0, 1.0),
}
GAMMA_RANGE = (0.5, 1.5)
BETA_RANGE = (-0.5, 0.5)
PRELU_RANGE = (0.0, 0.5)


def fnv1a32(name):
    """FNV-1a, 32 bits, over the UTF-8 bytes of `name`."""
    h = 0x811C9DC5
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & MASK
    return h


def words(name, count):
    """The uint32 stream u_0 … u_{count-1} of `name` (step 2)."""
    seed = np.uint32(fnv1a32(name))
    with np.errstate(over="ignore"):
        i = np.arange(1, count + 1, dtype=np.uint64)
        x = ((np.uint64(seed) + i * np.uint64(GOLDEN)) & np.uint64(MASK)).astype(np.uint32)
        x ^= x >> np.uint32(16)
        x *= np.uint32(0x7FEB352D)
        x ^= x >> np.uint32(15)
        x *= np.uint32(0x846CA68B)
        x ^= x >> np.uint32(16)
    return x


def synthetic_tensor(name, shape, lo, hi):
    """A float32 array of `shape`, uniform in [lo, hi), a pure function of `name` (steps 1–4)."""
    count = int(np.prod(shape, dtype=np.int64)) if len(shape) else 1
    f = (words(name, count) >> np.uint32(8)).astype(np.float64) / float(1 << 24)
    lo, hi = float(lo), float(hi)
    return (lo + (hi - lo) * f).astype(np.float32).reshape(shape)


def fan_in(shape):
    return int(np.prod(shape[1:], dtype=np.int64))


def weight_bound(shape):
    """The bound of a conv or dense weight: sqrt(6 / fan_in) (He / kaiming_uniform, relu gain)."""
    return math.sqrt(6.0 / fan_in(shape))


def bias_bound(shape):
    """The bound of the bias next to a conv or dense weight of `shape`: 1 / sqrt(fan_in)."""
    return 1.0 / math.sqrt(fan_in(shape))


def synthetic_range(name, shape, params):
    """[lo, hi) of parameter `name` (step 5); `params` is every (name, shape) of the model."""
    layer, _, leaf = name.rpartition(".")
    if leaf in FIXED_RANGES:
        return FIXED_RANGES[leaf]
    if leaf == "weight":
        if len(shape) >= 2:
            b = weight_bound(shape)
            return (-b, b)
        if layer.rpartition(".")[2].startswith("prelu") and layer.rpartition(".")[2][5:].isdigit():
            return PRELU_RANGE
        return GAMMA_RANGE
    if leaf == "bias":
        sibling = (layer + "." if layer else "") + "weight"
        for other, other_shape in params:
            if other == sibling and len(other_shape) >= 2:
                b = bias_bound(other_shape)
                return (-b, b)
        return BETA_RANGE
    raise ValueError(f"synthetic: no role for parameter {name!r}")


def synthetic_weights(params):
    """name -> float32 array for every (name, shape) in `params` (nnc names, declaration order)."""
    params = [(name, list(shape)) for name, shape in params]
    return {name: synthetic_tensor(name, shape, *synthetic_range(name, shape, params)) for name, shape in params}


def synthetic_input(k, shape):
    """The model's k-th tensor input (`input:<k>`), uniform in [-1, 1)."""
    return synthetic_tensor(f"input:{k}", shape, *INPUT_RANGE)


def checksum(array):
    """CRC-32 of the float32 little-endian bytes (step 6)."""
    return zlib.crc32(np.ascontiguousarray(array, dtype="<f4").tobytes()) & MASK
