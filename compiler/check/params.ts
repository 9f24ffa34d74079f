/**
 * Parameter lists of blocks and models, checked once per declaration.
 *
 * A block's leading untyped parameters are its tensor inputs, and every parameter after them
 * must be typed (`int`, `float`, `bool`, `layer`, or a list of one of these such as `[int]`).
 * A model's tensor inputs are the parameters typed with a shape (`x: [N, 3, 32, 32]`); its
 * other parameters are typed configuration. The functions here also turn a type into a check
 * on values, shared by block calls, model defaults and `--set`.
 */
import type { BlockDecl, ModelDecl, Param, TypeRef } from "../syntax/ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/catalogue.js";
import { describeValue, type Value } from "./values.js";
import { didYouMean } from "./suggest.js";

const TYPE_NAMES = ["int", "float", "bool", "layer"];

/** Splits and checks a parameter list; problems are reported, and the parameter left out. */
export function checkParams(
  decl: BlockDecl | ModelDecl,
  file: string,
  diagnostics: Diagnostic[],
): { inputs: Param[]; config: Param[] } {
  const inputs: Param[] = [];
  const config: Param[] = [];
  const seen = new Map<string, Param>();
  const what = decl.kind === "block" ? "block" : "model";
  for (const param of decl.params) {
    const name = param.name.name;
    if (name === "") continue;
    const first = seen.get(name);
    if (first) {
      diagnostics.push(
        diagnostic("E0407", file, param.name.span, `parameter \`${name}\` is declared twice`, [
          { file, span: first.name.span, message: "first declared here" },
        ]),
      );
      continue;
    }
    seen.set(name, param);
    const type = param.type;
    if (!type) {
      if (decl.kind === "model") {
        diagnostics.push(diagnostic("E0407", file, param.span, `model parameter \`${name}\` needs a type: a shape such as [N, 3, 32, 32], or int, float, bool, layer, [int]`));
      } else if (config.length > 0) {
        diagnostics.push(diagnostic("E0407", file, param.span, `tensor input \`${name}\` must come before the typed parameters of block ${decl.name.name}`));
      } else if (param.default) {
        diagnostics.push(diagnostic("E0407", file, param.default.span, `tensor input \`${name}\` cannot have a default`));
      } else inputs.push(param);
      continue;
    }
    if (type.kind === "shape") {
      if (decl.kind === "model") inputs.push(param);
      else diagnostics.push(diagnostic("E0407", file, type.span, `a block's tensor inputs are untyped: write \`${name}\` without a shape`));
      continue;
    }
    if (checkType(type, file, diagnostics)) config.push(param);
  }
  if (inputs.length === 0 && decl.name.name !== "") {
    diagnostics.push(diagnostic("E0407", file, decl.name.span, `${what} ${decl.name.name} has no tensor input${decl.kind === "model" ? " (a parameter with a shape such as x: [N, 3, 32, 32])" : " (an untyped first parameter)"}`));
  }
  return { inputs, config };
}

function checkType(type: TypeRef, file: string, diagnostics: Diagnostic[]): boolean {
  if (type.kind === "listType") return checkType(type.element, file, diagnostics);
  if (type.kind === "shape") {
    diagnostics.push(diagnostic("E0310", file, type.span, "a list type names its element type, as in [int]"));
    return false;
  }
  if (TYPE_NAMES.includes(type.name.name)) return true;
  diagnostics.push(diagnostic("E0310", file, type.span, `unknown type \`${type.name.name}\`; the types are int, float, bool, layer and lists such as [int]${didYouMean(type.name.name, TYPE_NAMES)}`));
  return false;
}

/** `int`, `[int]`, ... as written. */
export function typeText(type: TypeRef): string {
  if (type.kind === "named") return type.name.name;
  if (type.kind === "listType") return `[${typeText(type.element)}]`;
  return "shape";
}

/**
 * Converts `value` to parameter type `type` (an int is a valid float), or returns a message
 * saying why it does not fit. An error value fits anything, silently.
 */
export function conformTo(value: Value, type: TypeRef): Value | string {
  if (value.k === "error") return value;
  if (type.kind === "listType") {
    if (value.k !== "list") return `expected ${typeText(type)}, got ${describeValue(value)}`;
    const items: Value[] = [];
    for (const item of value.items) {
      const converted = conformTo(item, type.element);
      if (typeof converted === "string") return `expected ${typeText(type)}, but an element is ${describeValue(item)}`;
      items.push(converted);
    }
    return { k: "list", items };
  }
  const name = type.kind === "named" ? type.name.name : "shape";
  if (name === "float" && value.k === "int") return { k: "float", v: value.v };
  if (value.k === name || (name === "layer" && value.k === "layer")) return value;
  if (value.k === "symbolic") return `expected ${name}, got the symbolic dimension ${value.v}, which has no static value`;
  return `expected ${name}, got ${describeValue(value)}`;
}
