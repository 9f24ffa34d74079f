/**
 * Formatting: exactly `nnc fmt`. The whole document is replaced by the formatted text in one
 * edit; a document with syntax errors, or already formatted, gets no edit.
 */
import type { TextEdit } from "vscode-languageserver";
import { format } from "../format/format.js";
import type { Analysis } from "./analysis.js";
import { positionAt } from "./positions.js";

/** The edits that format the analysed document. */
export function formattingEdits(analysis: Analysis): TextEdit[] {
  const text = analysis.source.text;
  const formatted = format(text, analysis.path);
  if (formatted.diagnostics.some((d) => d.severity === "error") || formatted.text === text) return [];
  return [{ range: { start: { line: 0, character: 0 }, end: positionAt(analysis.source, text.length) }, newText: formatted.text }];
}
