/** Relu: `max(x, 0)` element-wise, ONNX `Relu`. */
import { bitsOf } from "../float-bits.js";
import { pointwiseHeap } from "../linalg/wasm-products.js";
import { outputTensor, overwrittenFloats, sizeOf, type Tensor } from "../tensor.js";

/**
 * Returns `max(x, 0)` of every element, in `out` when a buffer is passed (it may be `x.data`):
 * `x > 0 ? x : 0`, so a NaN and −0 give +0.
 *
 * The loop works on the float32 bit patterns: a value is kept when its bits, read as an int32,
 * lie in `[0, 0x7f800000]` (+0 up to +∞; the positive NaNs lie above, and every negative value,
 * −0 and the negative NaNs read as negative ints), else cleared to +0, without a branch
 * (`float-bits.ts`). A large tensor runs in WebAssembly (`ProductHeap.pointwise`), to the same bits.
 */
export function relu(x: Tensor, out?: Float32Array): Tensor {
  // Every element is written: a pooled buffer needs no zero fill.
  const y = outputTensor(x.shape, out ?? overwrittenFloats(sizeOf(x.shape)), "relu");
  const heap = pointwiseHeap(y.data.length);
  if (heap !== undefined) {
    heap.pointwise("relu", [x.data], y.data);
    return y;
  }
  const src = bitsOf(x.data);
  const dst = bitsOf(y.data);
  for (let i = 0; i < src.length; i++) {
    const b = src[i];
    // The shift gives -1 (clear) when b is negative or above +∞'s bits: the OR then has the sign bit.
    dst[i] = b & ~((b | ((0x7f800000 - b) | 0)) >> 31);
  }
  return y;
}

