/** Tanh: the hyperbolic tangent element-wise, ONNX `Tanh`. */
import { pointwiseHeap } from "../linalg/wasm-products.js";
import { outputTensor, overwrittenFloats, sizeOf, type Tensor } from "../tensor.js";

/** Returns `tanh` of every element, in `out` when a buffer is passed. */
export function tanh(x: Tensor, out?: Float32Array): Tensor {
  // Every element is written: a pooled buffer needs no zero fill.
  const y = outputTensor(x.shape, out ?? overwrittenFloats(sizeOf(x.shape)), "tanh");
  const heap = pointwiseHeap(y.data.length);
  if (heap !== undefined) {
    heap.activate("tanh", x.data, y.data);
    return y;
  }
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = Math.tanh(src[i]);
  return y;
}
