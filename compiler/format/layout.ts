/**
 * The measures of the canonical layout, in one place so that the printers agree on them (the
 * rules themselves are in the header of `format.ts` and in `docs/formatting.md`).
 */

/** The line width the layout aims for: a group that fits in it stays on one line. */
export const LINE_WIDTH = 100;

/** How far the contents of a body, or of a bracket that breaks, are indented. */
export const BLOCK_INDENT = 2;

/**
 * How far continuation lines are indented past the line their expression starts on: the `->`
 * lines of a broken pipeline, the `else` lines of a broken `if`, the code after a comment that
 * had to end a line in the middle of an expression.
 */
export const CONTINUATION_INDENT = 4;
