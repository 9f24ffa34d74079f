/**
 * Backward kernels of the activations, prelu, maxout, softmax and log_softmax, as PyTorch's
 * autograd computes them (`derivatives.yaml` and the CPU kernels behind it), with `g` the
 * output's gradient:
 *
 * - `Relu` (reads y): `y > 0 ? g : 0`, so ReLU'(0) = 0 (`threshold_backward`);
 * - `Sigmoid` (reads y): `g·(1 − y)·y`; `Tanh` (reads y): `g·(1 − y²)`;
 * - `Gelu` (reads x): `g·(Φ(x) + x·φ(x))`; `Silu` (reads x): `g·s·(1 + x·(1 − s))`, s = σ(x);
 * - `LeakyRelu` (reads x): `x > 0 ? g : α·g`, so α at 0;
 * - `Elu` (reads x): `x <= 0 ? α·g·eˣ : g`, so α at 0 (the input, not the output, as the
 *   out-of-place `F.elu` does: `y + α` loses the precision of eˣ where y nears −α);
 * - `Clip` (relu6, hardtanh, reads x): `x <= min || x >= max ? 0 : g`, so 0 at both bounds
 *   (`hardtanh_backward`, which `F.relu6` runs); with `bound_gradient` 1 (clamp),
 *   `x >= min && x <= max ? g : 0`, so g at both bounds (`torch.clamp`'s backward);
 * - `HardSwish` (reads x): `x < −3 ? 0 : x <= 3 ? g·(x/3 + 1/2) : g`, so −g/2 at −3 and 3g/2 at
 *   3 (`hardswish_backward`);
 * - `HardSigmoid` (reads x): `0 < alpha·x + beta < 1 ? alpha·g : 0`, so 0 at both kinks (−3 and 3
 *   for nn.Hardsigmoid's alpha 1/6 and beta 1/2: `hardsigmoid_backward`);
 * - `PRelu` (reads x, slope): `dx = x > 0 ? g : a·g`, `da = Σ (x > 0 ? 0 : x·g)` over every
 *   element a slope serves;
 * - `Maxout` (reads x, y): the reference is `amax` over the pieces axis, whose backward splits
 *   `g` evenly among the pieces equal to the maximum (`g / count` each);
 * - `Softmax` (reads y): `y·(g − Σ_c g·y)`; `LogSoftmax` (reads y): `g − eʸ·Σ_c g`.
 *
 * Each takes the output's gradient, what the forward node saved, and the node's attributes, and
 * returns the wanted gradients in input order. Arithmetic runs in double and rounds once to
 * float32; the comparisons are written as PyTorch's, so a NaN takes the same branch.
 */
import type { BackwardAttributes } from "./attributes.js";
import { bitsOf } from "../float-bits.js";
import { ELU_ALPHA } from "../kernels/elu.js";
import { erf } from "../kernels/gelu.js";
import { LEAKY_RELU_ALPHA } from "../kernels/leaky-relu.js";
import type { MaxoutAttributes } from "../kernels/maxout.js";
import { sigmoidScalar } from "../kernels/sigmoid.js";
import { pointwiseHeap } from "../linalg/wasm-products.js";
import { freshFloats, overwrittenFloats, sizeOf, type Tensor } from "../tensor.js";

/** 1/√(2π), the scale of the standard normal density. */
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** Checks that the gradient `dy` and the saved tensor `saved` have the same shape. */
function checkSameShape(dy: Tensor, saved: Tensor, what: string): void {
  const same = dy.shape.length === saved.shape.length && dy.shape.every((d, i) => d === saved.shape[i]);
  if (!same || dy.data.length !== sizeOf(dy.shape) || saved.data.length !== dy.data.length) {
    throw new Error(`${what}: the gradient [${dy.shape.join(", ")}] and the saved tensor [${saved.shape.join(", ")}] differ`);
  }
}

/**
 * A tensor shaped like `dy` for a gradient that the kernel writes in full (its values are not
 * zeroed), once `dy` and `saved` are checked to have the same shape.
 */
function gradientLike(dy: Tensor, saved: Tensor, what: string): Tensor {
  checkSameShape(dy, saved, what);
  return { shape: [...dy.shape], data: overwrittenFloats(dy.data.length) };
}

/**
 * The gradient of `Relu` from its output `y`: `y <= 0 ? 0 : g`, so a NaN output passes its
 * gradient. The loop selects on the bit patterns, without a branch (`float-bits.ts`): `y <= 0`
 * is +0 (bits 0), or −0 down to −∞ (as int32, `0x80000000` up to `0xff800000`, i.e. at most
 * −2²³ = −8388608; the negative NaNs lie between that and −1). A large tensor runs in
 * WebAssembly (`ProductHeap.pointwise`), to the same bits.
 */
export function reluBackward(dy: Tensor, y: Tensor): Tensor[] {
  const dx = gradientLike(dy, y, "reluBackward");
  const heap = pointwiseHeap(dx.data.length);
  if (heap !== undefined) {
    heap.pointwise("reluBackward", [dy.data, y.data], dx.data);
    return [dx];
  }
  const [g, v, d] = [bitsOf(dy.data), bitsOf(y.data), bitsOf(dx.data)];
  for (let i = 0; i < d.length; i++) {
    const b = v[i];
    // -1 where b is not +0 (b or -b is negative), and -1 where b <= -8388608 (b and b + 8388607 are negative).
    const nonzero = (b | ((0 - b) | 0)) >> 31;
    const negative = (((b + 8388607) | 0) & b) >> 31;
    d[i] = g[i] & nonzero & ~negative;
  }
  return [dx];
}

/**
 * The gradient of `Sigmoid` from its output `y`: `(dy · (1 − y)) · y`, each operation rounded to
 * float32 as PyTorch's `sigmoid_backward` rounds it. A large tensor runs in WebAssembly
 * (`ProductHeap.pointwise`), to the same bits.
 */
export function sigmoidBackward(dy: Tensor, y: Tensor): Tensor[] {
  const dx = gradientLike(dy, y, "sigmoidBackward");
  const heap = pointwiseHeap(dx.data.length);
  if (heap !== undefined) {
    heap.pointwise("sigmoidBackward", [dy.data, y.data], dx.data);
    return [dx];
  }
  const [g, v, d] = [dy.data, y.data, dx.data];
  const f = Math.fround;
  for (let i = 0; i < d.length; i++) d[i] = f(g[i] * f(1 - v[i])) * v[i];
  return [dx];
}

/**
 * The gradient of `Tanh` from its output `y`: `dy · (1 − y·y)`, each operation rounded to float32
 * as PyTorch's `tanh_backward` rounds it. A large tensor runs in WebAssembly
 * (`ProductHeap.pointwise`), to the same bits.
 */
export function tanhBackward(dy: Tensor, y: Tensor): Tensor[] {
  const dx = gradientLike(dy, y, "tanhBackward");
  const heap = pointwiseHeap(dx.data.length);
  if (heap !== undefined) {
    heap.pointwise("tanhBackward", [dy.data, y.data], dx.data);
    return [dx];
  }
  const [g, v, d] = [dy.data, y.data, dx.data];
  const f = Math.fround;
  for (let i = 0; i < d.length; i++) d[i] = g[i] * f(1 - f(v[i] * v[i]));
  return [dx];
}

/** The gradient of the exact (erf) `Gelu` from its input `x`. */
export function geluBackward(dy: Tensor, x: Tensor): Tensor[] {
  const dx = gradientLike(dy, x, "geluBackward");
  const [g, v, d] = [dy.data, x.data, dx.data];
  for (let i = 0; i < d.length; i++) {
    const cdf = 0.5 * (1 + erf(v[i] * Math.SQRT1_2));
    const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v[i] * v[i]);
    d[i] = g[i] * (cdf + v[i] * pdf);
  }
  return [dx];
}

/** The gradient of `Silu` from its input `x`. */
export function siluBackward(dy: Tensor, x: Tensor): Tensor[] {
  const dx = gradientLike(dy, x, "siluBackward");
  const [g, v, d] = [dy.data, x.data, dx.data];
  for (let i = 0; i < d.length; i++) {
    const s = sigmoidScalar(v[i]);
    d[i] = g[i] * s * (1 + v[i] * (1 - s));
  }
  return [dx];
}

/** The gradient of `LeakyRelu` from its input `x`. */
export function leakyReluBackward(dy: Tensor, x: Tensor, attributes: BackwardAttributes<{ alpha?: number }> = {}): Tensor[] {
  const alpha = attributes.alpha ?? LEAKY_RELU_ALPHA;
  const dx = gradientLike(dy, x, "leakyReluBackward");
  const [g, v, d] = [dy.data, x.data, dx.data];
  for (let i = 0; i < d.length; i++) d[i] = v[i] > 0 ? g[i] : g[i] * alpha;
  return [dx];
}

/** The gradient of `Elu` from its input `x`. */
export function eluBackward(dy: Tensor, x: Tensor, attributes: BackwardAttributes<{ alpha?: number }> = {}): Tensor[] {
  const alpha = attributes.alpha ?? ELU_ALPHA;
  const dx = gradientLike(dy, x, "eluBackward");
  const [g, v, d] = [dy.data, x.data, dx.data];
  for (let i = 0; i < d.length; i++) d[i] = v[i] <= 0 ? g[i] * alpha * Math.exp(v[i]) : g[i];
  return [dx];
}

/**
 * The gradient of `Clip` (relu6, hardtanh, clamp) from its input `x`: zero outside the open
 * interval (min, max), and on its bounds unless `bound_gradient` is 1 (clamp's closed interval).
 * A NaN input passes its gradient in hardtanh's form and none in clamp's, as in PyTorch.
 */
export function clipBackward(
  dy: Tensor,
  x: Tensor,
  attributes: BackwardAttributes<{ min?: number; max?: number; bound_gradient?: number }> = {},
): Tensor[] {
  const min = attributes.min ?? -Infinity;
  const max = attributes.max ?? Infinity;
  const dx = gradientLike(dy, x, "clipBackward");
  const [g, v, d] = [dy.data, x.data, dx.data];
  if (attributes.bound_gradient === 1) for (let i = 0; i < d.length; i++) d[i] = v[i] >= min && v[i] <= max ? g[i] : 0;
  else for (let i = 0; i < d.length; i++) d[i] = v[i] <= min || v[i] >= max ? 0 : g[i];
  return [dx];
}

/** The gradient of `HardSwish` from its input `x`. */
export function hardswishBackward(dy: Tensor, x: Tensor): Tensor[] {
  const dx = gradientLike(dy, x, "hardswishBackward");
  const [g, v, d] = [dy.data, x.data, dx.data];
  for (let i = 0; i < d.length; i++) d[i] = v[i] < -3 ? 0 : v[i] <= 3 ? g[i] * (v[i] / 3 + 0.5) : g[i];
  return [dx];
}

/** The gradient of `HardSigmoid` from its input `x` (ONNX's default alpha and beta when absent). */
export function hardsigmoidBackward(dy: Tensor, x: Tensor, attributes: BackwardAttributes<{ alpha?: number; beta?: number }> = {}): Tensor[] {
  const alpha = attributes.alpha ?? 0.2;
  const beta = attributes.beta ?? 0.5;
  const dx = gradientLike(dy, x, "hardsigmoidBackward");
  const [g, v, d] = [dy.data, x.data, dx.data];
  for (let i = 0; i < d.length; i++) {
    const t = alpha * v[i] + beta;
    d[i] = t > 0 && t < 1 ? g[i] * alpha : 0;
  }
  return [dx];
}

/** Attributes of {@link preluBackward}: which of `[x, slope]` want a gradient (default both). */
export interface PreluBackwardAttributes {
  wants?: readonly number[];
}

/**
 * The gradients of `PRelu(x, slope)` wanted by `wants`, in input order: `dx` shaped like `x`,
 * and `dslope` shaped like the slope (`[C]` per channel of axis 1, or `[1]` shared), each slope's
 * sum taken in double over the batch and the positions it serves.
 */
export function preluBackward(dy: Tensor, x: Tensor, slope: Tensor, attributes: BackwardAttributes<PreluBackwardAttributes> = {}): Tensor[] {
  const [wantsX, wantsSlope] = attributes.wants ?? [1, 1];
  const dx = gradientLike(dy, x, "preluBackward");
  if (x.shape.length < 2) throw new Error(`preluBackward: input needs rank 2 or more, got [${x.shape.join(", ")}]`);
  const channels = x.shape[1];
  const count = slope.data.length;
  if (slope.shape.length !== 1 || (count !== 1 && count !== channels)) {
    throw new Error(`preluBackward: slope [${slope.shape.join(", ")}] needs 1 or the ${channels} channels`);
  }
  const inner = sizeOf(x.shape.slice(2));
  const planes = inner === 0 ? 0 : x.data.length / inner;
  const sums = new Float64Array(count);
  const [g, v, d, a] = [dy.data, x.data, dx.data, slope.data];
  for (let plane = 0; plane < planes; plane++) {
    const c = count === 1 ? 0 : plane % channels;
    const weight = a[c];
    let sum = 0;
    for (let i = plane * inner, end = i + inner; i < end; i++) {
      if (v[i] > 0) {
        d[i] = g[i];
      } else {
        d[i] = weight * g[i];
        sum += v[i] * g[i];
      }
    }
    sums[c] += sum;
  }
  const result: Tensor[] = [];
  if (wantsX) result.push(dx);
  if (wantsSlope) result.push({ shape: [...slope.shape], data: Float32Array.from(sums) });
  return result;
}

/**
 * The gradient of `Maxout(x)` from `x` and its output `y`: each output element's gradient is
 * shared evenly by the pieces equal to its maximum (`amax`'s backward). Where the maximum is NaN
 * no piece equals it and, as in PyTorch (`g / 0 · 0`), the whole group's gradient is NaN.
 */
export function maxoutBackward(dy: Tensor, x: Tensor, y: Tensor, attributes: BackwardAttributes<MaxoutAttributes> = {}): Tensor[] {
  const pieces = attributes.pieces ?? 2;
  checkSameShape(dy, y, "maxoutBackward");
  const [n, c] = x.shape;
  if (x.shape.length < 2 || y.shape[0] !== n || y.shape[1] * pieces !== c || x.data.length !== y.data.length * pieces) {
    throw new Error(`maxoutBackward: input [${x.shape.join(", ")}] and output [${y.shape.join(", ")}] do not match ${pieces} pieces`);
  }
  const inner = sizeOf(x.shape.slice(2));
  const dx: Tensor = { shape: [...x.shape], data: freshFloats(x.data.length) };
  const [g, v, m, d] = [dy.data, x.data, y.data, dx.data];
  const ties = new Float64Array(inner);
  for (let group = 0; group < n * (c / pieces); group++) {
    const from = group * pieces * inner;
    const to = group * inner;
    ties.fill(0);
    for (let k = 0; k < pieces; k++) {
      const plane = from + k * inner;
      for (let i = 0; i < inner; i++) if (v[plane + i] === m[to + i]) ties[i]++;
    }
    for (let k = 0; k < pieces; k++) {
      const plane = from + k * inner;
      for (let i = 0; i < inner; i++) d[plane + i] = (v[plane + i] === m[to + i] ? 1 : 0) * (g[to + i] / ties[i]);
    }
  }
  return [dx];
}

/** The gradient of `Softmax` over axis 1 from its output `y`: `y·(g − Σ_c g·y)`. */
export function softmaxBackward(dy: Tensor, y: Tensor): Tensor[] {
  return [axis1Backward(dy, y, false, "softmaxBackward")];
}

/** The gradient of `LogSoftmax` over axis 1 from its output `y`: `g − eʸ·Σ_c g`. */
export function logSoftmaxBackward(dy: Tensor, y: Tensor): Tensor[] {
  return [axis1Backward(dy, y, true, "logSoftmaxBackward")];
}

/**
 * The gradient of softmax (or its logarithm) over axis 1 from its output. The channels of one
 * position lie `inner` apart, so, as in the forward, the passes run over whole planes with a
 * per-position sum (`Σ_c g·y`, or `Σ_c g`) in a double scratch array.
 */
function axis1Backward(dy: Tensor, y: Tensor, logarithm: boolean, what: string): Tensor {
  const dx = gradientLike(dy, y, what);
  if (y.shape.length < 2) throw new Error(`${what}: output needs rank 2 or more, got [${y.shape.join(", ")}]`);
  const [n, c] = y.shape;
  const inner = sizeOf(y.shape.slice(2));
  const [g, v, d] = [dy.data, y.data, dx.data];
  const sum = new Float64Array(inner);
  for (let b = 0; b < n; b++) {
    const base = b * c * inner;
    sum.fill(0);
    for (let plane = base; plane < base + c * inner; plane += inner) {
      if (logarithm) for (let i = 0; i < inner; i++) sum[i] += g[plane + i];
      else for (let i = 0; i < inner; i++) sum[i] += g[plane + i] * v[plane + i];
    }
    for (let plane = base; plane < base + c * inner; plane += inner) {
      if (logarithm) for (let i = 0; i < inner; i++) d[plane + i] = g[plane + i] - Math.exp(v[plane + i]) * sum[i];
      else for (let i = 0; i < inner; i++) d[plane + i] = v[plane + i] * (g[plane + i] - sum[i]);
    }
  }
  return dx;
}
