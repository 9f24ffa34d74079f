/**
 * ONNX multidirectional (NumPy) broadcasting for element-wise binary kernels: the language's
 * arithmetic on tensors (`x * gate` with a gate `[N, C, 1, 1]`, `x * 0.2` with a rank-0
 * number), and the compiler's own nodes: a per-channel affine `x·s + t` with `s` shaped
 * `[1, C, 1, 1]`, and the constant arithmetic that `load()` runs to fold normalizations into
 * weights.
 */
import { outputTensor, type Tensor } from "./tensor.js";

/** The broadcast shape of `a` and `b`; throws when they are incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[], op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
    }
    shape.push(da === 1 ? db : da);
  }
  return shape;
}

/** Strides of `shape` aligned to `rank` dims, with 0 where the dimension is broadcast. */
export function broadcastStrides(shape: readonly number[], full: readonly number[]): number[] {
  const rank = full.length;
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = rank - shape.length + i;
    strides[axis] = shape[i] === 1 && full[axis] !== 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/**
 * Applies `f` element-wise over the broadcast of `a` and `b`, in `out` when a buffer is passed.
 * Equal shapes take one flat loop; otherwise the innermost dimension is a strided loop and the
 * outer ones an odometer, so a per-channel operand costs no index arithmetic per element.
 */
export function broadcastBinary(
  op: string,
  a: Tensor,
  b: Tensor,
  f: (x: number, y: number) => number,
  out?: Float32Array,
): Tensor {
  const shape = broadcastShape(a.shape, b.shape, op);
  const y = outputTensor(shape, out, op);
  const dst = y.data;
  const x1 = a.data;
  const x2 = b.data;
  if (x1.length === dst.length && x2.length === dst.length) {
    for (let i = 0; i < dst.length; i++) dst[i] = f(x1[i], x2[i]);
    return y;
  }
  const rank = shape.length;
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const inner = rank === 0 ? 1 : shape[rank - 1];
  const ia = rank === 0 ? 0 : sa[rank - 1];
  const ib = rank === 0 ? 0 : sb[rank - 1];
  const index = new Array<number>(Math.max(0, rank - 1)).fill(0);
  let offA = 0;
  let offB = 0;
  for (let o = 0; o < dst.length; o += inner) {
    for (let i = 0, pa = offA, pb = offB; i < inner; i++, pa += ia, pb += ib) dst[o + i] = f(x1[pa], x2[pb]);
    // Advance the odometer over the outer dimensions.
    for (let axis = rank - 2; axis >= 0; axis--) {
      index[axis]++;
      offA += sa[axis];
      offB += sb[axis];
      if (index[axis] < shape[axis]) break;
      offA -= sa[axis] * shape[axis];
      offB -= sb[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  return y;
}
