/**
 * Warnings for names that nothing uses: a model's input, a block's or model's parameter, and a
 * binding in a body (W0001). Use is read from the syntax, not from elaboration: a name that
 * appears in an `if` branch not taken, or after a `return`, still counts as used, so the warning
 * never depends on `--set` or on which call of a block is being looked at. A name that starts
 * with `_` is declared unused on purpose and gets no warning.
 *
 * The walk keeps its own stack instead of recursing, since an expression may be a chain of
 * 100,000 terms (see `docs/language.md`, "Limits").
 */
import type { BlockDecl, Expr, Ident, ModelDecl, Program } from "../syntax/ast.js";
import { childrenOf, type SyntaxNode } from "../syntax/children.js";
import type { Span } from "../syntax/span.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/catalogue.js";

/** The W0001 warnings of every block and model declared in `program` (the file `file`). */
export function unusedNames(program: Program, file: string): Diagnostic[] {
  const warnings: Diagnostic[] = [];
  for (const decl of program.decls) {
    if (decl.kind === "block" || decl.kind === "model") warnings.push(...unusedIn(decl, file));
  }
  return warnings;
}

/** What a declared name is, for the message. */
interface Declared {
  readonly ident: Ident;
  readonly what: string;
}

function unusedIn(decl: BlockDecl | ModelDecl, file: string): Diagnostic[] {
  const owner = `${decl.kind} ${decl.name.name}`;
  const declared: Declared[] = [];
  const used = new Set<string>();
  const roots: Expr[] = [];
  for (const param of decl.params) {
    const isInput = decl.kind === "model" ? param.type?.kind === "shape" : param.type === undefined;
    declared.push({ ident: param.name, what: `${isInput ? "input" : "parameter"} \`${param.name.name}\` of ${owner}` });
    if (param.default) roots.push(param.default);
    // A model's input shape may use its config parameters (`x: [N, 3, size, size]`).
    if (param.type?.kind === "shape") for (const dim of param.type.dims) if (dim.kind === "name") used.add(dim.name);
  }
  for (const stmt of decl.body) {
    if (stmt.kind === "bind") declared.push({ ident: stmt.name, what: `binding \`${stmt.name.name}\`` });
    roots.push(stmt.value);
  }
  for (const root of roots) collectUses(root, used);
  return declared
    .filter(({ ident }) => ident.name !== "" && !ident.name.startsWith("_") && !used.has(ident.name))
    .map(({ ident, what }) =>
      diagnostic("W0001", file, ident.span, `${what} is never used; remove it, or name it \`_${ident.name}\` if it is unused on purpose`),
    );
}

/**
 * Adds every name `root` reads to `used`, except those a `for` inside it binds for its body. The
 * walk follows `childrenOf`; what reads a name is a name, and the callee of a call.
 */
function collectUses(root: Expr, used: Set<string>): void {
  const stack: { node: SyntaxNode; hidden: ReadonlySet<string> }[] = [{ node: root, hidden: new Set() }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const { node, hidden } = top;
    const use = (name: string) => {
      if (!hidden.has(name)) used.add(name);
    };
    if ("kind" in node && node.kind === "name") use(node.name);
    if ("kind" in node && node.kind === "call") use(node.callee.name);
    if ("kind" in node && node.kind === "for") {
      stack.push({ node: node.iterable, hidden }, { node: node.body, hidden: new Set([...hidden, node.variable.name]) });
      continue;
    }
    for (const child of childrenOf(node)) stack.push({ node: child, hidden });
  }
}

/**
 * Drops the W0001 warnings of a declaration that has an error: until it checks, which names it
 * uses may still change (a malformed parameter list, a half-written body), and the error is
 * what to fix first.
 */
export function withoutUnusedBesideErrors(diagnostics: readonly Diagnostic[], programs: ReadonlyMap<string, Program>): Diagnostic[] {
  if (!diagnostics.some((d) => d.code === "W0001")) return [...diagnostics];
  const declOf = (d: Diagnostic): Span | undefined => programs.get(d.file)?.decls.find((x) => x.span.start <= d.span.start && d.span.start <= x.span.end)?.span;
  const broken = diagnostics.filter((d) => d.severity === "error").map((d) => ({ file: d.file, span: declOf(d) }));
  return diagnostics.filter((d) => {
    if (d.code !== "W0001") return true;
    const span = declOf(d);
    return !broken.some((b) => b.file === d.file && b.span !== undefined && span !== undefined && b.span.start === span.start);
  });
}
