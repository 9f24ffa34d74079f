/**
 * The front end's diagnostics as LSP diagnostics: the same codes and messages as `nnc check`,
 * with spans turned into ranges here and nowhere else. A check reports about every file it
 * read (an error inside an imported block shows in that block's file), so diagnostics are
 * grouped by file; the workspace merges the groups of every open document.
 */
import { DiagnosticSeverity, DiagnosticTag, type Diagnostic as LspDiagnostic } from "vscode-languageserver";
import type { Diagnostic, Severity } from "../diagnostics/diagnostic.js";
import type { CheckResult } from "../check/check.js";
import { SourceFile } from "../syntax/span.js";
import { pathToUri, spanToRange } from "./positions.js";

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  note: DiagnosticSeverity.Information,
};

/** The codes of diagnostics about code that does nothing (LSP's `Unnecessary` tag). */
const UNNECESSARY: ReadonlySet<string> = new Set(["W0001"]);

/** A check's diagnostics as LSP diagnostics, by document URI. */
export function diagnosticsByUri(result: CheckResult): Map<string, LspDiagnostic[]> {
  const byUri = new Map<string, LspDiagnostic[]>();
  // A file the check could not read has no text: positions in it are all at its start.
  const sourceOf = (path: string) => result.sources.get(path) ?? new SourceFile(path, "");
  for (const d of result.diagnostics) {
    const uri = pathToUri(d.file);
    const list = byUri.get(uri) ?? [];
    list.push(toLspDiagnostic(d, sourceOf));
    byUri.set(uri, list);
  }
  return byUri;
}

/** One diagnostic as LSP has it; `sourceOf` gives the text of any file it mentions. */
export function toLspDiagnostic(d: Diagnostic, sourceOf: (path: string) => SourceFile): LspDiagnostic {
  const out: LspDiagnostic = {
    range: spanToRange(sourceOf(d.file), d.span),
    severity: SEVERITY[d.severity],
    code: d.code,
    source: "nnc",
    message: d.message,
  };
  // An unused name is drawn faded, as editors show unused code.
  if (UNNECESSARY.has(d.code)) out.tags = [DiagnosticTag.Unnecessary];
  if (d.related.length > 0) {
    out.relatedInformation = d.related.map((r) => ({
      location: { uri: pathToUri(r.file), range: spanToRange(sourceOf(r.file), r.span) },
      message: r.message,
    }));
  }
  return out;
}
