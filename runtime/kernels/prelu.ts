/**
 * PRelu: a leaky ReLU with a learned slope per channel (axis 1) or one shared slope,
 * `nn.PReLU(num_parameters = C or 1)` and ONNX `PRelu` with the slope broadcast along axis 1.
 */
import { assertRank, outputTensor, sizeOf, type Tensor } from "../tensor.js";

/** Returns `x` where positive and `slope[c] · x` elsewhere; `slope` is `[C]` or `[1]`. */
export function prelu(x: Tensor, slope: Tensor, out?: Float32Array): Tensor {
  assertRank(slope, [1], "prelu: slope");
  if (x.shape.length < 2) throw new Error(`prelu: input needs rank 2 or more, got [${x.shape.join(", ")}]`);
  const channels = x.shape[1];
  const count = slope.shape[0];
  if (count !== 1 && count !== channels) {
    throw new Error(`prelu: slope has ${count} values; needs 1 or the ${channels} channels`);
  }
  const inner = sizeOf(x.shape.slice(2));
  const y = outputTensor(x.shape, out, "prelu");
  const src = x.data;
  const dst = y.data;
  const planes = inner === 0 ? 0 : src.length / inner;
  for (let plane = 0; plane < planes; plane++) {
    const a = slope.data[count === 1 ? 0 : plane % channels];
    for (let i = plane * inner, end = i + inner; i < end; i++) dst[i] = src[i] >= 0 ? src[i] : a * src[i];
  }
  return y;
}
