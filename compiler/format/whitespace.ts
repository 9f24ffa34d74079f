/**
 * The formatter's notion of blanks and line breaks, which must be the lexer's (`grammar/tokens.ts`):
 * the `WhiteSpace` token is `[ \t\r\n\f\v]+`, and a `#` comment runs up to `\n` or `\r`. So
 * `\n` and `\r` (and `\r\n`, counted once) end a line, and space, tab, vertical tab and form feed
 * are blanks within it. Anything else (a no-break space, say) is not whitespace at all: outside a
 * comment or a string it is a syntax error, and the formatter leaves such a file alone.
 *
 * A test lexes every UTF-16 code unit to keep these two functions and the lexer in agreement.
 */

/** True for the whitespace that does not end a line: space, tab, vertical tab, form feed. */
export function isBlank(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\v" || ch === "\f";
}

/** True for the characters that end a line (and a comment): `\n` and `\r`. */
export function isLineBreak(ch: string): boolean {
  return ch === "\n" || ch === "\r";
}

/**
 * True when the character at `i` starts a line break: any `\n`, or a `\r` not followed by `\n`
 * (so that `\r\n` counts once, at its `\n`).
 */
export function lineBreakAt(text: string, i: number): boolean {
  return text[i] === "\n" || (text[i] === "\r" && text[i + 1] !== "\n");
}
