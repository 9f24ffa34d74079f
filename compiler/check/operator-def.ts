/**
 * The shape of an operator table entry, and the helpers its rules share.
 *
 * An operator is data: its arguments (name, type, default, allowed range, one-line doc), a
 * one-line doc of its own, and a pure `infer` rule from resolved attributes and input shapes to
 * the output shape, the parameters and the FLOPs — or to a failure with a code and a message.
 * Argument types and ranges are checked generically from the table (`arguments.ts`), so rules
 * only deal with shapes; completion and hover read the same table.
 *
 * FLOPs convention (per sample, i.e. batch dimension 1; NaN when a needed dimension other than
 * the batch is symbolic):
 * - `conv` and `dense`: 2 × multiply-accumulates; bias additions and the folded weight
 *   standardization are not counted.
 * - pooling: one operation per window element per output element; global pooling: one per
 *   input element.
 * - element-wise layers (activations, `add`, `prelu`, ...): one per output element; `softmax`
 *   and `log_softmax` three (exponent, sum, divide); `maxout` pieces − 1 comparisons per output.
 * - normalizers: `batch` and `batch_renorm` fold to a per-channel scale and shift at inference,
 *   two per element; the others compute statistics per sample, counted as five per element
 *   (mean, variance, normalize, scale, shift); `standardize` two; `none`, `identity`, `flatten`,
 *   `dropout` (identity at inference) and `concat` none.
 */
import type { AttrValue, Dim, Shape } from "./model.js";
import type { Code } from "../diagnostics/catalogue.js";
import { formatShape } from "./dims.js";

/**
 * Argument types: `pair` is an int or a `(h, w)` pair, `padding` a pair or `same`, `floats` a
 * list of numbers (`standardize`'s mean and std).
 */
export type ArgType = "int" | "float" | "bool" | "string" | "pair" | "padding" | "floats";

/** One argument of an operator. */
export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** Absent for a required argument (unless `defaultFrom` is given). */
  readonly default?: AttrValue;
  /** The default is another argument's value (a pool's `stride` defaults to its `kernel`). */
  readonly defaultFrom?: string;
  /** Smallest allowed value (for `pair` and `floats`, of every element). */
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly maxExclusive?: boolean;
  /** The allowed strings of an enum-valued `string` argument. */
  readonly oneOf?: readonly string[];
  readonly doc: string;
}

/** A parameter or buffer of one layer instance, before its path is prefixed. */
export interface LeafParam {
  readonly leaf: string;
  readonly shape: readonly number[];
  readonly buffer: boolean;
}

/** What a rule makes of a well-formed application. */
export interface RuleResult {
  readonly shape: Shape;
  readonly params: readonly LeafParam[];
  readonly flops: number;
  /** Attributes derived from the shapes (explicit `pads` of `pad: same`). */
  readonly derived?: Readonly<Record<string, AttrValue>>;
}

/** Why a rule refuses its inputs; `arg` points the squiggle at that argument when given. */
export interface RuleFailure {
  readonly failure: true;
  readonly code: Code;
  readonly message: string;
  readonly arg?: string;
}

/** How many tensors an operator takes: exactly one, exactly two, or two or more. */
export type InputArity = 1 | 2 | "many";

/** One operator of SPEC §3 or §3.1. */
export interface OperatorDef {
  readonly name: string;
  readonly doc: string;
  readonly family: "linear" | "pool" | "activation" | "normalizer" | "structure";
  readonly inputs: InputArity;
  readonly args: readonly ArgSpec[];
  readonly infer: (attrs: Readonly<Record<string, AttrValue>>, shapes: readonly Shape[]) => RuleResult | RuleFailure;
}

/** Builds a rule failure. */
export function fail(code: Code, message: string, arg?: string): RuleFailure {
  return { failure: true, code, message, arg };
}

/** True for a failure (rather than a result). */
export function isFailure(r: RuleResult | RuleFailure | number | string): r is RuleFailure {
  return typeof r === "object" && "failure" in r;
}

/** Refuses a rank the operator does not take: `conv needs a rank-4 input [N, C, H, W], got [N,10]`. */
export function checkRank(op: string, shape: Shape, ranks: readonly number[]): RuleFailure | undefined {
  if (ranks.includes(shape.length)) return undefined;
  const forms: Record<number, string> = { 2: "rank-2 input [N, F]", 4: "rank-4 input [N, C, H, W]" };
  const wanted = ranks.map((r) => forms[r] ?? `rank-${r} input`).join(" or a ");
  return fail("E0201", `${op} needs a ${wanted}, got ${formatShape(shape)}`);
}

/** Refuses ranks below 2: every layer works on a batch of something. */
export function checkBatched(op: string, shape: Shape): RuleFailure | undefined {
  return shape.length >= 2 ? undefined : fail("E0201", `${op} needs an input of rank 2 or more, got ${formatShape(shape)}`);
}

/** A dimension that must be static (a channel count, a feature count), or a failure saying why. */
export function staticDim(op: string, shape: Shape, axis: number, what: string): number | RuleFailure {
  const d: Dim = shape[axis];
  if (typeof d === "number") return d;
  return fail("E0206", `${op} needs a static ${what}, but it is the symbolic dimension ${d}`);
}

/** One parameter per channel, for normalizers and friends. */
export function perChannel(leaf: string, channels: number, buffer = false): LeafParam {
  return { leaf, shape: [channels], buffer };
}

/** Reads a pair attribute (always stored as `[h, w]` after argument resolution). */
export function pair(a: AttrValue | undefined): readonly [number, number] {
  return Array.isArray(a) ? [a[0] as number, a[1] as number] : [Number(a), Number(a)];
}
