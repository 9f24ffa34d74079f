/**
 * The element-wise activations of the registry that can run in a conv's or dense layer's
 * write-back, by IR operator: what the runtime's epilogue (`linalg/epilogue.ts`) looks up for
 * `{ kind: "pointwise", op }`. Kept apart from `index.ts` so that the epilogue, which every
 * conv and dense kernel imports, does not import the whole registry.
 */
import { ELU, GELU, LEAKY_RELU, RELU, SIGMOID, SILU, TANH } from "./activations.js";
import { HARDSWISH } from "./hardswish.js";
import { RELU6 } from "./relu6.js";
import type { NodeView } from "./types.js";

/** Every element-wise activation entry, layer and IR operator. */
export const ACTIVATIONS = [RELU, SIGMOID, TANH, GELU, SILU, LEAKY_RELU, ELU, RELU6, HARDSWISH] as const;

const SCALARS: ReadonlyMap<string, (node: NodeView) => (x: number) => number> = new Map(
  ACTIVATIONS.flatMap((a) => (a.scalar ? [[a.operator.op, a.scalar] as const] : [])),
);

/** The scalar function of the activation `op` with numeric attributes `attrs`. */
export function pointwiseScalar(op: string, attrs: { readonly [name: string]: number }): (x: number) => number {
  const scalar = SCALARS.get(op);
  if (scalar === undefined) throw new Error(`runtime: ${op} is not an element-wise activation of the registry`);
  const node: NodeView = { op, inputs: [], attrs };
  return scalar(node);
}
