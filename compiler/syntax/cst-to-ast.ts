/**
 * Turns Chevrotain's concrete syntax tree into the AST of `ast.ts`.
 *
 * Recovered CST nodes may lack children the grammar calls required, and tokens inserted by
 * recovery have no offsets; every accessor here tolerates both, so a tree with syntax errors
 * still becomes a well-formed AST (with `ErrorExpr` and empty names in the gaps).
 */
import type { CstNode, IToken } from "chevrotain";
import { UnterminatedString } from "../../grammar/tokens.js";
import type * as cst from "../../grammar/cst.js";
import type * as ast from "./ast.js";
import { buildOperation, type FlatOperand } from "./operators.js";
import type { Span } from "./span.js";

const TYPE_KEYWORDS = new Set(["int", "float", "bool", "layer"]);

/** Builds AST nodes from one file's CST; `fallback` is where invented nodes are placed. */
export class CstToAst {
  private fallback = 0;
  /** Operators of chained comparisons (`a < b < c`), which the language does not allow. */
  readonly chained: Span[] = [];

  constructor(private readonly text: string) {}

  program(node: cst.ProgramCstNode): ast.Program {
    const c = node.children;
    const decls: ast.Decl[] = [
      ...(c.importDecl ?? []).map((n) => this.importDecl(n)),
      ...(c.letDecl ?? []).map((n) => this.letDecl(n)),
      ...(c.blockDecl ?? []).map((n) => this.blockOrModel(n, "block")),
      ...(c.modelDecl ?? []).map((n) => this.blockOrModel(n, "model")),
    ].sort((a, b) => a.span.start - b.span.start);
    return { kind: "program", decls, comments: [], span: { start: 0, end: this.text.length } };
  }

  private importDecl(node: cst.ImportDeclCstNode): ast.ImportDecl {
    const c = node.children;
    const path = this.stringLit(c.StringLiteral?.[0]);
    return { kind: "import", path, span: this.nodeSpan(node) };
  }

  private letDecl(node: cst.LetDeclCstNode): ast.LetDecl {
    const c = node.children;
    return {
      kind: "let",
      name: this.ident(c.Identifier?.[0]),
      value: this.expression(c.expression?.[0]),
      span: this.nodeSpan(node),
    };
  }

  private blockOrModel(
    node: cst.BlockDeclCstNode | cst.ModelDeclCstNode,
    kind: "block" | "model",
  ): ast.BlockDecl | ast.ModelDecl {
    const c = node.children;
    const name = this.ident(c.Identifier?.[0]);
    const params = (c.paramList?.[0]?.children.param ?? []).map((p) => this.param(p));
    const body = (c.body?.[0]?.children.statement ?? []).map((s) => this.statement(s));
    return { kind, name, params, body, span: this.nodeSpan(node) };
  }

  private param(node: cst.ParamCstNode): ast.Param {
    const c = node.children;
    const name = this.ident(c.Identifier?.[0]);
    const type = c.typeRef?.[0] ? this.typeRef(c.typeRef[0]) : undefined;
    const dflt = c.expression?.[0] ? this.expression(c.expression[0]) : undefined;
    return { name, type, default: dflt, span: this.nodeSpan(node) };
  }

  private typeRef(node: cst.TypeRefCstNode): ast.TypeRef {
    const c = node.children;
    const span = this.nodeSpan(node);
    if (!c.LBracket) return { kind: "named", name: this.ident(c.Identifier?.[0]), span };
    const dims = (c.dim ?? []).map((d) => this.dim(d));
    const only = dims.length === 1 ? dims[0] : undefined;
    if (only?.kind === "name" && TYPE_KEYWORDS.has(only.name)) {
      const element: ast.NamedType = { kind: "named", name: { name: only.name, span: only.span }, span: only.span };
      return { kind: "listType", element, span };
    }
    return { kind: "shape", dims, span };
  }

  private dim(node: cst.DimCstNode): ast.NumberLit | ast.NameExpr {
    const c = node.children;
    if (c.NumberLiteral?.[0]) return this.numberLit(c.NumberLiteral[0]);
    const id = this.ident(c.Identifier?.[0]);
    return { kind: "name", name: id.name, span: id.span };
  }

  private statement(node: cst.StatementCstNode): ast.Stmt {
    const c = node.children;
    const span = this.nodeSpan(node);
    if (c.useStmt?.[0]) {
      const u = c.useStmt[0].children;
      return { kind: "use", name: this.ident(u.Identifier?.[0]), value: this.expression(u.expression?.[0]), span };
    }
    if (c.returnStmt?.[0]) {
      return { kind: "return", value: this.expression(c.returnStmt[0].children.expression?.[0]), span };
    }
    if (c.bindStmt?.[0]) {
      const b = c.bindStmt[0].children;
      return { kind: "bind", name: this.ident(b.Identifier?.[0]), value: this.expression(b.expression?.[0]), span };
    }
    return { kind: "expr", value: this.expression(c.exprStmt?.[0]?.children.expression?.[0]), span };
  }

  /** A pipeline; a single stage is just that stage. */
  expression(node: cst.ExpressionCstNode | undefined): ast.Expr {
    if (!node) return this.errorExpr();
    const stages = (node.children.operation ?? []).map((n) => this.operation(n));
    if (stages.length === 0) return this.errorExpr(node);
    if (stages.length === 1) return stages[0];
    return { kind: "pipe", stages, span: this.nodeSpan(node) };
  }

  /** Operands and operators, read flat; `buildOperation` applies precedence. */
  private operation(node: cst.OperationCstNode): ast.Expr {
    const c = node.children;
    const primaries = c.primary ?? [];
    if (primaries.length === 0) return this.errorExpr(node);
    const prefixTokens = (c.PrefixOperator ?? []).filter((token) => !Number.isNaN(token.startOffset));
    const operators = (c.BinaryOperator ?? [])
      .filter((token) => !Number.isNaN(token.startOffset))
      .map((token) => ({ op: token.image as ast.BinaryOp, span: this.tokenSpan(token) }));
    // The CST keeps all prefix operators in one list; each belongs to the next primary.
    let taken = 0;
    const operands: FlatOperand[] = primaries.map((primary) => {
      const start = primary.location?.startOffset ?? Number.NaN;
      const first = taken;
      while (taken < prefixTokens.length && prefixTokens[taken].startOffset < start) taken++;
      const prefixes = prefixTokens
        .slice(first, taken)
        .map((token) => ({ op: token.image as ast.UnaryExpr["op"], span: this.tokenSpan(token) }));
      return { prefixes, primary: this.primary(primary) };
    });
    // Recovery can leave an operator without its right operand: stand in an error there.
    while (operands.length <= operators.length) operands.push({ prefixes: [], primary: this.errorExpr() });
    return buildOperation(operands, operators.slice(0, operands.length - 1), (op) => this.chained.push(op.span));
  }

  private primary(node: cst.PrimaryCstNode): ast.Expr {
    const c = node.children;
    if (c.NumberLiteral?.[0]) return this.numberLit(c.NumberLiteral[0]);
    if (c.StringLiteral?.[0]) return this.stringLit(c.StringLiteral[0]);
    if (c.True?.[0]) return { kind: "bool", value: true, span: this.tokenSpan(c.True[0]) };
    if (c.False?.[0]) return { kind: "bool", value: false, span: this.tokenSpan(c.False[0]) };
    if (c.ifExpr?.[0]) return this.ifExpr(c.ifExpr[0]);
    if (c.forExpr?.[0]) return this.forExpr(c.forExpr[0]);
    if (c.labelExpr?.[0]) return this.labelExpr(c.labelExpr[0]);
    if (c.Identifier?.[0]) return this.nameOrCall(node);
    if (c.parenExpr?.[0]) return this.parenExpr(c.parenExpr[0]);
    if (c.listExpr?.[0]) return this.listExpr(c.listExpr[0]);
    return this.errorExpr(node);
  }

  private labelExpr(node: cst.LabelExprCstNode): ast.Expr {
    const c = node.children;
    const value = c.primary?.[0] ? this.primary(c.primary[0]) : this.errorExpr(node);
    return { kind: "label", label: this.ident(c.Identifier?.[0]), value, span: this.nodeSpan(node) };
  }

  private nameOrCall(node: cst.PrimaryCstNode): ast.Expr {
    const c = node.children;
    const callee = this.ident(c.Identifier?.[0]);
    if (!c.LParen) return { kind: "name", name: callee.name, span: callee.span };
    const args = (c.arg ?? []).map((a) => this.arg(a));
    return { kind: "call", callee, args, span: this.nodeSpan(node) };
  }

  private arg(node: cst.ArgCstNode): ast.Arg {
    const c = node.children;
    const name = c.Identifier?.[0] ? this.ident(c.Identifier[0]) : undefined;
    return { name, value: this.expression(c.expression?.[0]), span: this.nodeSpan(node) };
  }

  private parenExpr(node: cst.ParenExprCstNode): ast.Expr {
    const items = (node.children.expression ?? []).map((e) => this.expression(e));
    const span = this.nodeSpan(node);
    if (items.length === 1) return { kind: "paren", inner: items[0], span };
    return { kind: "tuple", items, span };
  }

  private listExpr(node: cst.ListExprCstNode): ast.Expr {
    const items = (node.children.expression ?? []).map((e) => this.expression(e));
    return { kind: "list", items, span: this.nodeSpan(node) };
  }

  private ifExpr(node: cst.IfExprCstNode): ast.Expr {
    const e = node.children.expression ?? [];
    return {
      kind: "if",
      cond: this.expression(e[0]),
      then: this.expression(e[1]),
      else: this.expression(e[2]),
      span: this.nodeSpan(node),
    };
  }

  private forExpr(node: cst.ForExprCstNode): ast.Expr {
    const c = node.children;
    const e = c.expression ?? [];
    return {
      kind: "for",
      variable: this.ident(c.Identifier?.[0]),
      iterable: this.expression(e[0]),
      body: this.expression(e[1]),
      span: this.nodeSpan(node),
    };
  }

  private numberLit(token: IToken): ast.NumberLit {
    const text = token.image;
    const isInt = /^\d+$/.test(text);
    return { kind: "number", value: Number(text), isInt, text, span: this.tokenSpan(token) };
  }

  private stringLit(token: IToken | undefined): ast.StringLit {
    if (!token || Number.isNaN(token.startOffset)) return { kind: "string", value: "", span: this.here() };
    const closed = token.tokenType !== UnterminatedString;
    const value = token.image.slice(1, closed ? -1 : undefined).replace(/\\(.)/g, (_, ch: string) => (ch === "n" ? "\n" : ch === "t" ? "\t" : ch));
    return { kind: "string", value, span: this.tokenSpan(token) };
  }

  private ident(token: IToken | undefined): ast.Ident {
    if (!token || Number.isNaN(token.startOffset)) return { name: "", span: this.here() };
    return { name: token.image, span: this.tokenSpan(token) };
  }

  private errorExpr(node?: CstNode): ast.ErrorExpr {
    return { kind: "error", span: node ? this.nodeSpan(node) : this.here() };
  }

  private tokenSpan(token: IToken): Span {
    if (Number.isNaN(token.startOffset)) return this.here();
    const span = { start: token.startOffset, end: token.startOffset + token.image.length };
    this.fallback = span.end;
    return span;
  }

  /** A node's span from its location, which Chevrotain tracks when `nodeLocationTracking` is on. */
  private nodeSpan(node: CstNode): Span {
    const loc = node.location;
    if (!loc || Number.isNaN(loc.startOffset)) return this.here();
    const end = loc.endOffset === undefined || Number.isNaN(loc.endOffset) ? loc.startOffset : loc.endOffset + 1;
    this.fallback = Math.max(this.fallback, loc.startOffset);
    return { start: loc.startOffset, end: Math.max(end, loc.startOffset) };
  }

  /** An empty span where the last real token was seen, for nodes recovery invented. */
  private here(): Span {
    return { start: this.fallback, end: this.fallback };
  }
}

