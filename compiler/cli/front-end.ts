/**
 * The command line's use of the front end: read a file, check it, print its diagnostics.
 * Every command goes through here, so all of them report problems the same way: a problem of the
 * file as a diagnostic (exit 1), a `--set` or `--model` that the file cannot take as a usage
 * error (exit 2).
 */
import { checkSource, type CheckOptions, type CheckResult } from "../check/check.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/catalogue.js";
import { renderDiagnostics, diagnosticsToJson, type JsonDiagnostic } from "../diagnostics/render.js";
import { SourceFile } from "../syntax/span.js";
import { checkHost, type CliIo } from "./io.js";
import { groupThousands, parameterCounts } from "./tables.js";

/** Options shared by the commands that elaborate a model. */
export interface ModelOptions {
  set?: string[];
  model?: string;
}

/** A checked file, with everything needed to print its diagnostics. */
export interface CheckedFile {
  readonly result: CheckResult;
  readonly ok: boolean;
  /** The command's exit code for it: 0 when ok, 2 when a diagnostic is a usage error, else 1. */
  readonly status: 0 | 1 | 2;
}

/**
 * Reads and checks `path`. An unreadable file becomes an E0001 diagnostic like any other
 * problem, so callers handle one kind of failure.
 */
export function checkPath(path: string, io: CliIo, options: CheckOptions): CheckedFile {
  const text = io.readFile(path);
  if (text === undefined) {
    const result: CheckResult = { models: [], diagnostics: [unreadable(path, io)], sources: new Map(), programs: new Map() };
    return { result, ok: false, status: 1 };
  }
  const result = checkSource(path, text, checkHost(io), options);
  const ok = !hasErrors(result.diagnostics);
  return { result, ok, status: ok ? 0 : result.diagnostics.some((d) => isUsageError(d, options)) ? 2 : 1 };
}

/**
 * True for a diagnostic about the command line's own arguments rather than the file: E0002, a
 * `--set` that is malformed or names no parameter, and E0003 when `--model` names no model of the
 * file. (Without `--model`, E0003 says that the file has no model at all: the file's problem.)
 */
export function isUsageError(d: Diagnostic, options: Pick<CheckOptions, "model">): boolean {
  return d.code === "E0002" || (d.code === "E0003" && options.model !== undefined);
}

/** The E0001 diagnostic for a file that cannot be read, with the reason where `io` can say. */
export function unreadable(path: string, io?: CliIo): Diagnostic {
  const reason = io?.readFailure?.(path);
  return diagnostic("E0001", path, { start: 0, end: 0 }, `cannot read '${path}'${reason ? `: ${reason}` : ""}`);
}

/**
 * Prints a check result's diagnostics to stderr: the usage errors first (`isUsageError`), as
 * `nnc: error: <message>` without a source line, since the `--set` or `--model` is not in the
 * file; then the others in the compiler layout.
 */
export function printDiagnostics(io: CliIo, result: CheckResult, options: Pick<CheckOptions, "model"> = {}): void {
  const usage = result.diagnostics.filter((d) => isUsageError(d, options));
  for (const d of usage) io.stderr(`nnc: error: ${d.message}\n`);
  const others = result.diagnostics.filter((d) => !isUsageError(d, options));
  if (others.length > 0) io.stderr(renderDiagnostics(others, lookup(result)));
}

/** Prints diagnostics about one file whose text (if it could be read) is `text`. */
export function printFileDiagnostics(io: CliIo, path: string, text: string | undefined, diagnostics: readonly Diagnostic[]): void {
  const source = text === undefined ? undefined : new SourceFile(path, text);
  io.stderr(renderDiagnostics(diagnostics, (p) => (p === path ? source : undefined)));
}

/** The `--format json` form of a result's diagnostics. */
export function jsonDiagnostics(result: CheckResult): JsonDiagnostic[] {
  return diagnosticsToJson(result.diagnostics, lookup(result));
}

/**
 * `nnc check`'s closing lines for a file, after its diagnostics: the count of its diagnostics on
 * stderr where it has any (warnings are counted but fail nothing), then `<file>: ok: <models>` on
 * stdout where it has no error.
 */
export function closingLines(file: string, result: CheckResult): { stdout: string; stderr: string } {
  const counted = result.diagnostics.length > 0 ? `${file}: ${countLine(result.diagnostics)}\n` : "";
  if (hasErrors(result.diagnostics)) return { stdout: "", stderr: counted };
  const models = result.models.map((m) => `${m.name} (${groupThousands(parameterCounts(m).learnable)} parameters)`);
  return { stdout: `${file}: ok${models.length > 0 ? `: ${models.join(", ")}` : ""}\n`, stderr: counted };
}

/** Counts errors and warnings for a closing line such as `2 errors, 1 warning`. */
export function countLine(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === "error").length;
  const warnings = diagnostics.filter((d) => d.severity === "warning").length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(errors, "error")}, ${plural(warnings, "warning")}`;
}

function lookup(result: CheckResult): (path: string) => SourceFile | undefined {
  return (path) => result.sources.get(path);
}
