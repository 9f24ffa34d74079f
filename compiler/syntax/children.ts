/**
 * The syntax tree's nodes and their direct children, in source order: the one place that knows
 * which fields of each node are nodes, for every walk over the tree (the language server's
 * position lookups, the checker's unused-name warnings).
 */
import type { Arg, Decl, Expr, Param, Stmt, TypeRef } from "./ast.js";

/** A node of the tree that has children or a span worth finding. */
export type SyntaxNode = Decl | Param | TypeRef | Stmt | Expr | Arg;

/** The direct children of a node, in source order. */
export function childrenOf(node: SyntaxNode): SyntaxNode[] {
  if (!("kind" in node)) {
    // A Param or an Arg (the only nodes without a `kind`).
    if ("type" in node || "default" in node) return [node.type, node.default].filter((n) => n !== undefined);
    return "value" in node ? [node.value] : [];
  }
  switch (node.kind) {
    case "import":
    case "number":
    case "string":
    case "bool":
    case "name":
    case "error":
    case "named":
      return [];
    case "let":
    case "bind":
    case "use":
    case "return":
    case "expr":
      return [node.value];
    case "block":
    case "model":
      return [...node.params, ...node.body];
    case "listType":
      return [node.element];
    case "shape":
      return [...node.dims];
    case "list":
    case "tuple":
      return [...node.items];
    case "paren":
      return [node.inner];
    case "call":
      return [...node.args];
    case "pipe":
      return [...node.stages];
    case "label":
      return [node.value];
    case "binary":
      return [node.left, node.right];
    case "unary":
      return [node.operand];
    case "if":
      return [node.cond, node.then, node.else];
    case "for":
      return [node.iterable, node.body];
  }
}
