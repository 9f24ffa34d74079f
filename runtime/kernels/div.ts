/** Div: the element-wise quotient, with ONNX broadcasting. */
import { broadcastBinary } from "../broadcast.js";
import type { Tensor } from "../tensor.js";

/** Returns `a / b` broadcast, in `out` when a buffer is passed. */
export function div(a: Tensor, b: Tensor, out?: Float32Array): Tensor {
  return broadcastBinary("div", a, b, (x, y) => x / y, out);
}
