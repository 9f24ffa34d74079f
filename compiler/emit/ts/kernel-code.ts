/**
 * Prints one IR node as a call of its runtime kernel, from the same `kernelCall` table that the
 * IR executor interprets, so that the generated module computes exactly what the executor does.
 */
import type { IrNode } from "../../ir/graph.js";
import { kernelCall, type KernelArg, type KernelCall, type LiteralValue } from "../../ir/kernels.js";
import { stringLiteral } from "./identifiers.js";

/** How the printed call refers to things outside it. */
export interface CallContext {
  /** The expression that reads IR value `name`. */
  ref(name: string): string;
  /** The expression of the module's random source (dropout). */
  readonly random: string;
  /** The expression of the training loss settings (the loss node of a training step). */
  readonly loss?: string;
  /** The buffer that node output `name` updates (a running statistic), if it updates one. */
  updates(name: string): string | undefined;
}

/** A literal argument as code: numbers round-trip exactly, keys and strings are escaped. */
export function literalCode(value: LiteralValue): string {
  if (typeof value === "number") return Object.is(value, -0) ? "-0" : String(value);
  if (typeof value === "string") return stringLiteral(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map((v: LiteralValue) => literalCode(v)).join(", ")}]`;
  const fields = Object.entries(value as { readonly [key: string]: LiteralValue }).map(([key, v]) => `${propertyKey(key)}: ${literalCode(v)}`);
  return fields.length === 0 ? "{}" : `{ ${fields.join(", ")} }`;
}

/** An object literal key: bare when it is a plain identifier, else a computed string key. */
function propertyKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) && key !== "__proto__" ? key : `[${stringLiteral(key)}]`;
}

function argumentCode(node: IrNode, arg: KernelArg, context: CallContext): string {
  switch (arg.kind) {
    case "input":
      return context.ref(node.inputs[arg.index]);
    case "optional":
      return node.inputs[arg.index] ? context.ref(node.inputs[arg.index]) : "undefined";
    case "inputs":
      return `[${node.inputs.map((i) => context.ref(i)).join(", ")}]`;
    case "object":
      return `{ ${Object.entries(arg.fields).map(([field, index]) => `${propertyKey(field)}: ${context.ref(node.inputs[index])}`).join(", ")} }`;
    case "literal":
      return literalCode(arg.value);
    case "random":
      return context.random;
    case "loss":
      if (context.loss === undefined) throw new Error(`${node.name}: a loss node outside a training step`);
      return context.loss;
  }
}

/**
 * The expression of one kernel call for `node`: its one output, or, for a node with several, an
 * array of all of them in order, where an output the call leaves out (a running statistic the
 * inference form does not change) is the buffer it updates.
 */
function callCode(node: IrNode, call: KernelCall, context: CallContext): string {
  const code = `${call.kernel}(${call.args.map((a) => argumentCode(node, a, context)).join(", ")})`;
  const returned = call.outputs ?? 1;
  // A kernel with `outputs` returns an array, even of one tensor (a backward node's one gradient).
  const array = call.outputs !== undefined;
  if (returned === node.outputs.length) return array && returned === 1 ? `${code}[0]!` : code;
  const unchanged = node.outputs.slice(returned).map((output) => {
    const buffer = context.updates(output);
    if (buffer === undefined) throw new Error(`${node.name}: ${call.kernel} does not compute output ${output}`);
    return context.ref(buffer);
  });
  return `[${array ? `...${code}` : code}, ${unchanged.join(", ")}]`;
}

/** The kernels a node's code calls in either mode it is printed for. */
export function kernelsOf(node: IrNode, modes: readonly boolean[]): string[] {
  return modes.map((training) => kernelCall(node, training).kernel);
}

/**
 * The expression computing `node` (see `callCode`). With `trainable`, a node whose training form
 * differs (a normalizer using batch statistics, dropout) becomes
 * `training ? <training form> : <inference form>`.
 */
export function nodeExpression(node: IrNode, context: CallContext, trainable: boolean): string {
  const inference = kernelCall(node, false);
  if (!trainable) return callCode(node, inference, context);
  const training = kernelCall(node, true);
  if (JSON.stringify(training) === JSON.stringify(inference)) return callCode(node, inference, context);
  return `training ? ${callCode(node, training, context)} : ${callCode(node, inference, context)}`;
}

/** The expression computing `node` in its training form alone (the nodes of a training step). */
export function trainingExpression(node: IrNode, context: CallContext): string {
  return callCode(node, kernelCall(node, true), context);
}
