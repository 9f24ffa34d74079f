/**
 * The operator table: every built-in layer of SPEC §3 and §3.1, by name. Completion, hover
 * and the checker all read it, so an operator's arguments, defaults and doc live in one place
 * (the entries themselves are in `operators-spatial.ts`, `operators-elementwise.ts` and
 * `normalizers.ts`).
 */
import type { OperatorDef } from "./operator-def.js";
import { SPATIAL_OPERATORS } from "./operators-spatial.js";
import { ELEMENTWISE_OPERATORS } from "./operators-elementwise.js";
import { NORMALIZERS } from "./normalizers.js";

export type { ArgSpec, OperatorDef } from "./operator-def.js";

/** Every operator, in the order of the SPEC's tables. */
export const OPERATOR_LIST: readonly OperatorDef[] = [...SPATIAL_OPERATORS, ...ELEMENTWISE_OPERATORS, ...NORMALIZERS];

/** Every operator by name. */
export const OPERATORS: ReadonlyMap<string, OperatorDef> = new Map(OPERATOR_LIST.map((op) => [op.name, op]));

/** The built-in functions on tensors, with their docs. */
export const BUILTIN_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ["channels", "channels(t): the size of axis 1 of tensor t (an int)"],
  ["shape", "shape(t): the shape of tensor t, as a list"],
  ["rank", "rank(t): the number of axes of tensor t"],
]);

/** The aliases that have a meaning without a `use`: the layer they stand for, as source text. */
export const DEFAULT_ALIASES: ReadonlyMap<string, { readonly op: string; readonly doc: string }> = new Map([
  ["norm", { op: "batch", doc: "the normalization layer chosen by `use norm = ...`; batch() when unbound" }],
  ["act", { op: "relu", doc: "the activation chosen by `use act = ...`; relu when unbound" }],
]);
