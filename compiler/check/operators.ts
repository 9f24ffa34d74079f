/**
 * The layers the checker, completion and hover know: the operator registry's (`runtime/ops/`),
 * where each layer's arguments, defaults, doc and shape rule live once; and the names the
 * language adds around them (built-in functions, default aliases).
 */
import { LAYER_LIST, LAYERS } from "../../runtime/ops/index.js";
import type { OperatorDef } from "./operator-def.js";

export type { ArgSpec, OperatorDef } from "./operator-def.js";

/** Every operator, in the order of the reference docs. */
export const OPERATOR_LIST: readonly OperatorDef[] = LAYER_LIST;

/** Every operator by name. */
export const OPERATORS: ReadonlyMap<string, OperatorDef> = LAYERS;

/** The built-in functions, on tensors and on compile-time numbers, with their docs. */
export const BUILTIN_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ["channels", "channels(t): the size of axis 1 of tensor t (an int)"],
  ["shape", "shape(t): the shape of tensor t, as a list"],
  ["rank", "rank(t): the number of axes of tensor t"],
  ["min", "min(a, b, ...): the smallest of two or more compile-time numbers, or of a list of them"],
  ["max", "max(a, b, ...): the largest of two or more compile-time numbers, or of a list of them"],
]);

/** The built-in functions on compile-time numbers (the others take one tensor). */
export const NUMBER_FUNCTIONS: ReadonlySet<string> = new Set(["min", "max"]);

/** The aliases that have a meaning without a `use`: the layer they stand for, as source text. */
export const DEFAULT_ALIASES: ReadonlyMap<string, { readonly op: string; readonly doc: string }> = new Map([
  ["norm", { op: "batch", doc: "the normalization layer chosen by `use norm = ...`; batch() when unbound" }],
  ["act", { op: "relu", doc: "the activation chosen by `use act = ...`; relu when unbound" }],
]);
