/**
 * InstanceNormalization: each (sample, channel) plane of `[N, C, H, W]` is normalised by its own
 * mean and biased variance over H and W, then scaled and shifted per channel.
 * `nn.InstanceNorm2d(affine=True)` without running statistics (so training and inference agree)
 * and ONNX `InstanceNormalization`.
 */
import { applyScaleShift, channelLayout, channelParameter, runMoments } from "../moments.js";
import { outputTensor, type Tensor } from "../tensor.js";

/** Attributes of {@link instanceNormalization}. */
export interface InstanceNormalizationAttributes {
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number;
}

/**
 * Instance-normalises `x` `[N, C, H, W]`; `scale` and `bias` are `[C]`, or both undefined for
 * `affine: false`. Returns a new tensor, in `out` when a buffer is passed.
 */
export function instanceNormalization(
  x: Tensor,
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  attributes: InstanceNormalizationAttributes = {},
  out?: Float32Array,
): Tensor {
  const layout = channelLayout(x, [4], "instanceNormalization");
  const { n, c, inner } = layout;
  const gamma = channelParameter(scale, c, "instanceNormalization: scale");
  const beta = channelParameter(bias, c, "instanceNormalization: bias");
  const epsilon = attributes.epsilon ?? 1e-5;
  const plane = runMoments(x.data, n * c, inner);
  const a = new Float64Array(n * c);
  const b = new Float64Array(n * c);
  for (let k = 0; k < n * c; k++) {
    a[k] = (gamma?.[k % c] ?? 1) / Math.sqrt(plane.variance[k] + epsilon);
    b[k] = (beta?.[k % c] ?? 0) - plane.mean[k] * a[k];
  }
  const y = outputTensor(x.shape, out, "instanceNormalization");
  applyScaleShift(x.data, layout, a, b, true, y.data);
  return y;
}
