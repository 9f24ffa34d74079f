/**
 * The one diagnostic type of the compiler. Every stage reports through it; only the command
 * line turns diagnostics into an exit code, and only the printer and the language server turn
 * spans into lines and columns.
 */
import type { Span } from "../syntax/span.js";

export type Severity = "error" | "warning" | "note";

/** A secondary location that helps explain a diagnostic ("the other operand came from here"). */
export interface RelatedInfo {
  /** The file of the related location: its path as given to the front end. */
  readonly file: string;
  readonly span: Span;
  readonly message: string;
}

/** One message about one place in one file. */
export interface Diagnostic {
  /** A stable code from the catalogue (`catalogue.ts`), e.g. `E0204`. */
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** The file's path as given to the front end. */
  readonly file: string;
  readonly span: Span;
  readonly related: readonly RelatedInfo[];
}

/** True when any diagnostic in `diagnostics` is an error. */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
