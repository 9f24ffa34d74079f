/**
 * The inference folds' load-time operators (compiler/passes/normalization-to-affine.ts and
 * fold-affine-into-conv.ts), nnc's own, each a node with two outputs:
 *
 * - `NormalizationAffine(scale, B, mean, var_or_std) {epsilon?, rank}` → `(s, t)`: an inference
 *   batch normalization (with `epsilon`: `var`) or batch renormalization (without: `std`) as the
 *   per-channel affine `y = x·s + t`, shaped `[1, C, 1, ...]` to broadcast against its input;
 * - `FoldAffine(W, b?, scale, B, mean?, var_or_std?) {epsilon?}` → `(W', b')`: that affine folded
 *   into the weight and bias of the conv or dense layer before it; without `mean` and `var_or_std`
 *   the affine is `scale`, `B` as given.
 *
 * Both only ever compute constants: the TypeScript module runs them once in `load()`, and the
 * ONNX emitter evaluates them into initializers, so they have no ONNX form of their own.
 */
import { input, literal, num, optional } from "./kernel-call.js";
import { constantOnly } from "./constant-only.js";
import type { IrOperator, KernelEntry, NodeView } from "./types.js";

/** `{ epsilon }` when the node has one (a variance), else `{}` (a standard deviation, or no statistics). */
function epsilonAttrs(node: NodeView): { epsilon?: number } {
  return node.attrs.epsilon === undefined ? {} : { epsilon: num(node, "epsilon") };
}

const WHY = "computes constants only, which the ONNX emitter writes as initializers";

export const NORMALIZATION_AFFINE_KERNEL: KernelEntry = {
  op: "NormalizationAffine",
  kernel: (node) => ({
    kernel: "normalizationAffine",
    args: [input(0), input(1), input(2), input(3), literal({ ...epsilonAttrs(node), rank: num(node, "rank", 4) })],
    outputs: 2,
  }),
};

export const NORMALIZATION_AFFINE: IrOperator = constantOnly(NORMALIZATION_AFFINE_KERNEL, WHY);

export const FOLD_AFFINE_KERNEL: KernelEntry = {
  op: "FoldAffine",
  kernel: (node) => ({
    kernel: "foldAffine",
    args: [input(0), optional(1), input(2), input(3), optional(4), optional(5), literal(epsilonAttrs(node))],
    outputs: 2,
  }),
};

export const FOLD_AFFINE: IrOperator = constantOnly(FOLD_AFFINE_KERNEL, WHY);

export const FOLD_AFFINE_OPERATORS = { ir: [NORMALIZATION_AFFINE, FOLD_AFFINE] };
