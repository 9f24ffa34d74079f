/**
 * The runtime's part of every element-wise activation that can run in a conv's or dense layer's
 * write-back, by IR operator: what the epilogue (`linalg/epilogue.ts`) looks up for
 * `{ kind: "pointwise", op }`, what a fused kernel call and the plan read. Kept apart from
 * `kernel-table.ts` so that the epilogue, which every conv and dense kernel imports, imports no
 * more than the activations.
 */
import { ELU_KERNEL, GELU_KERNEL, LEAKY_RELU_KERNEL, RELU_KERNEL, SIGMOID_KERNEL, SILU_KERNEL, TANH_KERNEL } from "./activations.js";
import { HARD_SIGMOID_KERNEL } from "./hardsigmoid.js";
import { HARDSWISH_KERNEL } from "./hardswish.js";
import { CLIP_KERNEL } from "./relu6.js";
import type { ActivationForm, KernelEntry, NodeView } from "./types.js";

/** Every activation's runtime part. */
export const ACTIVATION_KERNELS: readonly KernelEntry[] = [
  RELU_KERNEL,
  SIGMOID_KERNEL,
  TANH_KERNEL,
  GELU_KERNEL,
  SILU_KERNEL,
  LEAKY_RELU_KERNEL,
  ELU_KERNEL,
  CLIP_KERNEL,
  HARDSWISH_KERNEL,
  HARD_SIGMOID_KERNEL,
];

const FORMS: ReadonlyMap<string, ActivationForm> = new Map(ACTIVATION_KERNELS.flatMap((k) => (k.activation ? [[k.op, k.activation] as const] : [])));

/** The write-back form of the activation IR operator `op`, if it has one. */
export function activationForm(op: string): ActivationForm | undefined {
  return FORMS.get(op);
}

/** The scalar function of the activation `op` with numeric attributes `attrs`. */
export function pointwiseScalar(op: string, attrs: { readonly [name: string]: number }): (x: number) => number {
  const form = FORMS.get(op);
  if (form === undefined) throw new Error(`runtime: ${op} is not an element-wise activation of the registry`);
  const node: NodeView = { op, inputs: [], attrs };
  return form.scalar(node);
}
