/**
 * An activation fused into a `Conv` or `Gemm` node (`activation` names its IR operator, and the
 * node carries the activation's attributes under their own names): its runtime form for the
 * kernel call and the plan, and its ONNX form, written back out as a node of its own.
 */
import type { FusedActivation } from "../linalg/epilogue.js";
import { ACTIVATIONS } from "./activation-table.js";
import type { LiteralValue } from "./kernel-call.js";
import { OnnxFormError, type Epilogue, type IrAttr, type NodeView, type OnnxAttr, type OnnxContext } from "./types.js";

const EPILOGUES: ReadonlyMap<string, Epilogue> = new Map(
  ACTIVATIONS.flatMap((a) => (a.operator.epilogue ? [[a.operator.op, a.operator.epilogue] as const] : [])),
);

/** The epilogue of the activation IR operator `op`, if it has one. */
export function epilogueOf(op: string): Epilogue | undefined {
  return EPILOGUES.get(op);
}

/** The activation node that `node` fuses, as a node of its own (its op and its attributes). */
function activationNode(node: NodeView, op: string, epilogue: Epilogue): NodeView {
  const attrs: Record<string, IrAttr> = {};
  for (const name of epilogue.attrs) {
    const v = node.attrs[name];
    if (v !== undefined) attrs[name] = v;
  }
  return { name: node.name, op, inputs: [], attrs };
}

/** The runtime form of `node`'s fused activation, or undefined when it fuses none. */
export function fusedActivation(node: NodeView): FusedActivation | undefined {
  const op = node.attrs.activation;
  if (op === undefined) return undefined;
  const epilogue = typeof op === "string" ? EPILOGUES.get(op) : undefined;
  if (epilogue === undefined) throw new Error(`IR: ${node.name ?? node.op} fuses an activation the runtime lacks: ${String(op)}`);
  return epilogue.form(activationNode(node, op as string, epilogue));
}

/** `attrs` with `node`'s fused activation, as a kernel call's literal. */
export function withActivation(node: NodeView, attrs: { [key: string]: LiteralValue }): { [key: string]: LiteralValue } {
  const activation = fusedActivation(node);
  return activation ? { ...attrs, activation: activation as unknown as LiteralValue } : attrs;
}

/** A Conv or Gemm, followed by its fused activation as a node of its own (`<layer>.<activation>`). */
export function onnxWithActivation(e: OnnxContext, op: string, inputs: string[], attrs: Record<string, OnnxAttr>): void {
  const activation = e.node.attrs.activation;
  if (typeof activation !== "string") return e.last(op, inputs, attrs);
  const epilogue = EPILOGUES.get(activation);
  if (epilogue === undefined) throw new OnnxFormError(`${e.node.name}: the activation ${activation} has no ONNX form`);
  const pre = e.step(op, inputs, attrs, "preact", true);
  epilogue.onnx(e, pre, activation.toLowerCase());
}

/** The inputs `0 … count-1` that the node has (a Conv's bias is optional). */
export function presentInputs(e: OnnxContext, count: number): string[] {
  const inputs: string[] = [];
  for (let i = 0; i < count && e.has(i); i++) inputs.push(e.input(i));
  return inputs;
}
