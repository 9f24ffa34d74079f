/**
 * SiLU (swish with β = 1): `x · sigmoid(x)` element-wise, `nn.SiLU`. The ONNX opsets nnc targets
 * (17–21) have no such op; an exporter writes it as `Mul(x, Sigmoid(x))`. The file is named after
 * the language's layer.
 */
import { sigmoidScalar } from "./sigmoid.js";
import { outputTensor, type Tensor } from "../tensor.js";

/** Returns `x · sigmoid(x)` of every element, in `out` when a buffer is passed. */
export function silu(x: Tensor, out?: Float32Array): Tensor {
  const y = outputTensor(x.shape, out, "silu");
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = src[i] * sigmoidScalar(src[i]);
  return y;
}
