/**
 * The command line's use of the front end: read a file, check it, print its diagnostics.
 * Every command goes through here, so all of them report problems the same way.
 */
import { checkSource, type CheckOptions, type CheckResult } from "../check/check.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/catalogue.js";
import { renderDiagnostics, diagnosticsToJson, type JsonDiagnostic } from "../diagnostics/render.js";
import { SourceFile } from "../syntax/span.js";
import { checkHost, type CliIo } from "./io.js";

/** Options shared by the commands that elaborate a model. */
export interface ModelOptions {
  set?: string[];
  model?: string;
}

/** A checked file, with everything needed to print its diagnostics. */
export interface CheckedFile {
  readonly result: CheckResult;
  readonly ok: boolean;
}

/**
 * Reads and checks `path`. An unreadable file becomes an E0001 diagnostic like any other
 * problem, so callers handle one kind of failure.
 */
export function checkPath(path: string, io: CliIo, options: CheckOptions): CheckedFile {
  const text = io.readFile(path);
  if (text === undefined) {
    const result: CheckResult = { models: [], diagnostics: [unreadable(path, io)], sources: new Map(), programs: new Map() };
    return { result, ok: false };
  }
  const result = checkSource(path, text, checkHost(io), options);
  return { result, ok: !hasErrors(result.diagnostics) };
}

/** The E0001 diagnostic for a file that cannot be read, with the reason where `io` can say. */
export function unreadable(path: string, io?: CliIo): Diagnostic {
  const reason = io?.readFailure?.(path);
  return diagnostic("E0001", path, { start: 0, end: 0 }, `cannot read '${path}'${reason ? `: ${reason}` : ""}`);
}

/** Prints a check result's diagnostics in the compiler layout to stderr. */
export function printDiagnostics(io: CliIo, result: CheckResult): void {
  if (result.diagnostics.length === 0) return;
  io.stderr(renderDiagnostics(result.diagnostics, lookup(result)));
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
