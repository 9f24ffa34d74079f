/**
 * Switchable normalization (Luo et al. 2018): a learned softmax-weighted mix of
 * instance, layer and batch statistics, all with biased variances.
 *
 * Per sample and channel `μ_in, σ²_in` over the spatial axes; per sample `μ_ln = mean_c μ_in` and
 * `σ²_ln = mean_c(σ²_in + μ_in²) - μ_ln²`; per channel `μ_bn, σ²_bn` over (N, H, W) in training,
 * the running values at inference. With `wm = softmax(mean_weight)` and `wv = softmax(var_weight)`
 * over (IN, LN, BN): `μ = Σ wm_k μ_k`, `σ² = Σ wv_k σ²_k`, `y = γ (x - μ) / sqrt(σ² + eps) + β`.
 * Training returns new running mean and (biased) variance, updated with `momentum` as
 * BatchNorm's are. ONNX has no such op; at inference it decomposes into reductions and `Softmax`.
 */
import { applyScaleShift, channelLayout, channelMoments, requiredChannelParameter, runMoments, momentumUpdate, type ChannelLayout, type TrainingResult } from "../moments.js";
import { assertShape, outputTensor, type Tensor } from "../tensor.js";

/** Attributes of {@link switchableNormalization}. */
export interface SwitchableNormalizationAttributes {
  /** Added to the mixed variance before the square root (default 1e-5). */
  epsilon?: number;
}

/** Attributes of {@link switchableNormalizationTraining}. */
export interface SwitchableNormalizationTrainingAttributes extends SwitchableNormalizationAttributes {
  /** Weight of the batch statistic in the running update (default 0.1). */
  momentum?: number;
}

/** The learned parameters, in the `switchable` layer's order: γ, β `[C]`; mixing logits `[3]` over (IN, LN, BN). */
export interface SwitchableParameters {
  scale: Tensor;
  bias: Tensor;
  meanWeight: Tensor;
  varWeight: Tensor;
}

/** Inference-mode switchable normalization, with the running statistics as the BN component. */
export function switchableNormalization(
  x: Tensor,
  parameters: SwitchableParameters,
  runningMean: Tensor,
  runningVar: Tensor,
  attributes: SwitchableNormalizationAttributes = {},
  out?: Float32Array,
): Tensor {
  const layout = channelLayout(x, [2, 4], "switchableNormalization");
  const mean = requiredChannelParameter(runningMean, layout.c, "switchableNormalization: running_mean");
  const variance = requiredChannelParameter(runningVar, layout.c, "switchableNormalization: running_var");
  const y = outputTensor(x.shape, out, "switchableNormalization");
  mix(x, layout, parameters, mean, variance, attributes.epsilon ?? 1e-5, y.data);
  return y;
}

/**
 * Training-mode switchable normalization: the BN component uses the batch statistics; returns
 * `[y, running_mean, running_var]`, the statistics as new tensors (the inputs are not modified).
 */
export function switchableNormalizationTraining(
  x: Tensor,
  parameters: SwitchableParameters,
  runningMean: Tensor,
  runningVar: Tensor,
  attributes: SwitchableNormalizationTrainingAttributes = {},
  out?: Float32Array,
): TrainingResult {
  const layout = channelLayout(x, [2, 4], "switchableNormalizationTraining");
  const mean = requiredChannelParameter(runningMean, layout.c, "switchableNormalizationTraining: running_mean");
  const variance = requiredChannelParameter(runningVar, layout.c, "switchableNormalizationTraining: running_var");
  const momentum = attributes.momentum ?? 0.1;
  const batch = channelMoments(x.data, layout);
  const y = outputTensor(x.shape, out, "switchableNormalizationTraining");
  mix(x, layout, parameters, batch.mean, batch.variance, attributes.epsilon ?? 1e-5, y.data);
  return [y, momentumUpdate(mean, batch.mean, momentum), momentumUpdate(variance, batch.variance, momentum)];
}

/** Mixes the IN and LN statistics of `x` with the given BN statistics and normalises into `dst`. */
function mix(
  x: Tensor,
  layout: ChannelLayout,
  parameters: SwitchableParameters,
  bnMean: ArrayLike<number>,
  bnVar: ArrayLike<number>,
  epsilon: number,
  dst: Float32Array,
): void {
  const { n, c, inner } = layout;
  const gamma = requiredChannelParameter(parameters.scale, c, "switchableNormalization: weight");
  const beta = requiredChannelParameter(parameters.bias, c, "switchableNormalization: bias");
  const wm = softmax3(parameters.meanWeight, "switchableNormalization: mean_weight");
  const wv = softmax3(parameters.varWeight, "switchableNormalization: var_weight");
  const instance = runMoments(x.data, n * c, inner);
  const a = new Float64Array(n * c);
  const b = new Float64Array(n * c);
  for (let s = 0; s < n; s++) {
    let lnMean = 0;
    let lnSquares = 0;
    for (let ch = 0; ch < c; ch++) {
      const k = s * c + ch;
      lnMean += instance.mean[k];
      lnSquares += instance.variance[k] + instance.mean[k] * instance.mean[k];
    }
    lnMean /= c;
    const lnVar = lnSquares / c - lnMean * lnMean;
    for (let ch = 0; ch < c; ch++) {
      const k = s * c + ch;
      const mu = wm[0] * instance.mean[k] + wm[1] * lnMean + wm[2] * bnMean[ch];
      const sigma2 = wv[0] * instance.variance[k] + wv[1] * lnVar + wv[2] * bnVar[ch];
      a[k] = gamma[ch] / Math.sqrt(sigma2 + epsilon);
      b[k] = beta[ch] - mu * a[k];
    }
  }
  applyScaleShift(x.data, layout, a, b, true, dst);
}

/** The softmax of a `[3]` logit tensor, computed stably in double. */
function softmax3(logits: Tensor, what: string): [number, number, number] {
  assertShape(logits, [3], what);
  const [l0, l1, l2] = logits.data;
  const m = Math.max(l0, l1, l2);
  const e0 = Math.exp(l0 - m);
  const e1 = Math.exp(l1 - m);
  const e2 = Math.exp(l2 - m);
  const sum = e0 + e1 + e2;
  return [e0 / sum, e1 / sum, e2 / sum];
}
