/**
 * The names visible at a position, found from the syntax alone, in the checker's order (see
 * `check/names.ts`): `for` variables, the enclosing body's parameters and bindings, its `use`
 * aliases, then the file's `let`s and blocks and those of the files it imports directly.
 * Completion lists them; go-to-definition and hover resolve one.
 *
 * `use` aliases are dynamically scoped: inside a block, `norm` means whatever the caller bound.
 * Only a `use` in the same body is a definition one can point at.
 */
import type { BlockDecl, Decl, Ident, ModelDecl, Program } from "../syntax/ast.js";
import { resolveImport } from "../check/files.js";
import type { Analysis } from "./analysis.js";
import { nodesAt, type SyntaxNode } from "./syntax-walk.js";

/** What kind of thing a name is bound to. */
export type DefinitionKind = "for" | "param" | "binding" | "use" | "let" | "block" | "model";

/** A name and where it is defined. */
export interface Definition {
  readonly name: string;
  readonly kind: DefinitionKind;
  /** The front-end path of the defining file. */
  readonly file: string;
  /** The defining identifier. */
  readonly ident: Ident;
  /** The declaration it belongs to (the block, the model, the let...). */
  readonly decl: Decl;
}

/** Every name visible at `offset`, nearest first (a name shadowed by a nearer one is left out). */
export function visibleAt(analysis: Analysis, offset: number): Definition[] {
  const found: Definition[] = [];
  const seen = new Set<string>();
  const add = (d: Definition) => {
    if (d.name === "" || seen.has(d.name)) return;
    seen.add(d.name);
    found.push(d);
  };
  const path = nodesAt(analysis.program, offset);
  const decl = path[0] as Decl | undefined;
  if (decl && (decl.kind === "block" || decl.kind === "model")) {
    for (const d of forVariables(path, offset, decl, analysis.path)) add(d);
    for (const d of bodyNames(decl, analysis.path)) add(d);
  }
  for (const d of topLevel(analysis)) add(d);
  return found;
}

/** The definition of `name` as seen at `offset`. */
export function resolveAt(analysis: Analysis, name: string, offset: number): Definition | undefined {
  return visibleAt(analysis, offset).find((d) => d.name === name);
}

/** The top-level declarations visible in the file: its own, then its direct imports'. */
export function topLevel(analysis: Analysis): Definition[] {
  const out = declarations(analysis.program, analysis.path, true);
  for (const decl of analysis.program.decls) {
    if (decl.kind !== "import" || decl.path.value === "") continue;
    const path = resolveImport(analysis.path, decl.path.value);
    const imported = analysis.result.programs.get(path);
    if (imported) out.push(...declarations(imported, path, false));
  }
  return out;
}

function declarations(program: Program, file: string, withModels: boolean): Definition[] {
  const out: Definition[] = [];
  for (const decl of program.decls) {
    if (decl.kind === "import" || (decl.kind === "model" && !withModels)) continue;
    out.push({ name: decl.name.name, kind: decl.kind, file, ident: decl.name, decl });
  }
  return out;
}

/** The variables of the `for`s whose body holds `offset`, innermost first. */
function forVariables(path: readonly SyntaxNode[], offset: number, decl: Decl, file: string): Definition[] {
  const out: Definition[] = [];
  for (const node of path) {
    if ("kind" in node && node.kind === "for" && node.body.span.start <= offset) {
      out.unshift({ name: node.variable.name, kind: "for", file, ident: node.variable, decl });
    }
  }
  return out;
}

/** A body's parameters, bindings and `use` aliases. */
function bodyNames(decl: BlockDecl | ModelDecl, file: string): Definition[] {
  const out: Definition[] = decl.params.map((p) => ({ name: p.name.name, kind: "param" as const, file, ident: p.name, decl }));
  for (const stmt of decl.body) {
    if (stmt.kind === "bind") out.push({ name: stmt.name.name, kind: "binding", file, ident: stmt.name, decl });
  }
  for (const stmt of decl.body) {
    if (stmt.kind === "use") out.push({ name: stmt.name.name, kind: "use", file, ident: stmt.name, decl });
  }
  return out;
}
