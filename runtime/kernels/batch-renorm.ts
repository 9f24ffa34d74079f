/**
 * Batch renormalization (Ioffe 2017) over the channels of `[N, C, H, W]` or `[N, F]`, as the
 * `batch_renorm` layer defines it (docs/operators.md). ONNX has no such op; at inference it is exactly a BatchNormalization with
 * `var = running_std²` and `eps = 0`, which is how it folds and exports.
 *
 * - Training: `σ_b = sqrt(var_b + eps)` (biased batch variance), `r = clip(σ_b / σ, 1/rmax, rmax)`,
 *   `d = clip((μ_b - μ) / σ, -dmax, dmax)`, `y = γ ((x - μ_b) / σ_b · r + d) + β`; then
 *   `μ += momentum (μ_b - μ)` and `σ += momentum (σ_b - σ)`, returned as new tensors.
 * - Inference: `y = γ (x - μ) / σ + β`, with no epsilon: σ already includes it.
 */
import { applyScaleShift, channelLayout, channelMoments, channelParameter, momentumUpdate, requiredChannelParameter, type TrainingResult } from "../moments.js";
import { outputTensor, type Tensor } from "../tensor.js";

/** Attributes of {@link batchRenormTraining}; defaults are the `batch_renorm` layer's. */
export interface BatchRenormTrainingAttributes {
  /** Added to the batch variance (default 1e-5). */
  epsilon?: number;
  /** Weight of the batch statistic in the running update (default 0.01). */
  momentum?: number;
  /** Bound on the scale correction r, clipped to [1/rmax, rmax] (default 3). */
  rmax?: number;
  /** Bound on the shift correction d, clipped to [-dmax, dmax] (default 5). */
  dmax?: number;
}

/** Inference-mode batch renormalization with the running mean and standard deviation. */
export function batchRenorm(
  x: Tensor,
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  runningMean: Tensor,
  runningStd: Tensor,
  out?: Float32Array,
): Tensor {
  const layout = channelLayout(x, [2, 4], "batchRenorm");
  const c = layout.c;
  const gamma = channelParameter(scale, c, "batchRenorm: scale");
  const beta = channelParameter(bias, c, "batchRenorm: bias");
  const mean = requiredChannelParameter(runningMean, c, "batchRenorm: running_mean");
  const std = requiredChannelParameter(runningStd, c, "batchRenorm: running_std");
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    a[ch] = (gamma?.[ch] ?? 1) / std[ch];
    b[ch] = (beta?.[ch] ?? 0) - mean[ch] * a[ch];
  }
  const y = outputTensor(x.shape, out, "batchRenorm");
  applyScaleShift(x.data, layout, a, b, false, y.data);
  return y;
}

/**
 * Training-mode batch renormalization: returns `[y, running_mean, running_std]`, the statistics as
 * new tensors; the ones passed in are not modified.
 */
export function batchRenormTraining(
  x: Tensor,
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  runningMean: Tensor,
  runningStd: Tensor,
  attributes: BatchRenormTrainingAttributes = {},
  out?: Float32Array,
): TrainingResult {
  const layout = channelLayout(x, [2, 4], "batchRenormTraining");
  const c = layout.c;
  const gamma = channelParameter(scale, c, "batchRenormTraining: scale");
  const beta = channelParameter(bias, c, "batchRenormTraining: bias");
  const mean = requiredChannelParameter(runningMean, c, "batchRenormTraining: running_mean");
  const std = requiredChannelParameter(runningStd, c, "batchRenormTraining: running_std");
  const epsilon = attributes.epsilon ?? 1e-5;
  const momentum = attributes.momentum ?? 0.01;
  const rmax = attributes.rmax ?? 3;
  const dmax = attributes.dmax ?? 5;

  const batch = channelMoments(x.data, layout);
  const batchStd = new Float64Array(c);
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const sigmaB = Math.sqrt(batch.variance[ch] + epsilon);
    const r = clip(sigmaB / std[ch], 1 / rmax, rmax);
    const d = clip((batch.mean[ch] - mean[ch]) / std[ch], -dmax, dmax);
    const g = gamma?.[ch] ?? 1;
    // y = γ ((x - μ_b) / σ_b · r + d) + β, regrouped as x · a + b.
    a[ch] = (g * r) / sigmaB;
    b[ch] = (beta?.[ch] ?? 0) + g * d - batch.mean[ch] * a[ch];
    batchStd[ch] = sigmaB;
  }
  const y = outputTensor(x.shape, out, "batchRenormTraining");
  applyScaleShift(x.data, layout, a, b, false, y.data);
  return [y, momentumUpdate(mean, batch.mean, momentum), momentumUpdate(std, batchStd, momentum)];
}

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}
