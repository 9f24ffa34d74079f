/** Tanh: the hyperbolic tangent element-wise, ONNX `Tanh`. */
import { outputTensor, type Tensor } from "../tensor.js";

/** Returns `tanh` of every element, in `out` when a buffer is passed. */
export function tanh(x: Tensor, out?: Float32Array): Tensor {
  const y = outputTensor(x.shape, out, "tanh");
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = Math.tanh(src[i]);
  return y;
}
