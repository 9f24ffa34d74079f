/**
 * Signatures of what can be called, written as the layer reference (docs/operators.md) writes them:
 * `conv(out, kernel, stride: 1, pad: 0, ...)` for an operator (from the operator table), and
 * the declared parameter list for a block (from its source text). Hover, completion and
 * signature help all show these.
 */
import type { AttrValue } from "../check/model.js";
import type { ArgSpec, OperatorDef } from "../check/operator-def.js";
import { BUILTIN_FUNCTIONS, DEFAULT_ALIASES, NUMBER_FUNCTIONS, OPERATORS } from "../check/operators.js";
import type { BlockDecl } from "../syntax/ast.js";
import type { Analysis } from "./analysis.js";
import type { Definition } from "./scope.js";

/** One parameter of a signature: its label as shown, and its doc. */
export interface SignatureParam {
  readonly name: string;
  readonly label: string;
  readonly doc: string;
  /** True for a parameter that must be given (no default). */
  readonly required: boolean;
  /** The default as source text, if any. */
  readonly default?: string;
}

/** A callable's signature. */
export interface Signature {
  readonly name: string;
  readonly label: string;
  readonly doc: string;
  readonly params: readonly SignatureParam[];
}

/** An attribute value as the language writes it: `1`, `true`, `"none"`, `(1, 3)`. */
function formatAttr(value: AttrValue): string {
  if (Array.isArray(value)) return `(${value.join(", ")})`;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** The default of an operator argument as text, if it has one. */
function argDefault(arg: ArgSpec): string | undefined {
  if (arg.default !== undefined) return formatAttr(arg.default);
  return arg.defaultFrom;
}

/** An operator's signature from the table. */
export function operatorSignature(op: OperatorDef): Signature {
  const params = op.args.map((arg) => {
    const def = argDefault(arg);
    return { name: arg.name, label: def === undefined ? arg.name : `${arg.name}: ${def}`, doc: arg.doc, required: def === undefined, default: def };
  });
  return { name: op.name, label: `${op.name}(${params.map((p) => p.label).join(", ")})`, doc: op.doc, params };
}

/** A block's signature: its configuration parameters as declared (tensor inputs are piped in). */
export function blockSignature(decl: BlockDecl, text: string): Signature {
  const params = decl.params
    .filter((p) => p.type !== undefined)
    .map((p) => ({
      name: p.name.name,
      label: text.slice(p.span.start, p.span.end).replace(/\s+/g, " "),
      doc: "",
      required: p.default === undefined,
      default: p.default ? text.slice(p.default.span.start, p.default.span.end) : undefined,
    }));
  const inputs = decl.params.filter((p) => p.type === undefined).map((p) => p.name.name);
  const doc = `block with tensor input${inputs.length === 1 ? "" : "s"} ${inputs.join(", ")}`;
  return { name: decl.name.name, label: `${decl.name.name}(${params.map((p) => p.label).join(", ")})`, doc, params };
}

/** The signature of what `name` calls at a place where `definition` is its visible definition. */
export function signatureOf(analysis: Analysis, name: string, definition: Definition | undefined): Signature | undefined {
  if (definition?.kind === "block" && definition.decl.kind === "block") {
    const text = analysis.result.sources.get(definition.file)?.text ?? "";
    return blockSignature(definition.decl, text);
  }
  if (definition) return undefined;
  const op = OPERATORS.get(name) ?? OPERATORS.get(DEFAULT_ALIASES.get(name)?.op ?? "");
  if (op) return operatorSignature(op);
  const builtin = BUILTIN_FUNCTIONS.get(name);
  if (builtin === undefined) return undefined;
  if (NUMBER_FUNCTIONS.has(name)) {
    const number = (n: string) => ({ name: n, label: n, doc: "a compile-time number", required: true });
    return { name, label: `${name}(a, b, ...)`, doc: builtin, params: [number("a"), number("b")] };
  }
  return { name, label: `${name}(t)`, doc: builtin, params: [{ name: "t", label: "t", doc: "a tensor", required: true }] };
}
