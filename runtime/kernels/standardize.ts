/**
 * Standardize: the fixed per-channel input normalisation `(x - mean[c]) / std[c]` of the
 * language's `standardize(mean: [..], std: [..])` (torchvision's `Normalize`). ONNX has no such
 * op; an exporter writes `Sub` then `Div` with `[C, 1, 1]` constants.
 */
import { outputTensor, sizeOf, type Tensor } from "../tensor.js";

/** Attributes of {@link standardize}: one mean and one standard deviation per channel. */
export interface StandardizeAttributes {
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
}

/** Returns `(x - mean[c]) / std[c]` over axis 1 of `[N, C, ...]`, in `out` when a buffer is passed. */
export function standardize(x: Tensor, attributes: StandardizeAttributes, out?: Float32Array): Tensor {
  if (x.shape.length < 2) throw new Error(`standardize: input needs rank 2 or more, got [${x.shape.join(", ")}]`);
  const channels = x.shape[1];
  const { mean, std } = attributes;
  if (mean.length !== channels || std.length !== channels) {
    throw new Error(`standardize: needs ${channels} means and stds (one per channel), got ${mean.length} and ${std.length}`);
  }
  const inner = sizeOf(x.shape.slice(2));
  const y = outputTensor(x.shape, out, "standardize");
  const src = x.data;
  const dst = y.data;
  const planes = inner === 0 ? 0 : src.length / inner;
  for (let plane = 0; plane < planes; plane++) {
    const m = mean[plane % channels];
    const s = std[plane % channels];
    // Divide rather than multiply by 1/std, so the result matches torchvision's rounding.
    for (let i = plane * inner, end = i + inner; i < end; i++) dst[i] = (src[i] - m) / s;
  }
  return y;
}
