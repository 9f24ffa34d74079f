/**
 * Weight standardization of a conv weight `[out, in/groups, kh, kw]` or a dense weight
 * `[out, F]` (the `ws` argument of `conv` and `dense`, docs/operators.md). Each output filter k is centred and scaled over all its other values:
 *
 * - standard (Qiao 2019): `Ŵ = (W - μ_k) / sqrt(σ²_k + eps)`, eps = 1e-5;
 * - scaled (Brock 2021, NF-Nets): `Ŵ = g_k (W - μ_k) / (sqrt(fan_in) σ_k)`, fan_in the number of
 *   values per filter, with a learned gain g `[out]`.
 *
 * Variances are biased. These are weight transforms, not activations: the compiler applies them
 * to the parameters (folding them into constants at inference) and feeds the result to conv/gemm.
 * ONNX has no such op.
 */
import { runMoments } from "../moments.js";
import { assertRank, assertShape, outputTensor, sizeOf, type Tensor } from "../tensor.js";

/** Attributes of {@link weightStandardization}. */
export interface WeightStandardizationAttributes {
  /** Added to each filter's variance before the square root (default 1e-5, the language's). */
  epsilon?: number;
}

/** Standard WS: returns the standardized weight, in `out` when a buffer is passed. */
export function weightStandardization(
  weight: Tensor,
  attributes: WeightStandardizationAttributes = {},
  out?: Float32Array,
): Tensor {
  const epsilon = attributes.epsilon ?? 1e-5;
  return standardizeFilters(weight, "weightStandardization", out, (variance) => 1 / Math.sqrt(variance + epsilon));
}

/**
 * Scaled WS: returns `gain_k (W - μ_k) / (sqrt(fan_in) σ_k)`, in `out` when a buffer is passed.
 * The scaled form has no epsilon. A constant filter (σ = 0) centres to all zeros, and is left at
 * zero rather than divided into NaN.
 */
export function scaledWeightStandardization(weight: Tensor, gain: Tensor, out?: Float32Array): Tensor {
  assertRank(weight, [2, 4], "scaledWeightStandardization: weight");
  assertShape(gain, [weight.shape[0]], "scaledWeightStandardization: gain");
  const fanIn = sizeOf(weight.shape.slice(1));
  return standardizeFilters(weight, "scaledWeightStandardization", out, (variance, k) =>
    variance > 0 ? gain.data[k] / Math.sqrt(fanIn * variance) : 0,
  );
}

/** Writes `(W - μ_k) · factor(σ²_k, k)` for every filter k. */
function standardizeFilters(
  weight: Tensor,
  op: string,
  out: Float32Array | undefined,
  factor: (variance: number, filter: number) => number,
): Tensor {
  // Rank 2 is a dense weight [out, F], rank 4 a conv weight [out, in/groups, kh, kw].
  assertRank(weight, [2, 4], `${op}: weight`);
  const filters = weight.shape[0];
  const fanIn = sizeOf(weight.shape.slice(1));
  const moments = runMoments(weight.data, filters, fanIn);
  const y = outputTensor(weight.shape, out, op);
  for (let k = 0; k < filters; k++) {
    const f = factor(moments.variance[k], k);
    const mu = moments.mean[k];
    for (let i = k * fanIn, end = i + fanIn; i < end; i++) y.data[i] = (weight.data[i] - mu) * f;
  }
  return y;
}
