/**
 * The front end's entry points: read a file and its imports, parse them, elaborate the
 * selected model(s) and return everything the command line and the language server need.
 *
 * `checkFile` and `checkSource` never throw: every problem is a diagnostic. (A last guard turns
 * an exception that escapes anyway — a bug, or a stack exhausted by absurdly deep nesting —
 * into one diagnostic rather than a crash.)
 */
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/catalogue.js";
import type { Program } from "../syntax/ast.js";
import type { SourceFile, Span } from "../syntax/span.js";
import type { CheckedModel } from "./model.js";
import { loadFiles, type FileInfo, type FileReader } from "./files.js";
import { elaborateModel } from "./elaborate-model.js";
import { parseOverrides, resolveOverrides } from "./overrides.js";
import { Elaboration } from "./context.js";
import { Locals } from "./environment.js";
import { evaluate } from "./evaluate.js";
import { unusedNames, withoutUnusedBesideErrors } from "./unused.js";

/** Reads files for imports (`readFile`: `undefined` when a file cannot be read), within a root. */
export type CheckHost = FileReader;

/** What to elaborate, and how. */
export interface CheckOptions {
  /** `--model NAME`: the model to pick (default: the only or the last). */
  model?: string;
  /** Raw `k=v` strings from `--set`; v is an expression of the language. */
  set?: readonly string[];
  /** `nnc check`: elaborate every model of the file. */
  allModels?: boolean;
  /** The expansion limit in primitive layer instances (default 100,000). */
  maxLayers?: number;
  /** Record shapes at source places on each model (`CheckedModel.trace`), for the language server. */
  trace?: boolean;
}

/** Everything checking produced. */
export interface CheckResult {
  /** The selected model (or every model with `allModels`); possibly empty after errors. */
  models: CheckedModel[];
  /** Every file's diagnostics, parse and check, by file (main first) and position. */
  diagnostics: Diagnostic[];
  /** Every file read, by path (the diagnostic printer needs the text). */
  sources: Map<string, SourceFile>;
  /** Every parsed file, by path. */
  programs: Map<string, Program>;
}

/** The default expansion limit. */
export const DEFAULT_MAX_LAYERS = 100_000;

/** Reads `path` through `host` and checks it. */
export function checkFile(path: string, host: CheckHost, options: CheckOptions = {}): CheckResult {
  const text = host.readFile(path);
  if (text === undefined) {
    return { models: [], diagnostics: [diagnostic("E0001", path, { start: 0, end: 0 }, `cannot read '${path}'`)], sources: new Map(), programs: new Map() };
  }
  return checkSource(path, text, host, options);
}

/** Checks `text` as the contents of `path` (imports are read through `host`). */
export function checkSource(path: string, text: string, host: CheckHost, options: CheckOptions = {}): CheckResult {
  const sources = new Map<string, SourceFile>();
  const programs = new Map<string, Program>();
  const diagnostics: Diagnostic[] = [];
  const models: CheckedModel[] = [];
  try {
    const loaded = loadFiles(path, text, host);
    for (const [p, info] of loaded.files) {
      sources.set(p, info.source);
      programs.set(p, info.program);
    }
    diagnostics.push(...loaded.diagnostics);
    if (!loaded.diagnostics.some((d) => d.file === path && d.code.startsWith("E01"))) diagnostics.push(...unusedNames(loaded.main.program, path));
    checkLets(loaded.files.values(), diagnostics);
    const maxLayers = options.maxLayers ?? DEFAULT_MAX_LAYERS;
    const selected = selectModels(loaded.main, options, diagnostics);
    const overrides = parseOverrides(options.set ?? [], loaded.main, selected[0], diagnostics);
    for (const decl of selected) {
      const resolved = resolveOverrides(overrides, decl, loaded.main, selected, diagnostics);
      models.push(elaborateModel(decl, loaded.main, resolved, maxLayers, diagnostics, options.trace));
    }
  } catch (error) {
    const reported = error instanceof RangeError && diagnostics.some((d) => d.code === "E0409");
    const reason = error instanceof RangeError ? TOO_DEEP : `internal error: ${error instanceof Error ? error.message : String(error)}`;
    if (!reported) diagnostics.push(diagnostic("E0409", path, { start: 0, end: 0 }, reason));
  }
  return { models, diagnostics: order(withoutUnusedBesideErrors(withoutCascades(diagnostics, programs), programs), path), sources, programs };
}

/**
 * Drops checker diagnostics inside a declaration that has a syntax error (or is followed by
 * one before the next declaration): the parser's
 * recovery filled that declaration with guesses, and errors about the guesses would only
 * bury the syntax error. Declarations without syntax errors are still checked in full.
 */
function withoutCascades(diagnostics: readonly Diagnostic[], programs: ReadonlyMap<string, Program>): Diagnostic[] {
  const isSyntax = (d: Diagnostic) => d.code.startsWith("E01");
  const broken = new Map<string, Span[]>();
  for (const d of diagnostics.filter(isSyntax)) {
    // The declaration the error is in, and the one it follows: a declaration whose body the
    // parser gave up on ends before the error that stopped it (`model M(x) -> [N, 4] {`), and
    // what the parser read after it (`let` inside a body) is a guess too.
    const decls = programs.get(d.file)?.decls ?? [];
    const within = decls.find((x) => x.span.start <= d.span.start && d.span.start <= x.span.end);
    let before: (typeof decls)[number] | undefined;
    for (const x of decls) if (x.span.start < d.span.start) before = x;
    const spans = [within, before].filter((x) => x !== undefined).map((x) => x.span);
    if (spans.length > 0) broken.set(d.file, [...(broken.get(d.file) ?? []), ...spans]);
  }
  if (broken.size === 0) return [...diagnostics];
  return diagnostics.filter(
    (d) => isSyntax(d) || !broken.get(d.file)?.some((s) => s.start <= d.span.start && d.span.start <= s.end),
  );
}

/** The models to elaborate: `--model`, every one with `allModels`, or the last one. */
function selectModels(main: FileInfo, options: CheckOptions, diagnostics: Diagnostic[]) {
  const models = main.models;
  if (options.model !== undefined) {
    const found = models.find((m) => m.name.name === options.model);
    if (!found) {
      const known = models.length === 0 ? "the file has no model" : `its models: ${models.map((m) => m.name.name).join(", ")}`;
      diagnostics.push(diagnostic("E0003", main.path, { start: 0, end: 0 }, `--model ${options.model}: no model of that name in ${main.path}; ${known}`));
      return [];
    }
    return [found];
  }
  if (options.allModels) return models;
  if (models.length === 0) {
    diagnostics.push(diagnostic("E0003", main.path, { start: 0, end: 0 }, `${main.path} has no model to elaborate`));
    return [];
  }
  return [models[models.length - 1]];
}

/** Evaluates every `let` once, so that mistakes in unused ones are reported too. */
function checkLets(files: Iterable<FileInfo>, diagnostics: Diagnostic[]): void {
  for (const file of files) {
    for (const decl of file.program.decls) {
      const entry = decl.kind === "let" ? file.scope.get(decl.name.name) : undefined;
      if (decl.kind !== "let" || entry?.kind !== "let" || entry.decl !== decl) continue;
      const ctx = new Elaboration(diagnostics, DEFAULT_MAX_LAYERS);
      ctx.letStack.push(decl);
      try {
        evaluate(ctx, decl.value, { file, locals: new Locals(), dynamic: undefined });
      } catch (error) {
        if (!(error instanceof RangeError)) throw error;
        diagnostics.push(diagnostic("E0409", file.path, decl.value.span, TOO_DEEP));
      }
      // A chain too deep is reported once, where it first gets too deep, not again for every
      // definition built on it.
      if (diagnostics.some((d) => d.code === "E0409")) return;
    }
  }
}

const TOO_DEEP = "the program nests too deeply to check";

/** Removes exact duplicates (shared blocks report once) and orders by file, then position. */
function order(diagnostics: readonly Diagnostic[], main: string): Diagnostic[] {
  const seen = new Set<string>();
  const fileRank = new Map<string, number>([[main, 0]]);
  const unique: Diagnostic[] = [];
  for (const d of diagnostics) {
    const key = `${d.code}\u0000${d.file}\u0000${d.span.start}\u0000${d.span.end}\u0000${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (!fileRank.has(d.file)) fileRank.set(d.file, fileRank.size);
    unique.push(d);
  }
  return unique
    .map((d, i) => ({ d, i }))
    .sort((a, b) => fileRank.get(a.d.file)! - fileRank.get(b.d.file)! || a.d.span.start - b.d.span.start || a.i - b.i)
    .map((x) => x.d);
}
