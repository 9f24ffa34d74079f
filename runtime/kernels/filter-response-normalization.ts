/**
 * Filter Response Normalization with its Thresholded Linear Unit (Singh & Krishnan 2019):
 * `ν² = mean_{H,W}(x²)` per sample and channel (no mean subtraction), then
 * `y = max(γ x / sqrt(ν² + eps) + β, τ)`. For `[N, F]` the mean runs over a single value, so
 * `ν² = x²`. No running statistics: training and inference agree. ONNX has no such op; an
 * exporter writes ReduceMean(x²), Add, Sqrt, Div, Mul, Add, Max.
 */
import { channelLayout, requiredChannelParameter } from "../moments.js";
import { outputTensor, type Tensor } from "../tensor.js";

/** Attributes of {@link filterResponseNormalization}. */
export interface FilterResponseNormalizationAttributes {
  /** Added to ν² before the square root (default 1e-6, the `frn` layer's). */
  epsilon?: number;
}

/**
 * FRN + TLU on `x` `[N, C, H, W]` or `[N, F]`, with `scale` (γ), `bias` (β) and `tau` (τ) all
 * `[C]`. Returns a new tensor, in `out` when a buffer is passed.
 */
export function filterResponseNormalization(
  x: Tensor,
  scale: Tensor,
  bias: Tensor,
  tau: Tensor,
  attributes: FilterResponseNormalizationAttributes = {},
  out?: Float32Array,
): Tensor {
  const { n, c, inner } = channelLayout(x, [2, 4], "filterResponseNormalization");
  const gamma = requiredChannelParameter(scale, c, "filterResponseNormalization: scale");
  const beta = requiredChannelParameter(bias, c, "filterResponseNormalization: bias");
  const threshold = requiredChannelParameter(tau, c, "filterResponseNormalization: tau");
  const epsilon = attributes.epsilon ?? 1e-6;
  const y = outputTensor(x.shape, out, "filterResponseNormalization");
  const src = x.data;
  const dst = y.data;
  for (let plane = 0; plane < n * c; plane++) {
    const ch = plane % c;
    const start = plane * inner;
    const end = start + inner;
    let squares = 0;
    for (let i = start; i < end; i++) squares += src[i] * src[i];
    const a = gamma[ch] / Math.sqrt(squares / inner + epsilon);
    const b = beta[ch];
    const t = threshold[ch];
    for (let i = start; i < end; i++) {
      const v = src[i] * a + b;
      dst[i] = v > t ? v : t;
    }
  }
  return y;
}
