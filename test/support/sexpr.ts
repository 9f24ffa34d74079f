/**
 * A compact, span-free rendering of AST expressions as S-expressions, so that parser tests
 * read as data: `check("a -> b * 2", "(-> a (* b 2))")`.
 */
import type { Expr, Stmt } from "../../compiler/syntax/ast.js";

/** Renders an expression. */
export function sexpr(e: Expr): string {
  switch (e.kind) {
    case "number":
      return e.text;
    case "string":
      return JSON.stringify(e.value);
    case "bool":
      return String(e.value);
    case "name":
      return e.name;
    case "list":
      return `[${e.items.map(sexpr).join(" ")}]`;
    case "tuple":
      return `(tuple ${e.items.map(sexpr).join(" ")})`;
    case "paren":
      return `(paren ${sexpr(e.inner)})`;
    case "call":
      return `(${e.callee.name}${e.args.map((a) => " " + (a.name ? `${a.name.name}:` : "") + sexpr(a.value)).join("")})`;
    case "pipe":
      return `(-> ${e.stages.map(sexpr).join(" ")})`;
    case "label":
      return `(label ${e.label.name} ${sexpr(e.value)})`;
    case "binary":
      return `(${e.op} ${sexpr(e.left)} ${sexpr(e.right)})`;
    case "unary":
      return `(${e.op} ${sexpr(e.operand)})`;
    case "if":
      return `(if ${sexpr(e.cond)} ${sexpr(e.then)} ${sexpr(e.else)})`;
    case "for":
      return `(for ${e.variable.name} ${sexpr(e.iterable)} ${sexpr(e.body)})`;
    case "error":
      return "<error>";
  }
}

/** Renders a statement. */
export function stmtSexpr(s: Stmt): string {
  switch (s.kind) {
    case "bind":
      return `(= ${s.name.name} ${sexpr(s.value)})`;
    case "use":
      return `(use ${s.name.name} ${sexpr(s.value)})`;
    case "return":
      return `(return ${sexpr(s.value)})`;
    case "expr":
      return sexpr(s.value);
  }
}
