/**
 * Softmax over axis 1 (channels or features), `nn.Softmax(dim=1)` and ONNX `Softmax(axis=1)`,
 * for `[N, C, ...]` of any rank >= 2: each position's C values become `e^(x-max) / Σ e^(x-max)`.
 */
import { outputTensor, sizeOf, type Tensor } from "../tensor.js";

/** Returns the softmax of `x` over axis 1, in `out` when a buffer is passed. */
export function softmax(x: Tensor, out?: Float32Array): Tensor {
  const y = outputTensor(x.shape, out, "softmax");
  softmaxAxis1(x, y.data, false);
  return y;
}

/**
 * Softmax (or its logarithm) over axis 1 into `dst`. The channels of one position lie `inner`
 * apart, so the passes run over whole planes with per-position running max and sum in double
 * scratch arrays, keeping every memory access sequential.
 */
export function softmaxAxis1(x: Tensor, dst: Float32Array, logarithm: boolean): void {
  if (x.shape.length < 2) throw new Error(`softmax: input needs rank 2 or more, got [${x.shape.join(", ")}]`);
  const [n, c] = x.shape;
  const inner = sizeOf(x.shape.slice(2));
  const src = x.data;
  const max = new Float64Array(inner);
  const sum = new Float64Array(inner);
  for (let b = 0; b < n; b++) {
    const base = b * c * inner;
    max.fill(-Infinity);
    sum.fill(0);
    for (let ch = 0; ch < c; ch++) {
      const plane = base + ch * inner;
      for (let i = 0; i < inner; i++) if (src[plane + i] > max[i]) max[i] = src[plane + i];
    }
    for (let ch = 0; ch < c; ch++) {
      const plane = base + ch * inner;
      for (let i = 0; i < inner; i++) sum[i] += Math.exp(src[plane + i] - max[i]);
    }
    for (let ch = 0; ch < c; ch++) {
      const plane = base + ch * inner;
      if (logarithm) {
        for (let i = 0; i < inner; i++) dst[plane + i] = src[plane + i] - max[i] - Math.log(sum[i]);
      } else {
        for (let i = 0; i < inner; i++) dst[plane + i] = Math.exp(src[plane + i] - max[i]) / sum[i];
      }
    }
  }
}
