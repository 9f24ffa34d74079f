/** Sigmoid: the logistic function `1 / (1 + e^-x)` element-wise, ONNX `Sigmoid`. */
import { pointwiseHeap } from "../linalg/wasm-products.js";
import { outputTensor, overwrittenFloats, sizeOf, type Tensor } from "../tensor.js";

/** Returns the logistic function of every element, in `out` when a buffer is passed. */
export function sigmoid(x: Tensor, out?: Float32Array): Tensor {
  // Every element is written: a pooled buffer needs no zero fill.
  const y = outputTensor(x.shape, out ?? overwrittenFloats(sizeOf(x.shape)), "sigmoid");
  const heap = pointwiseHeap(y.data.length);
  if (heap !== undefined) {
    heap.activate("sigmoid", x.data, y.data);
    return y;
  }
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = sigmoidScalar(src[i]);
  return y;
}

/**
 * The logistic function, written so that `Math.exp` only sees non-positive arguments: the naive
 * `1 / (1 + exp(-v))` overflows to `1 / Infinity` harmlessly but loses the small tail for large
 * negative v, where `exp(v) / (1 + exp(v))` is exact.
 */
export function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}
