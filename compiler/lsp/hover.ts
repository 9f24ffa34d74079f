/**
 * Hover: what the thing under the cursor is and what shapes it had. A layer call or name shows
 * its operator's doc and, for each instance elaboration made of it, the input and output
 * shapes and parameter count; a block call shows the block's signature and the same per call;
 * a binding or input shows its shape(s); a named argument shows its doc and default; a model's
 * name shows its inputs, outputs and total parameters. Places that elaboration did not reach
 * (an unused block, code after an error) still get the static doc.
 */
import { MarkupKind, type Hover } from "vscode-languageserver";
import { formatShape } from "../../runtime/ops/dims.js";
import type { Shape } from "../check/model.js";
import { BUILTIN_FUNCTIONS, DEFAULT_ALIASES, OPERATORS } from "../check/operators.js";
import type { Arg, CallExpr, Ident } from "../syntax/ast.js";
import type { Span } from "../syntax/span.js";
import type { Analysis } from "./analysis.js";
import { spanToRange } from "./positions.js";
import { resolveAt, type Definition } from "./scope.js";
import { shapeIndex, type Occurrence } from "./shape-index.js";
import { signatureOf } from "./signatures.js";
import { nodesAt, touches, type SyntaxNode } from "./syntax-walk.js";

/** How many instances a hover lists before summing up the rest. */
const MAX_LISTED = 8;

/** The hover at `offset`, or null where there is nothing to say. */
export function hoverAt(analysis: Analysis, offset: number): Hover | null {
  const path = nodesAt(analysis.program, offset);
  for (let i = path.length - 1; i >= 0; i--) {
    const found = hoverNode(analysis, path[i], path[i - 1], offset);
    if (found) return { contents: { kind: MarkupKind.Markdown, value: found.text }, range: spanToRange(analysis.source, found.span) };
  }
  return null;
}

interface Found {
  readonly text: string;
  readonly span: Span;
}

function hoverNode(analysis: Analysis, node: SyntaxNode, parent: SyntaxNode | undefined, offset: number): Found | undefined {
  if (!("kind" in node)) {
    if ("value" in node) return argHover(analysis, node, parent);
    return touches(node.name.span, offset) ? nameHover(analysis, node.name, node.name.span) : undefined;
  }
  switch (node.kind) {
    case "call":
      return callHover(analysis, node);
    case "name":
      return nameHover(analysis, { name: node.name, span: node.span }, node.span);
    case "bind":
      return touches(node.name.span, offset) ? nameHover(analysis, node.name, node.name.span) : undefined;
    case "block":
      return touches(node.name.span, offset) ? { text: signatureText(analysis, node.name.name, node.name.span.start), span: node.name.span } : undefined;
    case "model":
      return touches(node.name.span, offset) ? modelHover(analysis, node.name) : undefined;
    default:
      return undefined;
  }
}

/** A named argument's name: its doc and default. */
function argHover(analysis: Analysis, arg: Arg, call: SyntaxNode | undefined): Found | undefined {
  if (!arg.name || !call || !("kind" in call) || call.kind !== "call") return undefined;
  const signature = signatureOf(analysis, call.callee.name, resolveAt(analysis, call.callee.name, call.span.start));
  const param = signature?.params.find((p) => p.name === arg.name!.name);
  if (!param) return undefined;
  const def = param.default === undefined ? "required" : `default ${param.default}`;
  return { text: `**${param.name}** of \`${signature!.name}\` (${def})${param.doc ? `\n\n${param.doc}` : ""}`, span: arg.name.span };
}

function callHover(analysis: Analysis, call: CallExpr): Found | undefined {
  const index = shapeIndex(analysis);
  const layers = index.layers(analysis.path, call.span);
  const header = signatureText(analysis, call.callee.name, call.span.start);
  if (layers.length > 0) return { text: withInstances(header, layers), span: call.callee.span };
  const blocks = index.traced("block", analysis.path, call.span);
  if (blocks.length > 0) return { text: withInstances(header, blocks), span: call.callee.span };
  return header ? { text: header, span: call.callee.span } : undefined;
}

function nameHover(analysis: Analysis, ident: Ident, span: Span): Found | undefined {
  const index = shapeIndex(analysis);
  const layers = index.layers(analysis.path, span);
  if (layers.length > 0) {
    const kind = layers[0].kind;
    const heading = ident.name === kind ? `**${kind}**` : `**${ident.name}**: \`${kind}\``;
    return { text: withInstances(`${heading}${docLine(kind)}`, layers), span };
  }
  const blocks = index.traced("block", analysis.path, span);
  if (blocks.length > 0) return { text: withInstances(signatureText(analysis, ident.name, span.start), blocks), span };
  const definition = resolveAt(analysis, ident.name, span.start);
  if (definition && (definition.kind === "binding" || definition.kind === "param")) {
    const bindings = index.traced("binding", definition.file, definition.ident.span);
    if (bindings.length > 0) return { text: bindingText(definition, bindings), span };
  }
  if (definition?.kind === "for") return { text: `**${ident.name}**: the variable of a \`for\``, span };
  const text = signatureText(analysis, ident.name, span.start);
  return text ? { text, span } : undefined;
}

function modelHover(analysis: Analysis, name: Ident): Found | undefined {
  const model = analysis.result.models.find((m) => m.file === analysis.path && m.name === name.name);
  if (!model) return { text: `**model ${name.name}**`, span: name.span };
  const shapes = (ids: readonly number[]) => ids.map((id) => formatShape(model.values[id].shape)).join(", ");
  const params = model.params.reduce((n, p) => (p.buffer ? n : n + p.shape.reduce((a, b) => a * b, 1)), 0);
  const text = `**model ${model.name}**: \`${shapes(model.inputs.map((i) => i.value))} → ${shapes(model.outputs)}\`, ${count(params)} parameters, ${count(model.layers.length)} layer instances`;
  return { text, span: name.span };
}

/** The heading of a callable: `**conv**(out, kernel, ...)` and its doc. */
function signatureText(analysis: Analysis, name: string, offset: number): string {
  const definition = resolveAt(analysis, name, offset);
  const signature = signatureOf(analysis, name, definition);
  if (!signature) return "";
  const kind = definition?.kind === "block" ? "block " : "";
  const alias = DEFAULT_ALIASES.get(name);
  const aliasNote = alias && !definition ? `\n\n\`${name}\`: ${alias.doc}` : "";
  return `**${kind}${signature.name}**\`(${signature.label.slice(signature.name.length + 1, -1)})\`\n\n${signature.doc}${aliasNote}`;
}

function docLine(kind: string): string {
  const doc = OPERATORS.get(kind)?.doc ?? BUILTIN_FUNCTIONS.get(kind);
  return doc ? `\n\n${doc}` : "";
}

function bindingText(definition: Definition, occurrences: readonly Occurrence[]): string {
  const distinct = [...new Set(occurrences.map((o) => o.outputs.map(formatShape).join(", ")))];
  const where = definition.kind === "param" ? "input" : "binding";
  if (distinct.length === 1) return `**${definition.name}** (${where}): \`${distinct[0]}\``;
  return `**${definition.name}** (${where}), one shape per elaboration:\n${distinct.map((s) => `- \`${s}\``).join("\n")}`;
}

/** A heading followed by one line per instance and, for several, their total. */
function withInstances(header: string, occurrences: readonly Occurrence[]): string {
  const lines = occurrences.slice(0, MAX_LISTED).map((o) => {
    const name = o.path ? `\`${o.path}\`: ` : "";
    return `- ${name}\`${shapes(o.inputs)} → ${shapes(o.outputs)}\`, ${count(o.params)} parameters`;
  });
  if (occurrences.length > MAX_LISTED) lines.push(`- … and ${occurrences.length - MAX_LISTED} more`);
  const total = occurrences.reduce((n, o) => n + o.params, 0);
  const sum = occurrences.length > 1 ? `\n\n${occurrences.length} instances, ${count(total)} parameters in all` : "";
  return `${header}\n\n${lines.join("\n")}${sum}`;
}

function shapes(list: readonly Shape[]): string {
  return list.length === 1 ? formatShape(list[0]) : `(${list.map(formatShape).join(", ")})`;
}

function count(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString("en-US") : "?";
}
