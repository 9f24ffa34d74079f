/**
 * Document symbols: the outline of a file — its models and blocks with their parameters,
 * bindings and `use` aliases inside, its `let` constants and its imports.
 */
import { SymbolKind, type DocumentSymbol } from "vscode-languageserver";
import type { Decl, Stmt } from "../syntax/ast.js";
import type { SourceFile, Span } from "../syntax/span.js";
import type { Analysis } from "./analysis.js";
import { spanToRange } from "./positions.js";

/** The outline of the analysed document. */
export function documentSymbols(analysis: Analysis): DocumentSymbol[] {
  return analysis.program.decls.map((decl) => declSymbol(analysis.source, decl)).filter((s): s is DocumentSymbol => s !== undefined);
}

function declSymbol(source: SourceFile, decl: Decl): DocumentSymbol | undefined {
  if (decl.kind === "import") return symbol(source, decl.path.value || "import", SymbolKind.Module, decl.span, decl.path.span, "import");
  if (decl.name.name === "") return undefined;
  if (decl.kind === "let") return symbol(source, decl.name.name, SymbolKind.Constant, decl.span, decl.name.span, "let");
  const children = [
    ...decl.params.filter((p) => p.name.name !== "").map((p) => symbol(source, p.name.name, SymbolKind.Variable, p.span, p.name.span, "parameter")),
    ...decl.body.map((stmt) => stmtSymbol(source, stmt)).filter((s): s is DocumentSymbol => s !== undefined),
  ];
  const kind = decl.kind === "model" ? SymbolKind.Class : SymbolKind.Function;
  return { ...symbol(source, decl.name.name, kind, decl.span, decl.name.span, decl.kind), children };
}

function stmtSymbol(source: SourceFile, stmt: Stmt): DocumentSymbol | undefined {
  if ((stmt.kind !== "bind" && stmt.kind !== "use") || stmt.name.name === "") return undefined;
  const detail = stmt.kind === "use" ? "use" : "binding";
  return symbol(source, stmt.name.name, stmt.kind === "use" ? SymbolKind.Constant : SymbolKind.Variable, stmt.span, stmt.name.span, detail);
}

function symbol(source: SourceFile, name: string, kind: SymbolKind, span: Span, nameSpan: Span, detail: string): DocumentSymbol {
  // LSP requires the selection range inside the full range; recovered nodes may break that.
  const full = { start: Math.min(span.start, nameSpan.start), end: Math.max(span.end, nameSpan.end) };
  return { name, detail, kind, range: spanToRange(source, full), selectionRange: spanToRange(source, nameSpan) };
}
