/** Relu: `max(x, 0)` element-wise, ONNX `Relu`. */
import { outputTensor, type Tensor } from "../tensor.js";

/** Returns `max(x, 0)` of every element, in `out` when a buffer is passed (it may be `x.data`). */
export function relu(x: Tensor, out?: Float32Array): Tensor {
  const y = outputTensor(x.shape, out, "relu");
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = src[i] > 0 ? src[i] : 0;
  return y;
}
