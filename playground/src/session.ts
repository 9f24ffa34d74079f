/**
 * The playground's document, as the worker holds it: the latest text checked by nnc's own front
 * end, the same way the command line and the language server check a file. Diagnostics are the
 * `nnc check` ones, hover and completion are the language server's feature functions called on
 * the same analysis, and the summary and picture are `nnc summary`'s and `nnc graph`'s. Nothing
 * here touches the DOM or worker globals, so Node runs it too (the tests compare with it).
 */
import { checkSource, type CheckHost, type CheckResult } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { DEFAULT_ALIASES, OPERATOR_LIST } from "../../compiler/check/operators.js";
import { closingLines, printDiagnostics } from "../../compiler/cli/front-end.js";
import { summaryTable } from "../../compiler/cli/tables.js";
import { hasErrors, type Diagnostic } from "../../compiler/diagnostics/diagnostic.js";
import { graphSvg } from "../../compiler/emit/picture/graph-picture.js";
import { analyze, type Analysis } from "../../compiler/lsp/analysis.js";
import { completionsAt } from "../../compiler/lsp/completion.js";
import { hoverAt } from "../../compiler/lsp/hover.js";
import type { ModelDecl } from "../../compiler/syntax/ast.js";
import type { CompletionEntry, HoverText, ModelChoice, PlaygroundDiagnostic, Report, Switch } from "./protocol.js";

/** The file name the playground's text has: what diagnostics, summaries and emitted files say. */
export const PLAYGROUND_PATH = "model.nn";

/** Why an import cannot be read: the playground has one file and no disk. */
export const NO_IMPORTS = "the playground has a single file and no disk to import from; paste the imported blocks into this file";

/** A host that reads nothing: the text comes with each request and imports are refused. */
export const playgroundHost: CheckHost = {
  readFile: () => undefined,
  readImport: () => ({ reason: NO_IMPORTS }),
};

/** One document, re-checked at each version. */
export class Session {
  private analysis: Analysis | undefined;

  /** Checks `text` as version `version` and reports on it with `choice`'s `--set` and `--model`. */
  update(version: number, text: string, choice: ModelChoice): Report {
    const started = performance.now();
    this.analysis = analyze(`playground:${PLAYGROUND_PATH}`, PLAYGROUND_PATH, version, text, playgroundHost);
    const selected = selectModel(text, this.analysis.result, choice);
    const checkMs = performance.now() - started;
    const model = selected.result.models[0];
    const ok = !hasErrors(selected.result.diagnostics) && model !== undefined;
    return {
      version,
      diagnostics: this.analysis.result.diagnostics.filter((d) => d.file === PLAYGROUND_PATH).map(located),
      checkText: checkText(text, choice),
      models: this.analysis.program.decls.flatMap((d) => (d.kind === "model" && d.name.name !== "" ? [d.name.name] : [])),
      model: model?.name,
      summary: ok ? summaryTable(model) : undefined,
      svg: ok ? graphSvg(model) : undefined,
      switches: switchesOf(text, this.analysis, model?.name ?? choice.model),
      checkMs,
    };
  }

  /** The language server's hover at `offset` of the latest version. */
  hover(offset: number): HoverText | null {
    if (!this.analysis) return null;
    const hover = hoverAt(this.analysis, offset);
    if (!hover) return null;
    const contents = hover.contents;
    const markdown = typeof contents === "string" ? contents : "value" in contents ? contents.value : "";
    const range = hover.range;
    const source = this.analysis.source;
    const from = range ? source.offsetAt({ line: range.start.line, col: range.start.character }) : offset;
    const to = range ? source.offsetAt({ line: range.end.line, col: range.end.character }) : offset;
    return { markdown, from, to };
  }

  /** The language server's completion items at `offset` of the latest version. */
  complete(offset: number): CompletionEntry[] {
    if (!this.analysis) return [];
    return completionsAt(this.analysis, offset).map((item) => ({
      label: item.label,
      detail: item.detail,
      info: typeof item.documentation === "string" ? item.documentation : item.documentation?.value,
      apply: item.insertText,
      type: COMPLETION_TYPES[item.kind ?? 0] ?? "text",
      // The server sorts by `sortText`; CodeMirror by score, so the order becomes a boost.
      boost: -Number.parseInt(item.sortText?.[0] ?? "5", 10),
    }));
  }
}

/** CodeMirror's icon names for LSP's completion kinds. */
const COMPLETION_TYPES: Record<number, string> = { 3: "function", 5: "property", 6: "variable", 7: "class", 9: "namespace", 10: "property", 14: "keyword", 18: "type", 21: "constant" };

/**
 * The model the summary and picture show: the analysis's own result when no `--set` or
 * `--model` is given (it elaborated every model, the last one is `nnc summary`'s default), else
 * a check with them, as `nnc summary --set ...` does.
 */
export function selectModel(text: string, analysis: CheckResult, choice: ModelChoice): { result: CheckResult } {
  if (choice.set.length === 0 && choice.model === undefined) {
    const last = analysis.models.at(-1);
    return { result: { ...analysis, models: last ? [last] : [] } };
  }
  return { result: checkSource(PLAYGROUND_PATH, text, playgroundHost, { set: choice.set, model: choice.model }) };
}

/** The checked model of `choice`, or undefined with the diagnostics that stop it. */
export function checkedModel(text: string, choice: ModelChoice): { model?: CheckedModel; result: CheckResult } {
  const result = checkSource(PLAYGROUND_PATH, text, playgroundHost, { set: choice.set, model: choice.model });
  const model = hasErrors(result.diagnostics) ? undefined : result.models[0];
  return { model, result };
}

/**
 * What `nnc check model.nn` (with the `--set`s and `--model`) prints, stderr then stdout: the
 * diagnostics in the compiler layout and the closing line. The command is `check` in
 * `compiler/cli/main.ts`; its printing is `front-end.ts`'s, which this calls.
 */
export function checkText(text: string, choice: ModelChoice): string {
  const options = { set: choice.set, model: choice.model, allModels: choice.model === undefined };
  const result = checkSource(PLAYGROUND_PATH, text, playgroundHost, options);
  let out = "";
  const io = { stdout: (s: string) => void (out += s), stderr: (s: string) => void (out += s), readFile: () => undefined, readImport: () => ({ reason: NO_IMPORTS }), writeFile: () => undefined };
  printDiagnostics(io, result, options);
  const closing = closingLines(PLAYGROUND_PATH, result);
  return out + closing.stderr + closing.stdout;
}

function located(d: Diagnostic): PlaygroundDiagnostic {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    from: d.span.start,
    to: d.span.end,
    related: d.related.filter((r) => r.file === d.file).map((r) => ({ from: r.span.start, to: r.span.end, message: r.message })),
  };
}

/** Layer names of a family whose arguments all have defaults: the choices of an alias's menu. */
function layersOf(family: string): string[] {
  return OPERATOR_LIST.filter((op) => op.family === family && op.args.every((a) => a.default !== undefined || a.defaultFrom !== undefined)).map((op) => op.name);
}

/**
 * The model's `--set`-able names: its configuration parameters (with their defaults) and its
 * layer aliases (its top-level `use`s, and `norm` and `act` where the text names them).
 */
function switchesOf(text: string, analysis: Analysis, modelName: string | undefined): Switch[] {
  const models = analysis.program.decls.filter((d): d is ModelDecl => d.kind === "model");
  const decl = models.find((m) => m.name.name === modelName) ?? models.at(-1);
  if (!decl) return [];
  const slice = (span: { start: number; end: number }) => text.slice(span.start, span.end);
  const switches: Switch[] = [];
  for (const param of decl.params) {
    if (param.type?.kind !== "named" || param.default === undefined) continue;
    switches.push({ name: param.name.name, kind: "param", current: slice(param.default.span), choices: [] });
  }
  const aliases = new Map<string, string>();
  for (const stmt of decl.body) if (stmt.kind === "use") aliases.set(stmt.name.name, slice(stmt.value.span));
  for (const name of ["norm", "act"]) if (!aliases.has(name) && new RegExp(`\\b${name}\\b`).test(text)) aliases.set(name, DEFAULT_ALIASES.get(name)?.op ?? "");
  for (const [name, current] of aliases) {
    const head = /^[A-Za-z_][A-Za-z0-9_]*/.exec(current)?.[0] ?? "";
    const family = name === "norm" ? "normalizer" : name === "act" ? "activation" : OPERATOR_LIST.find((op) => op.name === head)?.family;
    const choices = family ? layersOf(family) : [];
    switches.push({ name, kind: "alias", current, choices: current && !choices.includes(current) ? [current, ...choices] : choices });
  }
  return switches;
}
