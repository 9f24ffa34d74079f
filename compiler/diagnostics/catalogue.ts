/**
 * The catalogue of every diagnostic code the compiler can produce. Codes are stable: a code
 * once published keeps its meaning forever (retire it rather than reuse it).
 *
 * Ranges:
 * - E00xx: files and the command line (unreadable file, bad `--set`)
 * - E01xx: syntax (lexer and parser)
 * - E02xx: shapes and operator constraints
 * - E03xx: names, types and arguments
 * - E04xx: declarations, imports, blocks, models and limits
 *
 * Every entry has a test (`test/diagnostics/`) with a baseline in squiggle layout.
 */
import type { Diagnostic, RelatedInfo, Severity } from "./diagnostic.js";
import type { Span } from "../syntax/span.js";

/** A catalogue entry: its code, severity and a one-line summary (the docs list these). */
export interface CatalogueEntry {
  readonly code: string;
  readonly severity: Severity;
  readonly summary: string;
}

/** Every code, by code. Add new entries in code order. */
export const CATALOGUE = {
  // E00xx: files and the command line
  E0001: { code: "E0001", severity: "error", summary: "a file cannot be read" },
  E0002: { code: "E0002", severity: "error", summary: "a `--set` override is malformed or names no parameter" },
  E0003: { code: "E0003", severity: "error", summary: "`--model` names no model of the file, or the file has none" },
  // E01xx: syntax
  E0101: { code: "E0101", severity: "error", summary: "a character that starts no token" },
  E0102: { code: "E0102", severity: "error", summary: "a string not closed on its line" },
  E0103: { code: "E0103", severity: "error", summary: "a token other than the one the grammar requires here" },
  E0104: { code: "E0104", severity: "error", summary: "no expression, statement or type can start with this token" },
  E0105: { code: "E0105", severity: "error", summary: "text where a declaration (or the end of an expression) should be" },
} as const satisfies Record<string, CatalogueEntry>;

export type Code = keyof typeof CATALOGUE;

/** Builds a diagnostic for catalogue entry `code`. */
export function diagnostic(
  code: Code,
  file: string,
  span: Span,
  message: string,
  related: readonly RelatedInfo[] = [],
): Diagnostic {
  const entry: CatalogueEntry = CATALOGUE[code];
  return { code, severity: entry.severity, message, file, span, related };
}
