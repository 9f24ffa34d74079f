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
 * - W00xx: warnings, which never fail a command
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
  E0004: { code: "E0004", severity: "error", summary: "an import that names no `.nn` file, or one outside the project root" },
  // E01xx: syntax
  E0101: { code: "E0101", severity: "error", summary: "a character that starts no token" },
  E0102: { code: "E0102", severity: "error", summary: "a string not closed on its line" },
  E0103: { code: "E0103", severity: "error", summary: "a token other than the one the grammar requires here" },
  E0104: { code: "E0104", severity: "error", summary: "no expression, statement or type can start with this token" },
  E0105: { code: "E0105", severity: "error", summary: "text where a declaration (or the end of an expression) should be" },
  E0106: { code: "E0106", severity: "error", summary: "brackets or prefix operators nested too deeply for the parser's stack" },
  E0107: { code: "E0107", severity: "error", summary: "a file that is not text (NUL bytes, control characters, bytes that are not UTF-8): checking stops after a few errors" },
  // E02xx: shapes and operator constraints
  E0201: { code: "E0201", severity: "error", summary: "a layer gets an input of a rank it does not accept" },
  E0202: { code: "E0202", severity: "error", summary: "the operands of element-wise arithmetic (`+ - * /`) do not broadcast" },
  E0203: { code: "E0203", severity: "error", summary: "`concat` inputs differ outside the axis, or the axis is out of range" },
  E0204: { code: "E0204", severity: "error", summary: "channels not divisible as the layer requires (groups, pieces)" },
  E0205: { code: "E0205", severity: "error", summary: "a convolution or pooling window does not fit its padded input" },
  E0206: { code: "E0206", severity: "error", summary: "a static size is needed but the dimension is symbolic" },
  E0207: { code: "E0207", severity: "error", summary: "a value is outside the range its argument or context allows" },
  E0208: { code: "E0208", severity: "error", summary: "per-channel constants do not match the channel count" },
  E0209: { code: "E0209", severity: "error", summary: "a layer gets the wrong number of tensor inputs" },
  E0210: { code: "E0210", severity: "error", summary: "an integer literal or integer arithmetic result beyond ±(2^53 − 1), where integers stop being exact" },
  E0211: { code: "E0211", severity: "error", summary: "a tensor (input, layer output, parameter) with more than 2^31 − 1 elements" },
  E0212: { code: "E0212", severity: "error", summary: "the model's parameters and buffers pass 1,000,000,000 elements in all" },
  // E03xx: names, types and arguments
  E0301: { code: "E0301", severity: "error", summary: "a name that is not defined" },
  E0302: { code: "E0302", severity: "error", summary: "a named argument the layer or block does not have" },
  E0303: { code: "E0303", severity: "error", summary: "an argument given twice" },
  E0304: { code: "E0304", severity: "error", summary: "more positional arguments than the layer or block takes" },
  E0305: { code: "E0305", severity: "error", summary: "a required argument or model parameter has no value" },
  E0306: { code: "E0306", severity: "error", summary: "an argument of the wrong type" },
  E0307: { code: "E0307", severity: "error", summary: "a value of the wrong kind for its place (a tensor where a layer belongs, ...)" },
  E0308: { code: "E0308", severity: "error", summary: "division or remainder by zero" },
  E0309: { code: "E0309", severity: "error", summary: "a name bound twice in one body (bindings are immutable)" },
  E0310: { code: "E0310", severity: "error", summary: "a parameter type that does not exist" },
  // E04xx: declarations, imports, blocks, models and limits
  E0401: { code: "E0401", severity: "error", summary: "two declarations of one name in a file, or one that shadows a built-in" },
  E0402: { code: "E0402", severity: "error", summary: "an imported file cannot be read" },
  E0403: { code: "E0403", severity: "error", summary: "files import each other in a cycle" },
  E0404: { code: "E0404", severity: "error", summary: "a block or `let` that refers to itself (recursion)" },
  E0405: { code: "E0405", severity: "error", summary: "the model expands to more layer instances than the limit" },
  E0406: { code: "E0406", severity: "error", summary: "a block or model body that returns no tensor" },
  E0407: { code: "E0407", severity: "error", summary: "a malformed parameter list of a block or model" },
  E0408: { code: "E0408", severity: "error", summary: "one label names two layer instances in the same scope" },
  E0409: { code: "E0409", severity: "error", summary: "the checker could not finish: nesting too deep for its stack, or an internal error" },
  // W00xx: warnings
  W0001: { code: "W0001", severity: "warning", summary: "a model input, a block or model parameter, or a binding that nothing uses" },
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
