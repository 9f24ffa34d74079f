/**
 * Walking the syntax tree by position: which nodes enclose an offset, from the declaration down
 * to the innermost expression. Recovered trees may be incomplete (empty names, `ErrorExpr`);
 * the walk only follows spans, so it accepts them as they are.
 */
import type { Program } from "../syntax/ast.js";
import { childrenOf, type SyntaxNode } from "../syntax/children.js";
import type { Span } from "../syntax/span.js";

export type { SyntaxNode };

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
