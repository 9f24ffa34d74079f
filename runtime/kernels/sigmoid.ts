/** Sigmoid: the logistic function `1 / (1 + e^-x)` element-wise, ONNX `Sigmoid`. */
import { sigmoidScalar } from "../linalg/epilogue.js";
import { outputTensor, type Tensor } from "../tensor.js";

/** Returns the logistic function of every element, in `out` when a buffer is passed. */
export function sigmoid(x: Tensor, out?: Float32Array): Tensor {
  const y = outputTensor(x.shape, out, "sigmoid");
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = sigmoidScalar(src[i]);
  return y;
}
