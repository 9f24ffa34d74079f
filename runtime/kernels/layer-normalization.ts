/**
 * Layer normalization: each sample is normalised by the mean and biased variance of all its
 * non-batch values, then scaled and shifted **per channel** (docs/language.md, "Normalizers"):
 *
 * - `[N, C, H, W]`: `nn.GroupNorm(1, C)` semantics, statistics over (C, H, W), γ and β `[C]`.
 *   (This is not ONNX `LayerNormalization` over axis 1, whose affine would be `[C, H, W]`.)
 * - `[N, F]`: `nn.LayerNorm(F)`, statistics over F, γ and β `[F]`.
 *
 * It uses no running statistics, so training and inference compute the same thing.
 */
import { applyScaleShift, channelLayout, channelParameter, runMoments } from "../moments.js";
import { outputTensor, type Tensor } from "../tensor.js";

/** Attributes of {@link layerNormalization}. */
export interface LayerNormalizationAttributes {
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number;
}

/**
 * Layer-normalises `x`; `scale` and `bias` are `[C]` (or `[F]`), or both undefined for
 * `affine: false`. Returns a new tensor, in `out` when a buffer is passed.
 */
export function layerNormalization(
  x: Tensor,
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  attributes: LayerNormalizationAttributes = {},
  out?: Float32Array,
): Tensor {
  const layout = channelLayout(x, [2, 4], "layerNormalization");
  const { n, c, inner } = layout;
  const gamma = channelParameter(scale, c, "layerNormalization: scale");
  const beta = channelParameter(bias, c, "layerNormalization: bias");
  const epsilon = attributes.epsilon ?? 1e-5;
  const sample = runMoments(x.data, n, c * inner);
  const a = new Float64Array(n * c);
  const b = new Float64Array(n * c);
  for (let s = 0; s < n; s++) {
    const inv = 1 / Math.sqrt(sample.variance[s] + epsilon);
    for (let ch = 0; ch < c; ch++) {
      a[s * c + ch] = (gamma?.[ch] ?? 1) * inv;
      b[s * c + ch] = (beta?.[ch] ?? 0) - sample.mean[s] * a[s * c + ch];
    }
  }
  const y = outputTensor(x.shape, out, "layerNormalization");
  applyScaleShift(x.data, layout, a, b, true, y.data);
  return y;
}
