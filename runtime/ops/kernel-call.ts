/**
 * A kernel call as data: which runtime kernel runs an IR node, and how the node's inputs and
 * attributes become its arguments. The IR executor interprets it, the TypeScript emitter prints
 * it, and the plan's fallback runs it, so all three compute the same thing.
 */
import type { IrAttr, NodeView } from "./types.js";

/** One argument of a kernel call. */
export type KernelArg =
  /** Tensor input `index` of the node. */
  | { readonly kind: "input"; readonly index: number }
  /** Tensor input `index`, or `undefined` when the node has no such input. */
  | { readonly kind: "optional"; readonly index: number }
  /** Every tensor input, as an array. */
  | { readonly kind: "inputs" }
  /** An object of tensor inputs by field name (`{ scale: input 1, ... }`). */
  | { readonly kind: "object"; readonly fields: Readonly<Record<string, number>> }
  /** A literal value (an attributes object, a shape). */
  | { readonly kind: "literal"; readonly value: LiteralValue }
  /** The module's random source (dropout). */
  | { readonly kind: "random" }
  /** The training loss the module was loaded with (`{ loss, labelSmoothing }`), read by the loss node. */
  | { readonly kind: "loss" };

/** What a literal argument may hold: JSON-like values. */
export type LiteralValue = number | string | boolean | readonly LiteralValue[] | { readonly [key: string]: LiteralValue };

/** A call of a runtime kernel for one node. */
export interface KernelCall {
  /** The runtime export (`conv`, `batchNormalizationTraining`, ...). */
  readonly kernel: string;
  readonly args: readonly KernelArg[];
  /**
   * How many of the node's outputs the kernel returns, as an array in output order (a fold's
   * `[weight, bias]`, a training normalizer's `[y, running_mean, running_var]`); absent, it returns
   * the first output alone. A node output the call leaves out is a new running statistic that
   * this form does not change (the inference form of a normalizer in a training graph): it
   * equals the buffer it updates (`IrValue.updates`).
   */
  readonly outputs?: number;
}

/** Tensor input `index`. */
export const input = (index: number): KernelArg => ({ kind: "input", index });
/** Tensor input `index`, or `undefined` when absent. */
export const optional = (index: number): KernelArg => ({ kind: "optional", index });
/** The module's random source. */
export const random: KernelArg = { kind: "random" };
/** The loss settings of a training step. */
export const lossSettings: KernelArg = { kind: "loss" };
/** A literal argument. */
export const literal = (value: LiteralValue): KernelArg => ({ kind: "literal", value });

/** A call of `kernel` with the node's first `count` inputs. */
export function inputsCall(kernel: string, count = 1): KernelCall {
  return { kernel, args: Array.from({ length: count }, (_, i) => input(i)) };
}

/** A numeric attribute of `node`; throws when it is absent and there is no fallback. */
export function num(node: NodeView, name: string, fallback?: number): number {
  const v = node.attrs[name];
  if (typeof v === "number") return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`IR: ${node.op} ${node.name ?? ""} has no numeric attribute ${name}`);
}

/** An integer-list attribute of `node`, or `fallback`. */
export function ints(node: NodeView, name: string, fallback: readonly number[]): number[] {
  const v: IrAttr | undefined = node.attrs[name];
  return Array.isArray(v) ? [...(v as readonly number[])] : [...fallback];
}
