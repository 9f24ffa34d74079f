/**
 * Where the formatter puts comments back. The parser keeps every `#` comment, in source order,
 * apart from the tree (`Program.comments`); the printers walk the tree in source order too and,
 * before each place they print, take the comments that start before it. So every comment is
 * printed exactly once, between the same two tokens as in the source or, where no line break may
 * go there, at the end of the line that holds the token before it.
 *
 * A comment is "trailing" when code precedes it on its line, and "own-line" otherwise (blanks and
 * line breaks as the lexer reads them, `whitespace.ts`). Trailing comments stay at the end of their
 * line; own-line comments get a line of their own before the code that follows them.
 *
 * A line holds one trailing comment, so two trailing comments must never be taken at one place:
 * when the comments waiting before a token would be taken together with a trailing comment just
 * after it (`b  # one` / `+  # two` / `c`), the waiting ones stay before the token, which then
 * starts a line (`beforeToken`, `atBreakBefore`). Where a comment moves past a token, it lands at
 * the place right after that token, so formatting the result again moves nothing.
 */
import { nnLexer } from "../../grammar/tokens.js";
import type { Comment } from "../syntax/ast.js";
import { breakParent, hardline, indent, lineSuffix, type Doc } from "./doc.js";
import { CONTINUATION_INDENT } from "./layout.js";
import { isBlank, isLineBreak, lineBreakAt } from "./whitespace.js";

/** The comments of one file not yet printed, in source order. */
export class CommentQueue {
  private next = 0;
  /** Where each token of the file (comments aside) starts, in order. */
  private readonly tokenStarts: readonly number[];

  constructor(
    private readonly text: string,
    private readonly comments: readonly Comment[],
  ) {
    this.tokenStarts = nnLexer.tokenize(text).tokens.map((t) => t.startOffset);
  }

  /** The offset of the first token that starts at or after `offset` (the text's length if none). */
  tokenAfter(offset: number): number {
    let lo = 0;
    let hi = this.tokenStarts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokenStarts[mid] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.tokenStarts.length ? this.tokenStarts[lo] : this.text.length;
  }

  /**
   * True when comments before the token at `at` are still waiting and a trailing comment follows
   * that token directly. Taken together at the next place, the first would end the line and the
   * trailing one would lose its place, so the waiting comments must go before the token.
   */
  private collidesAt(at: number): boolean {
    if (this.next >= this.comments.length || this.comments[this.next].span.start >= at) return false;
    let i = this.next;
    while (i < this.comments.length && this.comments[i].span.start < at) i++;
    const after = this.comments[i];
    return after !== undefined && after.span.start < this.tokenAfter(at + 1) && !this.isOwnLine(after);
  }

  /**
   * Before the token at `at`, printed where the layout has no line break and the next place that
   * takes comments comes right after the token (`,`, `=`, `:`, an operator, `then`, `in`, an
   * opening bracket): comments still waiting before it usually move past it to that place, since
   * the code reads better so. Only when a trailing comment follows the token do they stay before
   * it, as `inline` places them, so that the trailing comment keeps its line.
   */
  beforeToken(at: number): Doc {
    return this.collidesAt(at) ? this.inline(at) : "";
  }

  /** `beforeToken` for the first token at or after `offset` (the one after a node that ends there). */
  beforeNextToken(offset: number): Doc {
    return this.beforeToken(this.tokenAfter(offset));
  }

  /**
   * The comments at the line break `brk` before the token at `token` (a `->`, an `else`) and the
   * code at `offset` after it: comments on either side of the token usually all go to the break,
   * but when a trailing comment follows the token, only those before it do (see `beforeToken`).
   */
  atBreakBefore(token: number, offset: number, brk: Doc): Doc {
    return this.atBreak(this.collidesAt(token) ? token : offset, brk);
  }

  /** True when the text from `start` to `end` holds a line break (the author broke the line there). */
  lineBreakBetween(start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (isLineBreak(this.text[i])) return true;
    return false;
  }

  /** Removes and returns, in order, every comment that starts before `offset`. */
  take(offset: number): Comment[] {
    const taken: Comment[] = [];
    while (this.next < this.comments.length && this.comments[this.next].span.start < offset) {
      taken.push(this.comments[this.next++]);
    }
    return taken;
  }

  /**
   * True when only blanks separate `comment` from the start of its line (or of the file). Blanks
   * and line breaks are the lexer's (`whitespace.ts`): a vertical tab or a form feed is a blank.
   */
  isOwnLine(comment: Comment): boolean {
    for (let i = comment.span.start - 1; i >= 0; i--) {
      const ch = this.text[i];
      if (isLineBreak(ch)) return true;
      if (!isBlank(ch)) return false;
    }
    return true;
  }

  /**
   * True when an empty line separates `offset` from the text before it. The start of the file
   * counts as no text, so nothing ever gets a blank line above it there.
   */
  blankLineBefore(offset: number): boolean {
    let lineBreaks = 0;
    for (let i = offset - 1; i >= 0; i--) {
      const ch = this.text[i];
      if (lineBreakAt(this.text, i)) lineBreaks++;
      else if (!isBlank(ch) && !isLineBreak(ch)) return lineBreaks >= 2;
    }
    return false;
  }

  /**
   * The comments before `offset`, at a place where the layout has no line break (inside
   * `stride: 2`, say): they stay exactly there, each ending its line, and the code after them
   * goes on as a continuation line (or, with `by` 0, at the same indentation). That is rarely
   * pretty, but the comment stays between the same two tokens, so formatting again changes nothing.
   */
  inline(offset: number, by: number = CONTINUATION_INDENT): Doc {
    const taken = this.take(offset);
    return taken.length === 0 ? "" : indent(by, this.place(taken, hardline));
  }

  /**
   * The comments before `offset`, at the place of the line break `brk`: a trailing comment stays
   * at the end of the line before the break (which it forces), own-line comments each get a line
   * of their own after it, at the indentation of the code that follows.
   */
  atBreak(offset: number, brk: Doc): Doc {
    const taken = this.take(offset);
    return taken.length === 0 ? brk : this.place(taken, brk);
  }

  /**
   * The comments before a closing bracket at `offset`, for the inside of the bracketed
   * indentation: own-line comments stay on lines of their own above the bracket.
   */
  beforeClose(offset: number): Doc {
    const taken = this.take(offset);
    if (taken.length === 0) return "";
    const { trailing, ownLine } = this.split(taken);
    return [trailing, ownLine.map((c) => [hardline, commentText(c)])];
  }

  private place(taken: readonly Comment[], brk: Doc): Doc {
    const { trailing, ownLine } = this.split(taken);
    return [trailing, brk, ownLine.map((c) => [commentText(c), hardline])];
  }

  /** Splits comments into the trailing part (a first comment that has code before it) and the rest. */
  split(taken: readonly Comment[]): { trailing: Doc; ownLine: readonly Comment[] } {
    if (taken.length > 0 && !this.isOwnLine(taken[0])) {
      return { trailing: [lineSuffix(commentText(taken[0])), breakParent], ownLine: taken.slice(1) };
    }
    return { trailing: "", ownLine: taken };
  }
}

/** A comment as printed: its text without trailing blanks. */
export function commentText(comment: Comment): string {
  return comment.text.trimEnd();
}
