/** Add: the element-wise sum of two tensors of the same shape (the language has no broadcasting). */
import { outputTensor, type Tensor } from "../tensor.js";

/** Returns `a + b`, in `out` when a buffer is passed (it may be `a.data` or `b.data`). */
export function add(a: Tensor, b: Tensor, out?: Float32Array): Tensor {
  if (a.shape.length !== b.shape.length || a.shape.some((dim, i) => dim !== b.shape[i])) {
    throw new Error(`add: shapes must be equal, got [${a.shape.join(", ")}] and [${b.shape.join(", ")}]`);
  }
  const y = outputTensor(a.shape, out, "add");
  const x1 = a.data;
  const x2 = b.data;
  const dst = y.data;
  for (let i = 0; i < dst.length; i++) dst[i] = x1[i] + x2[i];
  return y;
}
