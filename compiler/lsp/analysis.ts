/**
 * One document's analysis: the front end's check of one version of its text, with shape
 * tracing on, kept until the text (or a file it imports) changes. Diagnostics, hover, inlay
 * hints, completion and go-to-definition all read the same analysis, so a keystroke costs one
 * parse and one check however many requests follow it.
 */
import { checkSource, type CheckHost, type CheckResult } from "../check/check.js";
import { parse } from "../syntax/parse.js";
import type { Program } from "../syntax/ast.js";
import { SourceFile } from "../syntax/span.js";

/** A checked version of a document. */
export interface Analysis {
  readonly uri: string;
  /** The front end's path of the document. */
  readonly path: string;
  readonly version: number;
  readonly source: SourceFile;
  /** The document's syntax tree. */
  readonly program: Program;
  /** Every model of the file elaborated, as `nnc check` does, with `trace` on. */
  readonly result: CheckResult;
}

/** Checks `text` as version `version` of the document `uri` at `path`. */
export function analyze(uri: string, path: string, version: number, text: string, host: CheckHost): Analysis {
  const result = checkSource(path, text, host, { allModels: true, trace: true });
  const source = result.sources.get(path) ?? new SourceFile(path, text);
  const program = result.programs.get(path) ?? parse(text, path).program;
  return { uri, path, version, source, program, result };
}

/** True when the analysis read `path` (the document itself or a file it imports). */
export function dependsOn(analysis: Analysis, path: string): boolean {
  return analysis.path === path || analysis.result.sources.has(path);
}
