/** Flatten: `[N, ...] → [N, prod(...)]`, `nn.Flatten` and ONNX `Flatten(axis=1)`. */
import { sizeOf, type Tensor } from "../tensor.js";

/**
 * Returns `x` reshaped to `[N, prod(...)]`. Row-major data does not move, so the result is a view
 * sharing `x.data`; kernels never write their inputs, so the sharing is safe, but a memory
 * planner must count it as a use of the buffer.
 */
export function flatten(x: Tensor): Tensor {
  if (x.shape.length < 1) throw new Error("flatten: input needs a batch dimension, got a scalar");
  const n = x.shape[0];
  return { shape: [n, sizeOf(x.shape.slice(1))], data: x.data };
}
