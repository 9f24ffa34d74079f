/**
 * Go to definition: from a name to the parameter, binding, `for` variable, `use` alias, block
 * or `let` it refers to (in this file or an imported one), and from an import's path to the
 * imported file.
 */
import type { Location } from "vscode-languageserver";
import { resolveImport } from "../check/files.js";
import type { Ident } from "../syntax/ast.js";
import type { Analysis } from "./analysis.js";
import { pathToUri, spanToRange } from "./positions.js";
import { resolveAt } from "./scope.js";
import { nodesAt, touches } from "./syntax-walk.js";

/** Where the thing at `offset` is defined, or null. */
export function definitionAt(analysis: Analysis, offset: number): Location | null {
  const node = nodesAt(analysis.program, offset).at(-1);
  if (!node || !("kind" in node)) return null;
  if (node.kind === "import") {
    if (node.path.value === "" || !touches(node.path.span, offset)) return null;
    const target = resolveImport(analysis.path, node.path.value);
    return { uri: pathToUri(target), range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } } };
  }
  let ident: Ident | undefined;
  if (node.kind === "name") ident = { name: node.name, span: node.span };
  else if (node.kind === "call" && touches(node.callee.span, offset)) ident = node.callee;
  if (!ident || ident.name === "") return null;
  const definition = resolveAt(analysis, ident.name, ident.span.start);
  if (!definition) return null;
  const source = definition.file === analysis.path ? analysis.source : analysis.result.sources.get(definition.file);
  if (!source) return null;
  return { uri: pathToUri(definition.file), range: spanToRange(source, definition.ident.span) };
}
