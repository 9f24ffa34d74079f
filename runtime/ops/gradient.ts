/**
 * Helpers for backward operators: the IR nodes that reverse mode adds (`compiler/train/`). A
 * backward node made by `GradientContext.backward` reads what its rule gives it (the output's
 * gradient first, then forward inputs or outputs), carries the forward node's attributes and
 * `wants`, a 0/1 flag per forward input, and outputs the gradients of the wanted inputs in input
 * order. Its kernel gets the node's inputs (absent ones as `undefined`) and one attributes object,
 * and returns those gradients as an array.
 */
import { literal, optional, type KernelCall, type LiteralValue } from "./kernel-call.js";
import { noOnnx } from "./loss.js";
import type { IrOperator, KernelEntry, NodeView } from "./types.js";

/** The 0/1 flags of the forward inputs whose gradients a backward node computes. */
export function wants(node: NodeView): number[] {
  const w = node.attrs.wants;
  return Array.isArray(w) ? [...(w as readonly number[])] : [];
}

/**
 * The kernel call of a backward node: every input, then its attributes (unless the kernel reads
 * none: `attributes` false); one result per wanted gradient.
 */
export function gradientCall(node: NodeView, kernel: string, attributes = true): KernelCall {
  const attrs: { [key: string]: LiteralValue } = {};
  for (const [key, value] of Object.entries(node.attrs)) attrs[key] = value as LiteralValue;
  return {
    kernel,
    args: [...node.inputs.map((_, i) => optional(i)), ...(attributes ? [literal(attrs)] : [])],
    outputs: wants(node).filter((w) => w === 1).length,
  };
}

/**
 * The runtime part of a backward operator `op` run by the kernel `kernel` with {@link gradientCall};
 * `attributes: false` for a kernel of tensors alone (`reluBackward(dy, y)`).
 */
export function gradientKernel(op: string, kernel: string, attributes = true): KernelEntry {
  return { op, kernel: (node) => gradientCall(node, kernel, attributes) };
}

/** The compiler's part of a backward operator: no ONNX form, no backward of its own. */
export function gradientOperator(entry: KernelEntry): IrOperator {
  return { ...entry, onnx: noOnnx(entry.op) };
}
