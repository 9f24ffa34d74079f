/**
 * Gelu: the exact (erf) form `x · Φ(x) = x/2 · (1 + erf(x/√2))`, `nn.GELU()` and ONNX `Gelu`
 * (opset 20, `approximate = "none"`). JavaScript has no `Math.erf`: `erf.ts` carries one.
 */
import { pointwiseHeap } from "../linalg/wasm-products.js";
import { outputTensor, overwrittenFloats, sizeOf, type Tensor } from "../tensor.js";
import { erf } from "./erf.js";

export { erf };

/** The exact GELU of one value. */
export function geluScalar(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

/** Returns the exact GELU of every element, in `out` when a buffer is passed. */
export function gelu(x: Tensor, out?: Float32Array): Tensor {
  // Every element is written: a pooled buffer needs no zero fill.
  const y = outputTensor(x.shape, out ?? overwrittenFloats(sizeOf(x.shape)), "gelu");
  const heap = pointwiseHeap(y.data.length);
  if (heap !== undefined) {
    heap.activate("gelu", x.data, y.data);
    return y;
  }
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = geluScalar(src[i]);
  return y;
}
