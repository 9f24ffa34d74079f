/**
 * `--set k=v` overrides. `v` is an expression of the language, evaluated in the main file's
 * top-level scope. `k` names a configuration parameter of the model (the value must fit its
 * type) or a layer alias — `norm`, `act`, or any name the model binds with a top-level `use` —
 * which replaces that `use` (blocks' own `use`s still rebind it nearer). Every problem is an
 * E0002 at the model's name, since the command line has no source text to point into.
 */
import type { Expr, ModelDecl } from "../syntax/ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/catalogue.js";
import { parseExpression } from "../syntax/parse.js";
import type { FileInfo } from "./files.js";
import type { ModelOverrides } from "./elaborate-model.js";
import { Elaboration } from "./context.js";
import { Locals } from "./environment.js";
import { conformTo } from "./params.js";
import { didYouMean } from "./suggest.js";
import { describeValue, type Value } from "./values.js";
import { evaluate } from "./evaluate.js";
import { DEFAULT_ALIASES } from "./operators.js";

/** One parsed `--set`. */
export interface ParsedOverride {
  readonly raw: string;
  readonly key: string;
  readonly expr: Expr;
}

/** Splits and parses every `--set`; malformed ones are reported and dropped. */
export function parseOverrides(raws: readonly string[], main: FileInfo, model: ModelDecl | undefined, diagnostics: Diagnostic[]): ParsedOverride[] {
  const out: ParsedOverride[] = [];
  const span = model?.name.span ?? { start: 0, end: 0 };
  for (const raw of raws) {
    const at = raw.indexOf("=");
    const key = at < 0 ? "" : raw.slice(0, at).trim();
    if (!isName(key)) {
      diagnostics.push(diagnostic("E0002", main.path, span, `--set expects NAME=EXPRESSION, got '${raw}'`));
      continue;
    }
    const parsed = parseExpression(raw.slice(at + 1), "--set");
    if (parsed.diagnostics.length > 0) {
      diagnostics.push(diagnostic("E0002", main.path, span, `--set ${raw}: the value does not parse: ${parsed.diagnostics[0].message}`));
      continue;
    }
    out.push({ raw, key, expr: parsed.expr });
  }
  return out;
}

/** The overrides that apply to `decl`; unknown names are reported unless another selected model has them. */
export function resolveOverrides(
  overrides: readonly ParsedOverride[],
  decl: ModelDecl,
  main: FileInfo,
  selected: readonly ModelDecl[],
  diagnostics: Diagnostic[],
): ModelOverrides {
  const params = new Map<string, Value>();
  const aliases = new Map<string, Value>();
  const report = (message: string) => diagnostics.push(diagnostic("E0002", main.path, decl.name.span, message));
  for (const o of overrides) {
    const param = decl.params.find((p) => p.name.name === o.key && p.type && p.type.kind !== "shape");
    const isAlias = aliasNames(decl).has(o.key);
    if (!param && !isAlias) {
      if (selected.some((m) => m !== decl && (configNames(m).includes(o.key) || aliasNames(m).has(o.key)))) continue;
      const names = configNames(decl);
      const known = names.length === 0 ? "it has none" : `its parameters: ${names.join(", ")}`;
      report(`--set ${o.raw}: model ${decl.name.name} has no parameter \`${o.key}\` (${known})${didYouMean(o.key, names)}`);
      continue;
    }
    const value = evaluateOverride(o, main, report);
    if (value === undefined) continue;
    if (param) {
      const converted = conformTo(value, param.type!);
      if (typeof converted === "string") report(`--set ${o.raw}: \`${o.key}\` ${converted}`);
      else params.set(o.key, converted);
    } else if (value.k !== "layer") {
      report(`--set ${o.raw}: \`${o.key}\` is a layer alias, got ${describeValue(value)}`);
    } else aliases.set(o.key, value);
  }
  return { params, aliases };
}

function evaluateOverride(o: ParsedOverride, main: FileInfo, report: (message: string) => void): Value | undefined {
  const problems: Diagnostic[] = [];
  const ctx = new Elaboration(problems, 1);
  const value = evaluate(ctx, o.expr, { file: main, locals: new Locals(), dynamic: undefined });
  if (problems.length > 0 || value.k === "error") {
    report(`--set ${o.raw}: ${problems[0]?.message ?? "the value is not valid"}`);
    return undefined;
  }
  return value;
}

function configNames(decl: ModelDecl): string[] {
  return decl.params.filter((p) => p.type && p.type.kind !== "shape").map((p) => p.name.name);
}

/** `norm`, `act` and the names of the model's top-level `use` statements. */
function aliasNames(decl: ModelDecl): Set<string> {
  const names = new Set(DEFAULT_ALIASES.keys());
  for (const stmt of decl.body) if (stmt.kind === "use") names.add(stmt.name.name);
  return names;
}

function isName(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
    if (!letter && !(i > 0 && c >= 48 && c <= 57)) return false;
  }
  return true;
}
