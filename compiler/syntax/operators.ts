/**
 * Operator precedence. The parser reads `a + b * -c` flat — operands with their prefix
 * operators, and the binary operators between them — and this module builds the tree by
 * precedence climbing. Loosest first:
 *
 *     or  <  and  <  not (prefix)  <  == != < <= > >=  <  + -  <  * / // %  <  - (prefix)
 *
 * Binary operators associate to the left (`a - b - c` is `(a - b) - c`). Comparisons do not
 * chain: `a < b < c` is reported through `onChain` (and read as `(a < b) < c`). A prefix `not` takes
 * everything down to the next `and`/`or` (`not a == b` is `not (a == b)`); a prefix `-`
 * takes only its operand (`-a * b` is `(-a) * b`).
 */
import type { BinaryExpr, BinaryOp, Expr, UnaryExpr } from "./ast.js";
import { joinSpans, type Span } from "./span.js";

/** One operand of a flat operation: its prefix operators, outermost first, then a primary. */
export interface FlatOperand {
  readonly prefixes: readonly { readonly op: UnaryExpr["op"]; readonly span: Span }[];
  readonly primary: Expr;
}

/** One binary operator between two operands. */
export interface FlatOperator {
  readonly op: BinaryOp;
  readonly span: Span;
}

const BINARY_PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  or: 1,
  and: 2,
  "==": 4,
  "!=": 4,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "//": 6,
  "%": 6,
};

/** `not` binds looser than comparison and tighter than `and`. */
const NOT_PRECEDENCE = 3;

/**
 * Builds the tree of `operands[0] operators[0] operands[1] ...`; there must be exactly one
 * more operand than operators (the CST walk pads a recovered operation to that).
 */
export function buildOperation(
  operands: readonly FlatOperand[],
  operators: readonly FlatOperator[],
  onChain: (operator: FlatOperator) => void,
): Expr {
  return new Climber(operands, operators, onChain).expression(0);
}

const COMPARISON_PRECEDENCE = 4;

class Climber {
  /** The operand being read, and how many of its prefixes are already applied. */
  private next = 0;
  private prefix = 0;

  constructor(
    private readonly operands: readonly FlatOperand[],
    private readonly operators: readonly FlatOperator[],
    private readonly onChain: (operator: FlatOperator) => void,
  ) {}

  /** Reads an operand, then every following operator that binds at least as tight as `min`. */
  expression(min: number): Expr {
    let left = this.unary();
    for (;;) {
      // Operand `next - 1` was just read; the operator after it has the same index.
      const operator = this.next < this.operands.length ? this.operators[this.next - 1] : undefined;
      if (!operator) return left;
      const precedence = BINARY_PRECEDENCE[operator.op];
      if (precedence < min) return left;
      if (precedence === COMPARISON_PRECEDENCE && left.kind === "binary" && BINARY_PRECEDENCE[left.op] === COMPARISON_PRECEDENCE) {
        this.onChain(operator);
      }
      const right = this.expression(precedence + 1);
      const node: BinaryExpr = {
        kind: "binary",
        op: operator.op,
        left,
        right,
        opSpan: operator.span,
        span: joinSpans(left.span, right.span),
      };
      left = node;
    }
  }

  /** The current operand's next prefix operator applied to what it takes, or the primary. */
  private unary(): Expr {
    const operand = this.operands[this.next];
    const prefix = operand.prefixes[this.prefix];
    if (prefix) {
      this.prefix++;
      const inner = prefix.op === "not" ? this.expression(NOT_PRECEDENCE + 1) : this.unary();
      return { kind: "unary", op: prefix.op, operand: inner, span: joinSpans(prefix.span, inner.span) };
    }
    this.next++;
    this.prefix = 0;
    return operand.primary;
  }
}
