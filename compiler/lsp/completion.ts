/**
 * Completion. Inside a call's argument list, where an argument starts, the call's named
 * arguments not given yet come first, each with its default (`stride: 1`). Everywhere else in
 * code, and after those: the names visible at the cursor (bindings, parameters, `for`
 * variables, `use` aliases, blocks and `let`s of the file and its imports), the built-in
 * layers, the default aliases `norm` and `act`, the shape functions and the keywords. Nothing
 * is offered inside a comment or a string.
 */
import { CompletionItemKind, InsertTextFormat, type CompletionItem } from "vscode-languageserver";
import { KEYWORDS } from "../../grammar/tokens.js";
import { BUILTIN_FUNCTIONS, DEFAULT_ALIASES, OPERATOR_LIST } from "../check/operators.js";
import type { Analysis } from "./analysis.js";
import { callContextAt } from "./call-context.js";
import { resolveAt, visibleAt, type DefinitionKind } from "./scope.js";
import { operatorSignature, signatureOf } from "./signatures.js";
import { nodesAt } from "./syntax-walk.js";

const KIND: Record<DefinitionKind, CompletionItemKind> = {
  for: CompletionItemKind.Variable,
  param: CompletionItemKind.Variable,
  binding: CompletionItemKind.Variable,
  use: CompletionItemKind.Reference,
  let: CompletionItemKind.Constant,
  block: CompletionItemKind.Class,
  model: CompletionItemKind.Module,
};

/** The completion items at `offset`. */
export function completionsAt(analysis: Analysis, offset: number): CompletionItem[] {
  if (inCommentOrString(analysis, offset)) return [];
  const items: CompletionItem[] = [];
  const call = callContextAt(analysis.source.text, analysis.program, offset);
  if (call?.atArgumentStart) {
    const signature = signatureOf(analysis, call.callee, resolveAt(analysis, call.callee, call.calleeOffset));
    const given = new Set(call.named);
    for (const [i, param] of (signature?.params ?? []).entries()) {
      if (given.has(param.name) || i < call.positional) continue;
      items.push({
        label: param.name,
        kind: CompletionItemKind.Property,
        detail: param.default === undefined ? "required" : `default ${param.default}`,
        documentation: param.doc || undefined,
        insertText: `${param.name}: `,
        insertTextFormat: InsertTextFormat.PlainText,
        sortText: `0${String(i).padStart(3, "0")}`,
      });
    }
  }
  return items.concat(general(analysis, offset));
}

/** Names, layers, functions and keywords. */
function general(analysis: Analysis, offset: number): CompletionItem[] {
  const items: CompletionItem[] = [];
  const seen = new Set<string>();
  const add = (item: CompletionItem) => {
    if (item.label === "" || seen.has(item.label)) return;
    seen.add(item.label);
    items.push(item);
  };
  for (const d of visibleAt(analysis, offset)) {
    if (d.kind === "model") continue;
    const detail = d.kind === "block" ? signatureOf(analysis, d.name, d)?.label : d.kind === "use" ? "use alias" : d.kind;
    add({ label: d.name, kind: KIND[d.kind], detail, sortText: `1${d.name}` });
  }
  for (const [name, alias] of DEFAULT_ALIASES) {
    add({ label: name, kind: CompletionItemKind.Reference, detail: `alias (${alias.op} when unbound)`, documentation: alias.doc, sortText: `2${name}` });
  }
  for (const op of OPERATOR_LIST) {
    add({ label: op.name, kind: CompletionItemKind.Function, detail: operatorSignature(op).label, documentation: op.doc, sortText: `2${op.name}` });
  }
  for (const [name, doc] of BUILTIN_FUNCTIONS) {
    add({ label: name, kind: CompletionItemKind.Function, detail: `${name}(t)`, documentation: doc, sortText: `3${name}` });
  }
  for (const keyword of KEYWORDS) add({ label: keyword, kind: CompletionItemKind.Keyword, sortText: `4${keyword}` });
  return items;
}

/** True inside a comment or a string literal (completion would only get in the way). */
function inCommentOrString(analysis: Analysis, offset: number): boolean {
  if (analysis.program.comments.some((c) => c.span.start < offset && offset <= c.span.end)) return true;
  const innermost = nodesAt(analysis.program, offset).at(-1);
  return innermost !== undefined && "kind" in innermost && innermost.kind === "string" && innermost.span.start < offset && offset < innermost.span.end;
}
