/**
 * The abstract syntax tree of an `.nn` file.
 *
 * Invariants:
 * - Parsing never fails: it returns a `Program` and a list of diagnostics. Nodes that error
 *   recovery could not complete are still present, with `ErrorExpr` or empty names in the
 *   missing places; every consumer must tolerate them.
 * - Every node has a `span` of offsets into its file (see `span.ts`).
 * - Operator precedence, loosest first (the parser and the formatter share it): `if`/`for`
 *   (extend as far right as possible) < `->` < `or` < `and` < `not` < comparisons
 *   (non-associative) < `+ -` < `* / // %` < unary `-` < call and atom. So `y + s -> relu` is
 *   `(y + s) -> relu`, and `Basic(w) * 3 -> f` repeats `Basic(w)`.
 * - The tree holds syntax only: whether `[relu]` is a list or a group, or whether `a * 3` is
 *   arithmetic or a repeat, is decided by the checker from the values involved.
 */
import type { Span } from "./span.js";

/** An identifier with its own span (names are what hovers and go-to-definition point at). */
export interface Ident {
  readonly name: string;
  readonly span: Span;
}

/** A `#` comment, kept for the formatter (`text` includes the `#`). */
export interface Comment {
  readonly text: string;
  readonly span: Span;
}

/** A whole file. */
export interface Program {
  readonly kind: "program";
  readonly decls: readonly Decl[];
  readonly comments: readonly Comment[];
  readonly span: Span;
}

export type Decl = ImportDecl | LetDecl | BlockDecl | ModelDecl;

/** `import "path.nn"` */
export interface ImportDecl {
  readonly kind: "import";
  readonly path: StringLit;
  readonly span: Span;
}

/** `let NAME = expr` — a compile-time constant. */
export interface LetDecl {
  readonly kind: "let";
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}

/** `block NAME(x, p: type = default) { body }` — leading untyped parameters are tensor inputs. */
export interface BlockDecl {
  readonly kind: "block";
  readonly name: Ident;
  readonly params: readonly Param[];
  readonly body: readonly Stmt[];
  readonly span: Span;
}

/** `model NAME(x: [N, 3, 32, 32], p: type = default) { body }` */
export interface ModelDecl {
  readonly kind: "model";
  readonly name: Ident;
  readonly params: readonly Param[];
  readonly body: readonly Stmt[];
  readonly span: Span;
}

/** One parameter of a block or model. */
export interface Param {
  readonly name: Ident;
  /** Absent for a block's tensor inputs. */
  readonly type?: TypeRef;
  readonly default?: Expr;
  readonly span: Span;
}

/** `int`, `float`, `bool`, `layer` (and any other name, rejected by the checker). */
export interface NamedType {
  readonly kind: "named";
  readonly name: Ident;
  readonly span: Span;
}

/** `[int]` — a list type. */
export interface ListType {
  readonly kind: "listType";
  readonly element: TypeRef;
  readonly span: Span;
}

/** `[N, 3, 32, 32]` — a tensor input's shape: integer literals and symbolic names. */
export interface ShapeType {
  readonly kind: "shape";
  readonly dims: readonly (NumberLit | NameExpr)[];
  readonly span: Span;
}

/**
 * A parameter's type. `[int]` and `[N]` look alike: the parser reads a one-element bracket
 * holding a type keyword (`int`, `float`, `bool`, `layer`) as a `ListType`, anything else as a
 * `ShapeType`.
 */
export type TypeRef = NamedType | ListType | ShapeType;

export type Stmt = BindStmt | UseStmt | ReturnStmt | ExprStmt;

/** `name = expr` */
export interface BindStmt {
  readonly kind: "bind";
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}

/** `use name = layer-expr` — a dynamically scoped layer alias. */
export interface UseStmt {
  readonly kind: "use";
  readonly name: Ident;
  readonly value: Expr;
  readonly span: Span;
}

/** `return expr` (a tuple `return (a, b)` is a `TupleExpr`). */
export interface ReturnStmt {
  readonly kind: "return";
  readonly value: Expr;
  readonly span: Span;
}

/** An expression on its own; a body without `return` returns its last one. */
export interface ExprStmt {
  readonly kind: "expr";
  readonly value: Expr;
  readonly span: Span;
}

export type Expr =
  | NumberLit
  | StringLit
  | BoolLit
  | NameExpr
  | ListExpr
  | TupleExpr
  | ParenExpr
  | CallExpr
  | PipeExpr
  | LabelExpr
  | BinaryExpr
  | UnaryExpr
  | IfExpr
  | ForExpr
  | ErrorExpr;

/** `3`, `0.1`, `1e-5`. `isInt` is true when the text has no `.` and no exponent. */
export interface NumberLit {
  readonly kind: "number";
  readonly value: number;
  readonly isInt: boolean;
  /** The literal as written, so the formatter can keep `1e-5` as `1e-5`. */
  readonly text: string;
  readonly span: Span;
}

/** `"..."`; `value` has the escapes resolved. */
export interface StringLit {
  readonly kind: "string";
  readonly value: string;
  readonly span: Span;
}

/** `true`, `false` */
export interface BoolLit {
  readonly kind: "bool";
  readonly value: boolean;
  readonly span: Span;
}

/** A reference to a name: a binding, parameter, let, layer, block or alias (`relu`, `norm`, `x`). */
export interface NameExpr {
  readonly kind: "name";
  readonly name: string;
  readonly span: Span;
}

/** `[a, b, c]` — a list; with one layer inside (`[conv(8, 3) -> relu]`) it is a group. */
export interface ListExpr {
  readonly kind: "list";
  readonly items: readonly Expr[];
  readonly span: Span;
}

/** `(a, b)` — a tuple of two or more (a kernel pair, several tensors, several outputs). */
export interface TupleExpr {
  readonly kind: "tuple";
  readonly items: readonly Expr[];
  readonly span: Span;
}

/** `(e)` — kept so that the formatter can keep the parentheses the author wrote. */
export interface ParenExpr {
  readonly kind: "paren";
  readonly inner: Expr;
  readonly span: Span;
}

/** `f(args)` — a layer, block or builtin (`channels`, `shape`, `rank`) applied to arguments. */
export interface CallExpr {
  readonly kind: "call";
  readonly callee: Ident;
  readonly args: readonly Arg[];
  readonly span: Span;
}

/** A positional (`64`) or named (`stride: 2`) argument. */
export interface Arg {
  readonly name?: Ident;
  readonly value: Expr;
  readonly span: Span;
}

/** `a -> b -> c` — the stages in order; the first is usually a tensor. */
export interface PipeExpr {
  readonly kind: "pipe";
  readonly stages: readonly Expr[];
  readonly span: Span;
}

/** `name: layer` — names a layer instance (used in parameter names). */
export interface LabelExpr {
  readonly kind: "label";
  readonly label: Ident;
  readonly value: Expr;
  readonly span: Span;
}

export type BinaryOp =
  | "+"
  | "-"
  | "*"
  | "/"
  | "//"
  | "%"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "and"
  | "or";

/** `a op b`; `layer * n` is a repeat, `tensor + tensor` an element-wise add. */
export interface BinaryExpr {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  /** The span of the operator token itself. */
  readonly opSpan: Span;
  readonly span: Span;
}

/** `-a`, `not a` */
export interface UnaryExpr {
  readonly kind: "unary";
  readonly op: "-" | "not";
  readonly operand: Expr;
  readonly span: Span;
}

/** `if cond then a else b` — a compile-time choice; only the chosen side is checked. */
export interface IfExpr {
  readonly kind: "if";
  readonly cond: Expr;
  readonly then: Expr;
  readonly else: Expr;
  readonly span: Span;
}

/** `for v in [list] { pipeline }` — a layer chaining one copy of the body per element. */
export interface ForExpr {
  readonly kind: "for";
  readonly variable: Ident;
  readonly iterable: Expr;
  readonly body: Expr;
  readonly span: Span;
}

/** A place where the parser expected an expression and recovery found none. */
export interface ErrorExpr {
  readonly kind: "error";
  readonly span: Span;
}
