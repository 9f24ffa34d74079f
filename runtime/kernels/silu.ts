/**
 * SiLU (swish with β = 1): `x · sigmoid(x)` element-wise, `nn.SiLU`. The ONNX opsets nnc targets
 * (17–21) have no such op; an exporter writes it as `Mul(x, Sigmoid(x))`. The file is named after
 * the language's layer.
 */
import { sigmoidScalar } from "./sigmoid.js";
import { pointwiseHeap } from "../linalg/wasm-products.js";
import { outputTensor, overwrittenFloats, sizeOf, type Tensor } from "../tensor.js";

/** Returns `x · sigmoid(x)` of every element, in `out` when a buffer is passed. */
export function silu(x: Tensor, out?: Float32Array): Tensor {
  // Every element is written: a pooled buffer needs no zero fill.
  const y = outputTensor(x.shape, out ?? overwrittenFloats(sizeOf(x.shape)), "silu");
  const heap = pointwiseHeap(y.data.length);
  if (heap !== undefined) {
    heap.activate("silu", x.data, y.data);
    return y;
  }
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = src[i] * sigmoidScalar(src[i]);
  return y;
}
