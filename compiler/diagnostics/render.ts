/**
 * Diagnostics for people and for machines. The text layout is the one docs/diagnostics.md shows: a
 * `file:line:col: severity[code]: message` header, the source line, and a caret underline;
 * related locations follow as notes in the same layout. Lines and columns are 1-based here
 * (and only here and in the language server are spans turned into lines).
 */
import type { Diagnostic } from "./diagnostic.js";
import type { LineCol, SourceFile, Span } from "../syntax/span.js";

/** Finds the text of a file named in a diagnostic (the printer needs its lines). */
export type SourceLookup = (path: string) => SourceFile | undefined;

/** Renders diagnostics in the compiler layout, separated by blank lines. */
export function renderDiagnostics(diagnostics: readonly Diagnostic[], sources: SourceLookup): string {
  return diagnostics.map((d) => renderDiagnostic(d, sources)).join("\n");
}

/** Renders one diagnostic, its source excerpt and its related notes. */
export function renderDiagnostic(d: Diagnostic, sources: SourceLookup): string {
  const parts = [excerpt(d.file, d.span, `${d.severity}[${d.code}]: ${d.message}`, sources)];
  for (const r of d.related) parts.push(excerpt(r.file, r.span, `note: ${r.message}`, sources));
  return parts.join("");
}

function excerpt(file: string, span: Span, headline: string, sources: SourceLookup): string {
  const source = sources(file);
  if (!source) return `${file}: ${headline}\n`;
  const start = visibleLineCol(source, span.start);
  const end = visibleLineCol(source, span.end);
  const lineNo = String(start.line + 1);
  const gutter = " ".repeat(lineNo.length);
  // Control characters (a NUL in a binary file, an escape sequence, C1 controls, bidirectional
  // overrides) would garble the terminal or reorder the line; each shows as one replacement
  // character, so the underline stays aligned.
  const line = visibleLineText(source, start.line).replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, "\ufffd");
  const fullWidth = end.line === start.line ? end.col - start.col : line.length - start.col;
  const { text, col, width } = clip(line, start.col, Math.max(1, fullWidth));
  // The underline copies the line's tabs so that it stays aligned in any tab width.
  const lead = text.slice(0, col).replace(/[^\t]/g, " ");
  const carets = "^".repeat(width);
  return (
    `${file}:${start.line + 1}:${start.col + 1}: ${headline}\n` +
    `  ${lineNo} | ${text}\n` +
    `  ${gutter} | ${lead}${carets}\n`
  );
}

/**
 * The line and column a person sees at `offset`: an editor shows no byte-order mark, so one at
 * the start of the file is no column of line 1 here (the language server, which reports
 * positions in the text its client sent, counts it).
 */
function visibleLineCol(source: SourceFile, offset: number): LineCol {
  const at = source.lineCol(offset);
  return at.line === 0 && hasByteOrderMark(source) ? { line: 0, col: Math.max(0, at.col - 1) } : at;
}

function visibleLineText(source: SourceFile, line: number): string {
  const text = source.lineText(line);
  return line === 0 && hasByteOrderMark(source) ? text.slice(1) : text;
}

function hasByteOrderMark(source: SourceFile): boolean {
  return source.text.charCodeAt(0) === 0xfeff;
}

const MAX_SHOWN = 120;
const CONTEXT = 40;

/** A window of a very long line around the span, with `...` where text was cut. */
function clip(line: string, col: number, width: number): { text: string; col: number; width: number } {
  if (line.length <= MAX_SHOWN) return { text: line, col, width };
  const from = Math.max(0, col - CONTEXT);
  const shownWidth = Math.min(width, MAX_SHOWN - 2 * CONTEXT);
  const to = Math.min(line.length, col + shownWidth + CONTEXT);
  const head = from > 0 ? "..." : "";
  const tail = to < line.length ? "..." : "";
  return { text: head + line.slice(from, to) + tail, col: col - from + head.length, width: shownWidth };
}

/** A diagnostic as `--format json` prints it: 1-based lines and columns, end exclusive. */
export interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: string;
  code: string;
  message: string;
  related: { file: string; line: number; column: number; message: string }[];
}

/** Converts diagnostics to the `--format json` shape. */
export function diagnosticsToJson(diagnostics: readonly Diagnostic[], sources: SourceLookup): JsonDiagnostic[] {
  return diagnostics.map((d) => {
    const source = sources(d.file);
    const start = source ? visibleLineCol(source, d.span.start) : { line: 0, col: 0 };
    const end = source ? visibleLineCol(source, d.span.end) : start;
    return {
      file: d.file,
      line: start.line + 1,
      column: start.col + 1,
      endLine: end.line + 1,
      endColumn: end.col + 1,
      severity: d.severity,
      code: d.code,
      message: d.message,
      related: d.related.map((r) => {
        const related = sources(r.file);
        const at = related ? visibleLineCol(related, r.span.start) : { line: 0, col: 0 };
        return { file: r.file, line: at.line + 1, column: at.col + 1, message: r.message };
      }),
    };
  });
}
