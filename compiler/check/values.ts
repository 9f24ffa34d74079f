/**
 * The values of elaboration: what an expression of the language evaluates to at compile time.
 *
 * Numbers, booleans, strings, lists and tuples are ordinary constants. A tensor is a numbered
 * value of the model under construction (its shape lives in the elaboration context). A layer is
 * a closure — an operator or block with its arguments bound, or a chain, repeat, `for` or
 * labelled layer — applied later to tensors. `error` stands for a value whose computation
 * already failed and was reported: every operation on it yields `error` again without a new
 * diagnostic, which is how one mistake produces one message instead of a cascade.
 */
import type { AttrValue } from "./model.js";
import type { Expr, Ident } from "../syntax/ast.js";
import type { Span } from "../syntax/span.js";
import type { RelatedInfo } from "../diagnostics/diagnostic.js";
import type { InputArity, OperatorDef } from "./operator-def.js";
import type { BlockInfo, FileInfo } from "./files.js";
import type { DynamicEnv, Locals } from "./environment.js";

/** Where a value or layer was written: a file and a span in it. */
export interface Site {
  readonly file: string;
  readonly span: Span;
}

export type Value =
  | { readonly k: "int"; readonly v: number }
  /** `division`: the `/` that made it from two ints, for the hint to use `//` where an int is needed. */
  | { readonly k: "float"; readonly v: number; readonly division?: Site }
  | { readonly k: "bool"; readonly v: boolean }
  | { readonly k: "string"; readonly v: string }
  /** A symbolic dimension read with `shape(t)`: usable only where no static value is needed. */
  | { readonly k: "symbolic"; readonly v: string }
  | { readonly k: "list"; readonly items: readonly Value[] }
  | { readonly k: "tuple"; readonly items: readonly Value[] }
  | { readonly k: "tensor"; readonly id: number }
  | { readonly k: "layer"; readonly layer: Layer }
  /** The `same` of `pad: same`. */
  | { readonly k: "same" }
  | { readonly k: "error" };

export type TensorRef = { readonly k: "tensor"; readonly id: number };

/** An operator with its configuration resolved, waiting for (the rest of) its tensor inputs. */
export interface OpLayer {
  readonly kind: "op";
  readonly op: OperatorDef;
  readonly attrs: Readonly<Record<string, AttrValue>>;
  /** Where each explicitly given argument was written, to point errors at it. */
  readonly argSites: ReadonlyMap<string, Site>;
  /** Tensors given as leading positional arguments (`add(y)` piped from `x` is `add(x, y)`). */
  readonly bound: readonly TensorRef[];
  readonly site: Site;
  /** Where an alias such as `norm` was bound to this layer, for notes. */
  readonly aliasSite?: Site;
  /** The tensor inputs it takes where not the operator's count: 1 for arithmetic with a number (`x * 0.2`). */
  readonly arity?: InputArity;
}

/** A block with its configuration arguments bound. */
export interface BlockLayer {
  readonly kind: "block";
  readonly block: BlockInfo;
  readonly config: ReadonlyMap<string, Value>;
  readonly bound: readonly TensorRef[];
  readonly site: Site;
  /** The `use` aliases in force where the block was called (dynamic scope). */
  readonly dynamic: DynamicEnv | undefined;
  readonly aliasSite?: Site;
}

/** `f -> g -> h` without a tensor in front, and unlabelled groups `[f -> g]`. */
export interface ChainLayer {
  readonly kind: "chain";
  readonly stages: readonly Layer[];
}

/** `L * n`: n copies of L with fresh parameters. */
export interface RepeatLayer {
  readonly kind: "repeat";
  readonly inner: Layer;
  readonly count: number;
  readonly site: Site;
}

/** `for v in [...] { body }`: the body is elaborated once per element, as it is applied. */
export interface ForLayer {
  readonly kind: "for";
  readonly variable: Ident;
  readonly items: readonly Value[];
  readonly body: Expr;
  readonly file: FileInfo;
  readonly locals: Locals;
  readonly dynamic: DynamicEnv | undefined;
  readonly site: Site;
}

/** `name: layer`: the instance's own name, or a named scope for composite layers. */
export interface LabelledLayer {
  readonly kind: "labelled";
  readonly label: Ident;
  readonly inner: Layer;
  readonly site: Site;
}

export type Layer = OpLayer | BlockLayer | ChainLayer | RepeatLayer | ForLayer | LabelledLayer;

export const ERROR: Value = { k: "error" };

/** Wraps a layer as a value. */
export function layerValue(layer: Layer): Value {
  return { k: "layer", layer };
}

/**
 * Where an int was needed but `v` is (or holds) a float made by `/` of two ints: a note at that
 * `/` suggesting `//`, which divides to an int as Python's does. Empty for any other value.
 */
export function divisionNote(v: Value): RelatedInfo[] {
  const items = v.k === "list" || v.k === "tuple" ? v.items : [v];
  const from = items.find((item) => item.k === "float" && item.division !== undefined);
  if (from?.k !== "float" || !from.division) return [];
  const { file, span } = from.division;
  return [{ file, span, message: "this `/` of two ints gives a float; `//` divides them to an int (rounding down)" }];
}

/** A short description of a value's kind for messages: `int 3`, `a tensor`, `a layer`. */
export function describeValue(v: Value): string {
  switch (v.k) {
    case "int":
    case "float":
      return `${v.k} ${formatNumber(v)}`;
    case "bool":
      return `bool ${v.v}`;
    case "string":
      return `string ${JSON.stringify(v.v)}`;
    case "symbolic":
      return `symbolic dimension ${v.v}`;
    case "list":
      return "a list";
    case "tuple":
      return v.items.every((i) => i.k === "tensor") ? `a tuple of ${v.items.length} tensors` : "a tuple";
    case "tensor":
      return "a tensor";
    case "layer":
      return "a layer";
    case "same":
      return "`same`";
    case "error":
      return "an erroneous value";
  }
}

/** Renders a number as the language writes it (floats keep a decimal point). */
export function formatNumber(v: { readonly k: "int" | "float"; readonly v: number }): string {
  if (v.k === "int" || !Number.isFinite(v.v)) return String(v.v);
  const text = String(v.v);
  return text.includes(".") || text.includes("e") ? text : `${text}.0`;
}

/** Renders a constant for `CheckedModel.config` and messages. */
export function plainValue(v: Value): unknown {
  switch (v.k) {
    case "int":
    case "float":
    case "bool":
    case "string":
    case "symbolic":
      return v.v;
    case "list":
    case "tuple":
      return v.items.map(plainValue);
    case "layer":
      return describeLayer(v.layer);
    default:
      return v.k;
  }
}

/** A layer in source-like notation: `batch(momentum: 0.1)`, `Basic(c: 16)`, `[conv -> relu] * 3`. */
export function describeLayer(layer: Layer): string {
  switch (layer.kind) {
    case "op": {
      const given = layer.op.args.filter((a) => !sameAttr(layer.attrs[a.name], a.default));
      return given.length === 0
        ? layer.op.name
        : `${layer.op.name}(${given.map((a) => `${a.name}: ${formatAttr(layer.attrs[a.name])}`).join(", ")})`;
    }
    case "block": {
      const args = [...layer.config].map(([name, v]) => `${name}: ${String(plainValue(v))}`);
      return args.length === 0 ? layer.block.name : `${layer.block.name}(${args.join(", ")})`;
    }
    case "chain":
      return `[${layer.stages.map(describeLayer).join(" -> ")}]`;
    case "repeat":
      return `${describeLayer(layer.inner)} * ${layer.count}`;
    case "for":
      return `for ${layer.variable.name} in [...]`;
    case "labelled":
      return `${layer.label.name}: ${describeLayer(layer.inner)}`;
  }
}

function formatAttr(a: AttrValue | undefined): string {
  if (Array.isArray(a)) return a.length === 2 && a[0] === a[1] ? String(a[0]) : `(${a.join(", ")})`;
  return typeof a === "string" && a !== "same" ? JSON.stringify(a) : String(a);
}

function sameAttr(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
  if (Array.isArray(a) && a.length === 2) return a[0] === a[1] && a[0] === b;
  return a === b;
}
