/**
 * Activations that a GEMM can apply while it writes its result back (a fused epilogue), so that
 * `conv -> relu` or `dense -> relu` makes one pass over the output instead of two.
 */
import { geluScalar } from "../kernels/gelu.js";

/** An activation fused into a GEMM write-back. `alpha` follows the ONNX op of the same name. */
export type FusedActivation =
  | { kind: "relu" }
  | { kind: "leaky_relu"; alpha: number }
  | { kind: "elu"; alpha: number }
  | { kind: "sigmoid" }
  | { kind: "tanh" }
  | { kind: "silu" }
  | { kind: "gelu" };

/**
 * Applies `activation` in place to the `rows × cols` block of `data` that starts at `offset`
 * with row stride `stride`. The switch sits outside the loops so each loop stays monomorphic.
 */
export function applyActivation(
  data: Float32Array,
  offset: number,
  rows: number,
  cols: number,
  stride: number,
  activation: FusedActivation,
): void {
  for (let r = 0; r < rows; r++) {
    const start = offset + r * stride;
    const end = start + cols;
    switch (activation.kind) {
      case "relu":
        for (let i = start; i < end; i++) if (data[i] < 0) data[i] = 0;
        break;
      case "leaky_relu": {
        const alpha = activation.alpha;
        for (let i = start; i < end; i++) if (data[i] < 0) data[i] *= alpha;
        break;
      }
      case "elu": {
        const alpha = activation.alpha;
        for (let i = start; i < end; i++) if (data[i] < 0) data[i] = alpha * Math.expm1(data[i]);
        break;
      }
      case "sigmoid":
        for (let i = start; i < end; i++) data[i] = sigmoidScalar(data[i]);
        break;
      case "tanh":
        for (let i = start; i < end; i++) data[i] = Math.tanh(data[i]);
        break;
      case "silu":
        for (let i = start; i < end; i++) data[i] = data[i] * sigmoidScalar(data[i]);
        break;
      case "gelu":
        for (let i = start; i < end; i++) data[i] = geluScalar(data[i]);
        break;
    }
  }
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
