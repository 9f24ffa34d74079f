/**
 * Helpers that shape rules and lowerings share.
 *
 * FLOPs convention (per sample, i.e. batch dimension 1; NaN when a needed dimension other than
 * the batch is symbolic):
 * - `conv` and `dense`: 2 × multiply-accumulates; bias additions and the folded weight
 *   standardization are not counted.
 * - pooling: one operation per window element per output element; global pooling: one per
 *   input element.
 * - element-wise layers (activations, `add` and the other arithmetic, `prelu`, `scale`, ...): one
 *   per output element; `softmax` and `log_softmax` three (exponent, sum, divide); `maxout`
 *   pieces − 1 comparisons per output.
 * - normalizers: `batch` and `batch_renorm` fold to a per-channel scale and shift at inference,
 *   two per element; the others compute statistics per sample, counted as five per element
 *   (mean, variance, normalize, scale, shift); `standardize` two; `none`, `identity`, `flatten`,
 *   `dropout` (identity at inference) and `concat` none.
 */
import { formatShape } from "./dims.js";
import type { AttrValue, Dim, LeafParam, LoweringContext, RuleCode, RuleFailure, Shape } from "./types.js";

/** Builds a rule failure. */
export function fail(code: RuleCode, message: string, arg?: string): RuleFailure {
  return { failure: true, code, message, arg };
}

/** True for a failure (rather than a result). */
export function isFailure<T>(r: T | RuleFailure): r is RuleFailure {
  return typeof r === "object" && r !== null && "failure" in r;
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
  const d: Dim | undefined = shape[axis];
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

/** γ and β of a normalizer, or constant ones and zeros for `affine: false`. */
export function affineParams(ctx: LoweringContext): [string, string] {
  const c = ctx.channels;
  const weight = ctx.param("weight") ?? ctx.constant("ones", [c], new Float32Array(c).fill(1));
  const bias = ctx.param("bias") ?? ctx.constant("zeros", [c], new Float32Array(c));
  return [weight, bias];
}

/** The layer's `eps` argument, or `fallback`. */
export function epsilonOf(ctx: LoweringContext, fallback = 1e-5): number {
  return Number(ctx.attrs.eps ?? fallback);
}
