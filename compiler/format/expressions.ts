/**
 * The formatter's expression printer: turns an expression into a `Doc` (see `doc.ts`) in the
 * canonical layout of `docs/formatting.md`, taking the comments that fall inside it from the
 * shared `CommentQueue` as it goes, in source order.
 *
 * Parentheses: every `ParenExpr` the author wrote is kept (it may be needed, and it is part of the
 * tree). Parentheses are added only where the tree could not be read back otherwise: around an
 * operand looser than its operator (a pipe inside a sum), a label's non-primary value, a
 * positional argument that is a label, and an `if` that would swallow what follows it (its
 * `else` branch extends as far right as it can).
 */
import type { Arg, BinaryExpr, Expr, TypeRef } from "../syntax/ast.js";
import type { CommentQueue } from "./comments.js";
import { align, group, hardline, indent, keptLine, line, softline, type Doc } from "./doc.js";
import { BLOCK_INDENT, CONTINUATION_INDENT } from "./layout.js";

/** Binding strength, loosest first, as in the header of `syntax/ast.ts`. */
const enum Prec {
  Pipe = 1,
  Or,
  And,
  Not,
  Compare,
  Add,
  Mul,
  Neg,
  Primary,
}

const BINARY_PREC: Readonly<Record<string, Prec>> = {
  or: Prec.Or,
  and: Prec.And,
  "==": Prec.Compare,
  "!=": Prec.Compare,
  "<": Prec.Compare,
  "<=": Prec.Compare,
  ">": Prec.Compare,
  ">=": Prec.Compare,
  "+": Prec.Add,
  "-": Prec.Add,
  "*": Prec.Mul,
  "/": Prec.Mul,
  "//": Prec.Mul,
  "%": Prec.Mul,
};

/** Prints expressions of one file, sharing that file's comment queue with the other printers. */
export class ExpressionPrinter {
  constructor(private readonly comments: CommentQueue) {}

  /**
   * Prints `e`, preceded by any comments not yet printed that start before it; `followed` when
   * more of the enclosing expression comes after it, which an `if` at its end would swallow.
   */
  expr(e: Expr, followed = false): Doc {
    return [this.comments.inline(e.span.start), this.bare(e, followed)];
  }

  /** A parameter's type: `int`, `[int]` or a shape `[N, 3, 32, 32]`. */
  type(t: TypeRef): Doc {
    switch (t.kind) {
      case "named":
        return [this.comments.inline(t.span.start), t.name.name];
      case "listType":
        return [this.comments.inline(t.span.start), "[", this.type(t.element), this.comments.inline(t.span.end - 1), "]"];
      case "shape":
        return [this.comments.inline(t.span.start), this.delimited("[", t.span.start, t.dims, "]", t.span.end - 1, (d) => this.expr(d))];
    }
  }

  /**
   * `open item, item, ... close`, flat when it fits and otherwise one item per line, indented,
   * with the closing bracket on a line of its own; the brackets are at `openAt` and `closeAt`.
   * Items are printed lazily, in order, so that comments are taken in source order.
   */
  delimited<T extends { span: { start: number; end: number } }>(
    open: string,
    openAt: number,
    items: readonly T[],
    close: string,
    closeAt: number,
    print: (item: T) => Doc,
  ): Doc {
    const beforeOpen = this.comments.beforeToken(openAt);
    const parts: Doc[] = [];
    items.forEach((item, i) => {
      if (i > 0) parts.push(this.comments.beforeNextToken(items[i - 1].span.end), ",");
      parts.push(this.comments.atBreak(item.span.start, i === 0 ? softline : line), print(item));
    });
    parts.push(this.comments.beforeClose(closeAt));
    if (items.length === 0 && parts.every((p) => p === "")) return [beforeOpen, open + close];
    return [beforeOpen, group([open, indent(BLOCK_INDENT, parts), softline, close])];
  }

  private bare(e: Expr, followed: boolean): Doc {
    switch (e.kind) {
      case "number":
        return e.text;
      case "string":
        return quote(e.value);
      case "bool":
        return e.value ? "true" : "false";
      case "name":
        return e.name;
      case "list":
        return this.delimited("[", e.span.start, e.items, "]", e.span.end - 1, (item) => this.expr(item));
      case "tuple":
        return this.delimited("(", e.span.start, e.items, ")", e.span.end - 1, (item) => this.expr(item));
      case "paren":
        return this.delimited("(", e.span.start, [e.inner], ")", e.span.end - 1, (inner) => this.expr(inner));
      case "call":
        return [
          e.callee.name,
          this.delimited("(", this.comments.tokenAfter(e.callee.span.end), e.args, ")", e.span.end - 1, (arg) => this.arg(arg)),
        ];
      case "label":
        return [
          e.label.name,
          this.comments.beforeNextToken(e.label.span.end),
          ": ",
          this.operand(e.value, Prec.Primary, followed),
        ];
      case "pipe":
        return this.pipe(e.stages, followed);
      case "binary": {
        const prec = BINARY_PREC[e.op];
        // Comparisons do not chain, so both of their operands must bind tighter; the other
        // operators associate to the left. A left-leaning chain of one precedence (`a + b - c`,
        // a sum of thousands of terms) is printed in a loop, as one flat list, so that its
        // length does not nest the document or use the stack.
        const leftPrec = prec === Prec.Compare ? Prec.Add : prec;
        const spine: BinaryExpr[] = [e];
        for (let top = e; prec !== Prec.Compare && top.left.kind === "binary" && BINARY_PREC[top.left.op] === prec; ) {
          top = top.left;
          spine.push(top);
        }
        const parts: Doc[] = [this.operand(spine[spine.length - 1].left, leftPrec, true)];
        for (let i = spine.length - 1; i >= 0; i--) {
          const node = spine[i];
          const op = [this.comments.beforeToken(node.opSpan.start), `${node.op} `];
          parts.push(" ", op, this.operand(node.right, prec + 1, i === 0 ? followed : true));
        }
        return parts;
      }
      case "unary":
        return e.op === "not"
          ? ["not ", this.operand(e.operand, Prec.Not, followed)]
          : [startsWithMinus(e.operand) ? "- " : "-", this.operand(e.operand, Prec.Neg, followed)];
      case "if":
        return this.ifChain(e);
      case "for":
        return group([
          "for ",
          this.comments.inline(e.variable.span.start),
          e.variable.name,
          " ",
          this.comments.beforeNextToken(e.variable.span.end),
          "in ",
          this.expr(e.iterable),
          " ",
          this.comments.beforeNextToken(e.iterable.span.end),
          "{",
          indent(BLOCK_INDENT, [this.comments.atBreak(e.body.span.start, line), this.expr(e.body), this.comments.beforeClose(e.span.end - 1)]),
          line,
          "}",
        ]);
      case "error":
        return "";
    }
  }

  /** A call argument; a positional label needs parentheses, or it would read as a named argument. */
  private arg(a: Arg): Doc {
    if (a.name) {
      return [a.name.name, this.comments.beforeNextToken(a.name.span.end), ": ", this.expr(a.value)];
    }
    return a.value.kind === "label" ? ["(", this.expr(a.value), ")"] : this.expr(a.value);
  }

  /**
   * `a -> b -> c`. Written on one line: one line if it fits, else a break before every `->`, the
   * `->` lines indented 4 past the line's start. Written over several lines: the author's breaks
   * between stages are kept, and each line so made stays whole if it fits, else breaks before
   * every `->` in it (but the first, when the author did not break there). Its `->` lines are
   * indented 4 past the line's start when the author broke before the first `->`, and otherwise
   * aligned: under the first `->` after a name (`x -> a` + newline + `  -> b`), under the first
   * stage after anything longer. Formatting again keeps every break, so changes nothing.
   */
  private pipe(stages: readonly Expr[], followed: boolean): Doc {
    // The first stage is printed first, so that it takes the comments inside it.
    const first = this.operand(stages[0], Prec.Or, stages.length > 1);
    const kept = stages.slice(1).map((stage, i) => this.comments.lineBreakBetween(stages[i].span.end, stage.span.start));
    const joint = (i: number, brk: Doc) => this.comments.atBreakBefore(this.comments.tokenAfter(stages[i].span.end), stages[i + 1].span.start, brk);
    const stage = (i: number): Doc => ["-> ", this.operand(stages[i + 1], Prec.Or, i < stages.length - 2 || followed)];
    if (!kept.some(Boolean)) {
      const rest = stages.slice(1).map((_, i) => [joint(i, line), stage(i)]);
      return group([first, indent(CONTINUATION_INDENT, rest)]);
    }
    const afterName = !kept[0] && stages[0].kind === "name";
    const body: Doc[] = [];
    let segment: Doc[] = kept[0] || afterName ? [] : [first];
    // A pipeline broken before its first `->` breaks the brackets around it too, as one written on
    // one line that does not fit: formatting that layout again must give it back.
    const brk = kept[0] ? hardline : keptLine;
    for (let i = 0; i < stages.length - 1; i++) {
      if (kept[i]) {
        if (segment.length > 0) body.push(group(segment));
        body.push(joint(i, brk));
        segment = [stage(i)];
      } else segment.push(joint(i, i > 0 ? line : afterName ? "" : " "), stage(i));
    }
    body.push(group(segment));
    if (kept[0]) return [first, indent(CONTINUATION_INDENT, body)];
    return afterName ? [first, " ", align(0, body)] : align(0, body);
  }

  /** `if c then a else b`, with `else if` chains flattened; breaks before every `else` or none. */
  private ifChain(e: Expr & { kind: "if" }): Doc {
    const cond = this.expr(e.cond);
    const head: Doc[] = ["if ", cond, " ", this.comments.beforeNextToken(e.cond.span.end), "then ", this.expr(e.then)];
    const elses: Doc[] = [];
    for (let current = e; ; ) {
      const elseAt = this.comments.tokenAfter(current.then.span.end);
      const brk = this.comments.atBreakBefore(elseAt, current.else.span.start, line);
      const next = current.else;
      if (next.kind !== "if") {
        elses.push(brk, "else ", this.expr(next));
        break;
      }
      const beforeIf = this.comments.beforeToken(next.span.start);
      const nextCond = this.expr(next.cond);
      const beforeThen = this.comments.beforeNextToken(next.cond.span.end);
      elses.push(brk, "else ", beforeIf, "if ", nextCond, " ", beforeThen, "then ", this.expr(next.then));
      current = next;
    }
    return group([...head, indent(CONTINUATION_INDENT, elses)]);
  }

  /**
   * An operand that must bind at least as tightly as `min`. An `if` that something follows is
   * parenthesized itself, rather than the operand that ends with it: `-(if c then 1 else 2) + 3`.
   */
  private operand(e: Expr, min: Prec, followed: boolean): Doc {
    const needsParens = precedence(e) < min || (followed && e.kind === "if");
    return needsParens ? ["(", this.expr(e), ")"] : this.expr(e, followed);
  }
}

function precedence(e: Expr): Prec {
  switch (e.kind) {
    case "pipe":
      return Prec.Pipe;
    case "binary":
      return BINARY_PREC[e.op];
    case "unary":
      return e.op === "not" ? Prec.Not : Prec.Neg;
    default:
      return Prec.Primary;
  }
}

/**
 * True when `e`, as the operand of a unary `-`, prints starting with `-` (any looser operand gets
 * parentheses); `- -a` reads better than `--a`.
 */
function startsWithMinus(e: Expr): boolean {
  return e.kind === "unary" && e.op === "-";
}

/** A string literal in canonical form: double quotes, escapes only where needed. */
export function quote(value: string): string {
  return `"${value.replace(/[\\"\n\t]/g, (ch) => (ch === "\n" ? "\\n" : ch === "\t" ? "\\t" : "\\" + ch))}"`;
}
