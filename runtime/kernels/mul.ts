/** Mul: the element-wise product, with ONNX broadcasting (the compiler's per-channel scales). */
import { broadcastBinary } from "../broadcast.js";
import type { Tensor } from "../tensor.js";

/** Returns `a · b` broadcast, in `out` when a buffer is passed. */
export function mul(a: Tensor, b: Tensor, out?: Float32Array): Tensor {
  return broadcastBinary("mul", a, b, (x, y) => x * y, out);
}
