/**
 * How each IR operator runs: the runtime kernel it calls and how the node's inputs and
 * attributes become that kernel's arguments, from the operator's registry entry
 * (`runtime/ops/`). The IR executor (`execute.ts`, used by tests and constant folding), the
 * TypeScript emitter and the plan's fallback all read it, so the generated module computes
 * exactly what the executor computes.
 */
import { irOperator } from "../../runtime/ops/index.js";
import type { KernelCall } from "../../runtime/ops/kernel-call.js";
import type { NodeView } from "../../runtime/ops/types.js";

export type { KernelArg, KernelCall, LiteralValue } from "../../runtime/ops/kernel-call.js";

/** The kernel call for `node`; `training` picks the training forms of normalizers and dropout. */
export function kernelCall(node: NodeView, training: boolean): KernelCall {
  return irOperator(node.op, node.name).kernel(node, training);
}
