/**
 * Add: the element-wise sum. Equal shapes (the residual add) take a plain loop; others (a
 * broadcasting `a + b`, a number `x + 0.5`, a per-channel shift `x + t`, constant folding) use
 * ONNX broadcasting. A large plain sum runs in WebAssembly (`ProductHeap.pointwise`), to the same bits.
 */
import { broadcastBinary } from "../broadcast.js";
import { pointwiseHeap } from "../linalg/wasm-products.js";
import { relu } from "./relu.js";
import { outputTensor, overwrittenFloats, sizeOf, type Tensor } from "../tensor.js";

/** Returns `a + b` (broadcast), in `out` when a buffer is passed (it may be `a.data` or `b.data`). */
export function add(a: Tensor, b: Tensor, out?: Float32Array): Tensor {
  if (!sameShape(a, b)) {
    return broadcastBinary("add", a, b, (x, y) => x + y, out);
  }
  // Every element is written: a pooled buffer need not be zeroed first.
  const y = outputTensor(a.shape, out ?? overwrittenFloats(sizeOf(a.shape)), "add");
  const heap = pointwiseHeap(y.data.length);
  if (heap !== undefined) {
    heap.pointwise("add", [a.data, b.data], y.data);
    return y;
  }
  const x1 = a.data;
  const x2 = b.data;
  const dst = y.data;
  for (let i = 0; i < dst.length; i++) dst[i] = x1[i] + x2[i];
  return y;
}

/**
 * Returns relu(`a + b`), as {@link add} then `relu` (a training graph's residual sum with its relu
 * fused): a large plain sum runs both in one WebAssembly pass (`ProductHeap.pointwise`), to the
 * same bits.
 */
export function addRelu(a: Tensor, b: Tensor, out?: Float32Array): Tensor {
  const heap = sameShape(a, b) ? pointwiseHeap(sizeOf(a.shape)) : undefined;
  if (heap !== undefined) {
    const y = outputTensor(a.shape, out ?? overwrittenFloats(sizeOf(a.shape)), "addRelu");
    heap.pointwise("addRelu", [a.data, b.data], y.data);
    return y;
  }
  const y = add(a, b, out);
  return relu(y, y.data);
}

/** Whether `a` and `b` have the same shape: a plain element-wise sum, no broadcasting. */
function sameShape(a: Tensor, b: Tensor): boolean {
  return a.shape.length === b.shape.length && a.shape.every((dim, i) => dim === b.shape[i]);
}
