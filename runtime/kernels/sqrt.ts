/** Sqrt: the element-wise square root. */
import { outputTensor, type Tensor } from "../tensor.js";

/** Returns `√x`, in `out` when a buffer is passed. */
export function sqrt(x: Tensor, out?: Float32Array): Tensor {
  const y = outputTensor(x.shape, out, "sqrt");
  for (let i = 0; i < y.data.length; i++) y.data[i] = Math.sqrt(x.data[i]);
  return y;
}
