/**
 * Dropout, inverted: in training each element is zeroed with probability `p` and the survivors
 * are scaled by `1 / (1 - p)`, so the expected value is unchanged and inference is the identity
 * (`nn.Dropout`, ONNX `Dropout`). The random numbers come from the caller's generator.
 * `dropoutWithMask` is the form a training step runs when the backward needs the mask.
 */
import type { RandomSource } from "../random.js";
import { outputTensor, type Tensor } from "../tensor.js";

/** Attributes of {@link dropout}. */
export interface DropoutAttributes {
  /** Probability of dropping an element, in [0, 1) (default 0.5). */
  p?: number;
  /** Drops only when true; otherwise returns a copy of `x` (default false). */
  training?: boolean;
}

/**
 * Applies dropout to `x`, drawing one number per element from `random` when training (an
 * element is kept when its draw is at least `p`). Returns a new tensor, in `out` when passed.
 */
export function dropout(x: Tensor, attributes: DropoutAttributes, random: RandomSource, out?: Float32Array): Tensor {
  const p = attributes.p ?? 0.5;
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  const y = outputTensor(x.shape, out, "dropout");
  if (!attributes.training || p === 0) {
    if (y.data !== x.data) y.data.set(x.data);
    return y;
  }
  const scale = 1 / (1 - p);
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = random() < p ? 0 : src[i] * scale;
  return y;
}

/**
 * {@link dropout}, also returning the mask it applied: `[y, mask]`, where `mask` holds 0 for a
 * dropped element and `1 / (1 - p)` for a kept one (1 everywhere when not training or `p = 0`),
 * so that `y = x · mask` and the backward is `dy · mask`. It draws exactly the numbers
 * {@link dropout} draws, so both give the same `y` from the same generator state.
 */
export function dropoutWithMask(x: Tensor, attributes: DropoutAttributes, random: RandomSource): [Tensor, Tensor] {
  const p = attributes.p ?? 0.5;
  if (!(p >= 0 && p < 1)) throw new Error(`dropout: p must be in [0, 1), got ${p}`);
  const y = outputTensor(x.shape, undefined, "dropout");
  const mask = outputTensor(x.shape, undefined, "dropout");
  if (!attributes.training || p === 0) {
    y.data.set(x.data);
    mask.data.fill(1);
    return [y, mask];
  }
  const scale = 1 / (1 - p);
  const src = x.data;
  for (let i = 0; i < src.length; i++) {
    if (random() < p) continue;
    y.data[i] = src[i] * scale;
    mask.data[i] = scale;
  }
  return [y, mask];
}
