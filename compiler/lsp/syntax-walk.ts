/**
 * Walking the syntax tree by position: which nodes enclose an offset, from the declaration down
 * to the innermost expression. Recovered trees may be incomplete (empty names, `ErrorExpr`);
 * the walk only follows spans, so it accepts them as they are.
 */
import type { Arg, Decl, Expr, Param, Program, Stmt, TypeRef } from "../syntax/ast.js";
import type { Span } from "../syntax/span.js";

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

/** True when `offset` lies in `span`, its end included (a cursor just after a name is on it). */
export function touches(span: Span, offset: number): boolean {
  return span.start <= offset && offset <= span.end;
}

/**
 * The nodes that enclose `offset`, outermost (a declaration) first. Where two siblings touch
 * the offset (one ends where the next starts), the one that starts there wins.
 */
export function nodesAt(program: Program, offset: number): SyntaxNode[] {
  const path: SyntaxNode[] = [];
  let siblings: readonly SyntaxNode[] = program.decls;
  for (;;) {
    const inside = siblings.filter((n) => touches(n.span, offset));
    const next = inside.find((n) => n.span.start <= offset && offset < n.span.end) ?? inside[0];
    if (!next) return path;
    path.push(next);
    siblings = childrenOf(next);
  }
}
