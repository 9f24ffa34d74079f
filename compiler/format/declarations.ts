/**
 * The formatter's printer for the structure of a file: declarations, parameter lists, bodies and
 * statements, and the comments and blank lines between them (see `format.ts` for the rules).
 * Expressions are left to `ExpressionPrinter`; both take comments from one `CommentQueue`, in
 * source order.
 */
import type { BlockDecl, Comment, Decl, Expr, Ident, ModelDecl, Param, Program, Stmt } from "../syntax/ast.js";
import { commentText, type CommentQueue } from "./comments.js";
import { hardline, indent, type Doc } from "./doc.js";
import { ExpressionPrinter } from "./expressions.js";
import { BLOCK_INDENT } from "./layout.js";

/** Prints one parsed, error-free file. */
export class DeclarationPrinter {
  private readonly exprs: ExpressionPrinter;

  constructor(private readonly comments: CommentQueue) {
    this.exprs = new ExpressionPrinter(comments);
  }

  /** The whole file, ending in one newline (or empty, when the file holds nothing). */
  program(program: Program): Doc {
    const parts: Doc[] = [];
    let previous: Decl | undefined;
    const seq = new Sequence(this.comments, parts, false);
    for (const decl of program.decls) {
      const paragraph = previous !== undefined && !(previous.kind === decl.kind && (decl.kind === "import" || decl.kind === "let"));
      seq.add(decl.span.start, () => this.declaration(decl), paragraph);
      previous = decl;
    }
    seq.end(Number.POSITIVE_INFINITY);
    return seq.isEmpty ? "" : [parts, hardline];
  }

  private declaration(decl: Decl): Doc {
    switch (decl.kind) {
      case "import":
        return ["import ", this.exprs.expr(decl.path)];
      case "let":
        return ["let ", ...this.binding(decl.name, decl.value)];
      case "block":
      case "model":
        return this.blockOrModel(decl);
    }
  }

  /**
   * `name = value`, after `let` or `use` or in a statement. Comments between the tokens stay
   * between them where moving them on would cost a trailing comment its line.
   */
  private binding(name: Ident, value: Expr): Doc[] {
    return [
      this.comments.inline(name.span.start),
      name.name,
      " ",
      this.comments.beforeNextToken(name.span.end),
      "= ",
      this.exprs.expr(value),
    ];
  }

  /** `block Name(params) { body }`; the parentheses and braces are found among the tokens. */
  private blockOrModel(decl: BlockDecl | ModelDecl): Doc {
    const beforeName = this.comments.inline(decl.name.span.start);
    const open = this.comments.tokenAfter(decl.name.span.end);
    const last = decl.params[decl.params.length - 1];
    const close = this.comments.tokenAfter(last ? last.span.end : open + 1);
    const brace = this.comments.tokenAfter(close + 1);
    const params = this.exprs.delimited("(", open, decl.params, ")", close, (p) => this.param(p));
    // Comments between `)` and `{` end their lines, so the `{` then starts one, unindented.
    const beforeBrace = this.comments.inline(brace, 0);
    return [decl.kind, " ", beforeName, decl.name.name, params, beforeBrace === "" ? " " : beforeBrace, this.body(decl.body, decl.span.end - 1)];
  }

  private param(p: Param): Doc {
    const type: Doc = p.type ? [this.comments.beforeNextToken(p.name.span.end), ": ", this.exprs.type(p.type)] : "";
    const beforeEquals = p.default ? this.comments.beforeNextToken((p.type ?? p.name).span.end) : "";
    const dflt: Doc = p.default ? [" ", beforeEquals, "= ", this.exprs.expr(p.default)] : "";
    return [p.name.name, type, dflt];
  }

  /** `{ statements }`, one statement per line, with the `}` at `close`. */
  private body(stmts: readonly Stmt[], close: number): Doc {
    const parts: Doc[] = [];
    const seq = new Sequence(this.comments, parts, true);
    for (const stmt of stmts) seq.add(stmt.span.start, () => this.statement(stmt), false);
    seq.end(close);
    return seq.isEmpty ? "{}" : ["{", indent(BLOCK_INDENT, parts), hardline, "}"];
  }

  private statement(stmt: Stmt): Doc {
    switch (stmt.kind) {
      case "bind":
        return this.binding(stmt.name, stmt.value);
      case "use":
        return ["use ", ...this.binding(stmt.name, stmt.value)];
      case "return":
        return ["return ", this.exprs.expr(stmt.value)];
      case "expr":
        return this.exprs.expr(stmt.value);
    }
  }
}

/**
 * A run of lines (the declarations of a file, the statements of a body) with the comments around
 * them: a comment on the line of the item before stays there, own-line comments keep their own
 * lines, and one blank line is kept wherever the source has one or more.
 */
class Sequence {
  private lines = 0;
  private trailing = false;

  /** `breakFirst` when the first line starts after a line break (after the `{` of a body). */
  constructor(
    private readonly comments: CommentQueue,
    private readonly parts: Doc[],
    private readonly breakFirst: boolean,
  ) {}

  /** True when nothing at all, not even a comment, went into the run. */
  get isEmpty(): boolean {
    return this.lines === 0 && !this.trailing;
  }

  /**
   * Adds the item printed by `print`, which starts at `at`, after the comments before it;
   * `paragraph` asks for a blank line before the first of them (or the item itself).
   */
  add(at: number, print: () => Doc, paragraph: boolean): void {
    const ownLine = this.takeComments(at);
    ownLine.forEach((c, i) => this.line(c.span.start, commentText(c), paragraph && i === 0));
    this.line(at, print(), paragraph && ownLine.length === 0);
  }

  /** Adds the comments left before `at`, where the run ends. */
  end(at: number): void {
    for (const c of this.takeComments(at)) this.line(c.span.start, commentText(c), false);
  }

  /** Takes the comments before `at`; a trailing one goes to the end of the last line. */
  private takeComments(at: number): readonly Comment[] {
    const { trailing, ownLine } = this.comments.split(this.comments.take(at));
    if (trailing !== "") {
      this.parts.push(trailing);
      this.trailing = true;
    }
    return ownLine;
  }

  /** Adds a line; blank lines never come first, so a body never starts with one. */
  private line(at: number, doc: Doc, paragraph: boolean): void {
    if (this.lines > 0) this.parts.push(hardline, paragraph || this.comments.blankLineBefore(at) ? hardline : "");
    else if (this.breakFirst) this.parts.push(hardline);
    this.parts.push(doc);
    this.lines++;
  }
}
