/**
 * Activations that a GEMM can apply while it writes its result back (a fused epilogue), so that
 * `conv -> relu` or `dense -> relu` makes one pass over the output instead of two.
 */
import { geluScalar } from "../kernels/gelu.js";
import { sigmoidScalar } from "../kernels/sigmoid.js";
import { pointwiseScalar } from "../ops/activation-table.js";

export { sigmoidScalar };

/** An activation fused into a GEMM write-back. `alpha` follows the ONNX op of the same name. */
export type FusedActivation =
  | { kind: "relu" }
  | { kind: "leaky_relu"; alpha: number }
  | { kind: "elu"; alpha: number }
  | { kind: "sigmoid" }
  | { kind: "tanh" }
  | { kind: "silu" }
  | { kind: "gelu" }
  /**
   * Any other element-wise activation of the operator registry, by its IR operator and numeric
   * attributes (`{ kind: "pointwise", op: "Clip", attrs: { min: 0, max: 6 } }`), run through the
   * scalar function of its registry entry.
   */
  | { kind: "pointwise"; op: string; attrs?: { readonly [name: string]: number } };

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
      case "pointwise": {
        const f = pointwiseScalar(activation.op, activation.attrs ?? {});
        for (let i = start; i < end; i++) data[i] = f(data[i]);
        break;
      }
    }
  }
}
