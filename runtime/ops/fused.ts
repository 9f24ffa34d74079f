/**
 * An activation fused into a `Conv` or `Gemm` node (`activation` names its IR operator, and the
 * node carries the activation's attributes under their own names): its runtime form, for the
 * kernel call and the plan. (Its ONNX form is in `fused-onnx.ts`.)
 */
import type { FusedActivation } from "../linalg/epilogue.js";
import { activationForm } from "./activation-table.js";
import type { LiteralValue } from "./kernel-call.js";
import type { ActivationForm, IrAttr, NodeView } from "./types.js";

/** The activation node that `node` fuses, as a node of its own (its op and its attributes). */
function activationNode(node: NodeView, op: string, form: ActivationForm): NodeView {
  const attrs: Record<string, IrAttr> = {};
  for (const name of form.attrs) {
    const v = node.attrs[name];
    if (v !== undefined) attrs[name] = v;
  }
  return { name: node.name, op, inputs: [], attrs };
}

/** The runtime form of `node`'s fused activation, or undefined when it fuses none. */
export function fusedActivation(node: NodeView): FusedActivation | undefined {
  const op = node.attrs.activation;
  if (op === undefined) return undefined;
  const form = typeof op === "string" ? activationForm(op) : undefined;
  if (form === undefined) throw new Error(`IR: ${node.name ?? node.op} fuses an activation the runtime lacks: ${String(op)}`);
  return form.form(activationNode(node, op as string, form));
}

/** `attrs` with `node`'s fused activation, as a kernel call's literal. */
export function withActivation(node: NodeView, attrs: { [key: string]: LiteralValue }): { [key: string]: LiteralValue } {
  const activation = fusedActivation(node);
  return activation ? { ...attrs, activation: activation as unknown as LiteralValue } : attrs;
}
