/**
 * BatchNormalization over the channels of `[N, C, H, W]` or the features of `[N, F]`,
 * `nn.BatchNorm2d` / `nn.BatchNorm1d` and ONNX `BatchNormalization`.
 *
 * - Inference: `y = γ (x - running_mean) / sqrt(running_var + eps) + β`.
 * - Training: normalises with the batch mean and the **biased** batch variance over (N, H, W),
 *   and returns new running statistics `(1 - momentum) · running + momentum · batch`, where the
 *   running variance takes the **unbiased** batch variance (PyTorch's behaviour).
 *
 * `momentum` is PyTorch's: the weight of the new batch. ONNX's attribute of the same name is the
 * weight of the old running value, `1 - momentum`; the ONNX emitter converts.
 */
import { applyScaleShift, channelLayout, channelMoments, channelParameter, momentumUpdate, requiredChannelParameter, type TrainingResult } from "../moments.js";
import { outputTensor, overwrittenFloats, sizeOf, type Tensor } from "../tensor.js";

/** Attributes of {@link batchNormalization}. */
export interface BatchNormalizationAttributes {
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number;
  /** Relu of the output, in the same pass (a batch norm whose relu was fused into it). */
  relu?: boolean;
}

/** Attributes of {@link batchNormalizationTraining}. */
export interface BatchNormalizationTrainingAttributes extends BatchNormalizationAttributes {
  /** Weight of the batch statistic in the running update (default 0.1, as in PyTorch). */
  momentum?: number;
}

/**
 * Inference-mode batch normalization with the running statistics. `scale` (γ) and `bias` (β) are
 * `[C]`, or both undefined for `affine: false`; returns a new tensor, in `out` when passed.
 */
export function batchNormalization(
  x: Tensor,
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  runningMean: Tensor,
  runningVar: Tensor,
  attributes: BatchNormalizationAttributes = {},
  out?: Float32Array,
): Tensor {
  const layout = channelLayout(x, [2, 4], "batchNormalization");
  const c = layout.c;
  const gamma = channelParameter(scale, c, "batchNormalization: scale");
  const beta = channelParameter(bias, c, "batchNormalization: bias");
  const mean = requiredChannelParameter(runningMean, c, "batchNormalization: running_mean");
  const variance = requiredChannelParameter(runningVar, c, "batchNormalization: running_var");
  const epsilon = attributes.epsilon ?? 1e-5;
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    a[ch] = (gamma?.[ch] ?? 1) / Math.sqrt(variance[ch] + epsilon);
    b[ch] = (beta?.[ch] ?? 0) - mean[ch] * a[ch];
  }
  const y = outputTensor(x.shape, out, "batchNormalization");
  applyScaleShift(x.data, layout, a, b, false, y.data, attributes.relu === true);
  return y;
}

/**
 * Training-mode batch normalization: normalises with the batch statistics and returns
 * `[y, running_mean, running_var]`, the statistics as new tensors; the ones passed in are not modified.
 * Throws when a channel has a single value (N·H·W = 1), whose unbiased variance is undefined.
 */
export function batchNormalizationTraining(
  x: Tensor,
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  runningMean: Tensor,
  runningVar: Tensor,
  attributes: BatchNormalizationTrainingAttributes = {},
  out?: Float32Array,
): TrainingResult {
  const layout = channelLayout(x, [2, 4], "batchNormalizationTraining");
  const c = layout.c;
  const count = layout.n * layout.inner;
  if (count < 2) {
    throw new Error(`batchNormalizationTraining: needs more than one value per channel, got input [${x.shape.join(", ")}]`);
  }
  const gamma = channelParameter(scale, c, "batchNormalizationTraining: scale");
  const beta = channelParameter(bias, c, "batchNormalizationTraining: bias");
  const mean = requiredChannelParameter(runningMean, c, "batchNormalizationTraining: running_mean");
  const variance = requiredChannelParameter(runningVar, c, "batchNormalizationTraining: running_var");
  const epsilon = attributes.epsilon ?? 1e-5;
  const momentum = attributes.momentum ?? 0.1;

  const batch = channelMoments(x.data, layout);
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  const unbiased = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    a[ch] = (gamma?.[ch] ?? 1) / Math.sqrt(batch.variance[ch] + epsilon);
    b[ch] = (beta?.[ch] ?? 0) - batch.mean[ch] * a[ch];
    unbiased[ch] = (batch.variance[ch] * count) / (count - 1);
  }
  // applyScaleShift writes every element: a pooled buffer needs no zero fill.
  const y = outputTensor(x.shape, out ?? overwrittenFloats(sizeOf(x.shape)), "batchNormalizationTraining");
  applyScaleShift(x.data, layout, a, b, false, y.data, attributes.relu === true);
  return [y, momentumUpdate(mean, batch.mean, momentum), momentumUpdate(variance, unbiased, momentum)];
}
