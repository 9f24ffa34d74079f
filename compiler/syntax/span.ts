/**
 * Source positions. Every syntax node carries a `Span` of character offsets into its file's
 * text; line and column are computed only at the edges (the diagnostic printer, the language
 * server) from a `SourceFile`'s line table.
 */

/** A half-open range `[start, end)` of character offsets into one file's text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A zero-based line and column (UTF-16 code units, as LSP counts them). */
export interface LineCol {
  readonly line: number;
  readonly col: number;
}

/** The empty span at offset 0, for nodes that recovery had to invent. */
export const NO_SPAN: Span = { start: 0, end: 0 };

/** The smallest span covering both `a` and `b`. */
export function joinSpans(a: Span, b: Span): Span {
  return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
}

/**
 * A file's path and text, with a lazily built table of line starts. A line ends at `\r\n`, `\n`
 * or a lone `\r`, as LSP counts lines, so the printer and the editor agree on every position.
 */
export class SourceFile {
  private lineStarts: number[] | undefined;

  constructor(
    readonly path: string,
    readonly text: string,
  ) {}

  /** The zero-based line and column of `offset` (clamped to the text). */
  lineCol(offset: number): LineCol {
    const starts = this.getLineStarts();
    const at = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, col: at - starts[lo] };
  }

  /** The offset of a zero-based line and column (a column past the line's end means its end, as in LSP). */
  offsetAt(pos: LineCol): number {
    const starts = this.getLineStarts();
    if (pos.line < 0) return 0;
    if (pos.line >= starts.length) return this.text.length;
    return Math.min(starts[pos.line] + Math.max(0, pos.col), this.lineEnd(pos.line));
  }

  /** The text of zero-based line `line`, without its line break. */
  lineText(line: number): string {
    const starts = this.getLineStarts();
    if (line < 0 || line >= starts.length) return "";
    return this.text.slice(starts[line], this.lineEnd(line));
  }

  /** The offset where zero-based line `line` (an existing one) ends, before its line break. */
  private lineEnd(line: number): number {
    const starts = this.getLineStarts();
    if (line + 1 >= starts.length) return this.text.length;
    let end = starts[line + 1];
    if (this.text.charCodeAt(end - 1) === 10) end--;
    if (this.text.charCodeAt(end - 1) === 13) end--;
    return end;
  }

  /** How many lines the text has (an empty text has one). */
  get lineCount(): number {
    return this.getLineStarts().length;
  }

  private getLineStarts(): number[] {
    if (!this.lineStarts) {
      const starts = [0];
      for (let i = 0; i < this.text.length; i++) {
        const ch = this.text.charCodeAt(i);
        // A `\r` directly before `\n` is part of that line break, not one of its own.
        if (ch === 10 || (ch === 13 && this.text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
      }
      this.lineStarts = starts;
    }
    return this.lineStarts;
  }
}
