/**
 * ChannelNormalization (nnc's own operator): each pixel of `[N, C, H, W]` is normalised by the
 * mean and biased variance of its C channel values, then scaled and shifted per channel:
 *
 *     y[n, c, h, w] = γ_c · (x[n, c, h, w] − μ[n, h, w]) / sqrt(σ²[n, h, w] + eps) + β_c
 *
 * ConvNeXt's LayerNorm over channels: `nn.LayerNorm(C)` on the input permuted to
 * `[N, H, W, C]` (timm's and torchvision's `LayerNorm2d`), and ONNX `LayerNormalization`
 * (axis −1) between two Transposes. Unlike `layerNormalization` on images, the statistics are
 * per pixel, not per sample. It uses no running statistics, so training and inference agree.
 */
import { channelLayout, channelParameter } from "../moments.js";
import { outputTensor, type Tensor } from "../tensor.js";

/** Attributes of {@link channelNormalization}. */
export interface ChannelNormalizationAttributes {
  /** Added to the variance before the square root (default 1e-6, ConvNeXt's). */
  epsilon?: number;
}

/** The per-pixel mean and `1 / sqrt(σ² + eps)` of sample `s`, each `[inner]`. */
export interface PixelStatistics {
  readonly mean: Float64Array;
  readonly inv: Float64Array;
}

/**
 * The statistics of every pixel of sample `s` over its `c` channels, in double with two passes
 * (mean, then squared deviations); channel planes are read in order, so every pass is sequential.
 */
export function pixelStatistics(data: Float32Array, s: number, c: number, inner: number, epsilon: number): PixelStatistics {
  const mean = new Float64Array(inner);
  const inv = new Float64Array(inner);
  const base = s * c * inner;
  for (let ch = 0; ch < c; ch++) {
    const plane = base + ch * inner;
    for (let p = 0; p < inner; p++) mean[p] += data[plane + p];
  }
  for (let p = 0; p < inner; p++) mean[p] /= c;
  for (let ch = 0; ch < c; ch++) {
    const plane = base + ch * inner;
    for (let p = 0; p < inner; p++) {
      const d = data[plane + p] - mean[p];
      inv[p] += d * d;
    }
  }
  for (let p = 0; p < inner; p++) inv[p] = 1 / Math.sqrt(inv[p] / c + epsilon);
  return { mean, inv };
}

/**
 * Normalises every pixel of `x` `[N, C, H, W]` over its channels; `scale` and `bias` are `[C]`,
 * or both undefined for `affine: false`. Returns a new tensor, in `out` when a buffer is passed.
 */
export function channelNormalization(
  x: Tensor,
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  attributes: ChannelNormalizationAttributes = {},
  out?: Float32Array,
): Tensor {
  const { n, c, inner } = channelLayout(x, [4], "channelNormalization");
  const gamma = channelParameter(scale, c, "channelNormalization: scale");
  const beta = channelParameter(bias, c, "channelNormalization: bias");
  const epsilon = attributes.epsilon ?? 1e-6;
  const y = outputTensor(x.shape, out, "channelNormalization");
  for (let s = 0; s < n; s++) {
    const { mean, inv } = pixelStatistics(x.data, s, c, inner, epsilon);
    for (let ch = 0; ch < c; ch++) {
      const plane = (s * c + ch) * inner;
      const [g, b] = [gamma?.[ch] ?? 1, beta?.[ch] ?? 0];
      for (let p = 0; p < inner; p++) y.data[plane + p] = g * (x.data[plane + p] - mean[p]) * inv[p] + b;
    }
  }
  return y;
}
