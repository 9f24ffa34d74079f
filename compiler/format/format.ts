/**
 * `nnc fmt`: the canonical layout of an `.nn` file. The command line and the language server
 * both call `format`; `docs/formatting.md` shows the rules with examples.
 *
 * The layout:
 * - Indentation is 2 spaces per body (`{ }`) and per bracket that breaks; lines are at most 100
 *   columns wherever a break is allowed; the file ends with one newline; `\r\n` becomes `\n`.
 * - Declarations are separated by one blank line, except that consecutive imports and
 *   consecutive lets form one paragraph (a blank line the author put between two of them is kept).
 * - One statement per line. Between statements, and before own-line comments, one blank line is
 *   kept wherever the source has one or more; a body never starts or ends with a blank line.
 * - Spaces around binary operators, `=` and `->`; after commas, and after the `:` of named
 *   arguments, labels and parameter types; none inside `()` and `[]`; `for v in xs { body }` has
 *   one space inside its braces when it stays on one line.
 * - A group (a pipeline, an argument list, a list, an `if`, a `for`) stays on one line when it fits
 *   in the rest of the line. Otherwise a pipeline breaks before every `->` and an `if` before every
 *   `else`, the continuation lines indented 4 columns past the line the expression starts on. A
 *   pipeline the author broke keeps those breaks: each line stays whole if it fits (else breaks
 *   before each of its `->`), and its `->` lines align under its first `->` after a name, under
 *   its first stage after anything longer, or are indented 4 if the first `->` starts a line; an
 *   argument, parameter or list bracket puts one item per line, indented 2, and its closing
 *   bracket on a line of its own; a `for` puts its body on its own lines between its braces.
 *   Groups nested in a broken group decide for themselves.
 * - Numbers are printed exactly as written (`1e-5` stays `1e-5`); strings are re-quoted with
 *   double quotes and only the escapes `\\`, `\"`, `\n`, `\t`.
 * - Parentheses the author wrote are kept; parentheses are added only where the tree needs them
 *   to be read back the same (a pipe as an operand of `+`, say).
 * - Comments are never dropped or moved to another statement. A comment after code stays at the
 *   end of that line, two spaces after it; an own-line comment stays on its own line before what
 *   follows it, at that code's indentation (comments at the end of a body stay before its `}`,
 *   the file's header comment stays at the top). A comment inside an expression where no line may
 *   break goes to the end of that line, and the groups around it break. Two trailing comments
 *   around one token both stay trailing: the token starts a line between them. Space, tab,
 *   vertical tab and form feed are blanks, `\n`, `\r` and `\r\n` line breaks, as for the lexer.
 *
 * Invariants, tested on every golden case and every example: the output parses to the same tree
 * as the input (spans aside) with the same comments, and formatting it again changes nothing.
 */
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/catalogue.js";
import { parse } from "../syntax/parse.js";
import type { Span } from "../syntax/span.js";
import { CommentQueue } from "./comments.js";
import { DeclarationPrinter } from "./declarations.js";
import { printDoc } from "./doc.js";
import { LINE_WIDTH } from "./layout.js";

/** The formatted text, and the diagnostics of parsing the input. */
export interface FormatResult {
  /** The formatted file, or the input unchanged when it has syntax errors. */
  text: string;
  diagnostics: Diagnostic[];
}

/**
 * Formats one file. A file with syntax errors comes back unchanged, with its diagnostics: a
 * tree that recovery patched up is never printed, so no text is ever lost. A file nested too
 * deeply to parse comes back unchanged too, with an E0106 diagnostic (or E0409 if printing runs out of stack); `format` never throws.
 */
export function format(text: string, file: string): FormatResult {
  // A byte-order mark is kept, and the rest laid out as if it were not there: formatting changes
  // layout, not how the file is encoded. Diagnostics move back to the offsets of `text`.
  if (text.charCodeAt(0) === 0xfeff) {
    const rest = formatWithoutMark(text.slice(1), file);
    const shift = (span: Span): Span => ({ start: span.start + 1, end: span.end + 1 });
    const diagnostics = rest.diagnostics.map((d) => ({
      ...d,
      span: shift(d.span),
      related: d.related.map((r) => (r.file === file ? { ...r, span: shift(r.span) } : r)),
    }));
    return { text: `\uFEFF${rest.text}`, diagnostics };
  }
  return formatWithoutMark(text, file);
}

function formatWithoutMark(text: string, file: string): FormatResult {
  try {
    const { program, diagnostics } = parse(text, file);
    if (hasErrors(diagnostics)) return { text, diagnostics };
    const comments = new CommentQueue(text, program.comments);
    const doc = new DeclarationPrinter(comments).program(program);
    return { text: printDoc(doc, LINE_WIDTH), diagnostics };
  } catch (error) {
    // The parser and the printers recurse on nesting, so absurdly deep nesting can exhaust the
    // stack; the language server must survive that, and the text must come back intact.
    const reason =
      error instanceof RangeError
        ? "the program nests too deeply to format"
        : `internal error: ${error instanceof Error ? error.message : String(error)}`;
    return { text, diagnostics: [diagnostic("E0409", file, { start: 0, end: 0 }, reason)] };
  }
}
