/**
 * The formatter's invariants as reusable checks: formatting keeps the syntax tree (spans aside),
 * keeps every comment with the statement it belongs to, and is idempotent.
 */
import { expect } from "vitest";
import { format } from "../../compiler/format/format.js";
import type { Comment, Decl, Program } from "../../compiler/syntax/ast.js";
import { parse } from "../../compiler/syntax/parse.js";

/** A deep copy of an AST node without `span` and `opSpan` fields, for comparing trees. */
export function stripSpans(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripSpans);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "span" || key === "opSpan" || key === "comments") continue;
    out[key] = stripSpans(value);
  }
  return out;
}

/**
 * Where each comment of a file belongs, as `text @ owner`: the statement (or import, or let) it
 * is inside or trails on the same line, otherwise the one it precedes, or the end of its body or
 * file. Formatting may move a comment within that owner, never out of it.
 */
export function commentOwners(text: string, program: Program): string[] {
  return program.comments.map((c) => `${c.text.trimEnd()} @ ${ownerOf(text, program.decls, c)}`);
}

/** A line break as the lexer sees one: a comment runs up to `\n` or `\r`. */
const LINE_BREAK = /[\n\r]/;

function ownerOf(text: string, decls: readonly Decl[], c: Comment): string {
  const at = c.span.start;
  const inside = decls.findIndex((d) => d.span.start <= at && at < d.span.end);
  if (inside >= 0) {
    const decl = decls[inside];
    if (decl.kind !== "block" && decl.kind !== "model") return `decl ${inside}`;
    const brace = text.indexOf("{", decl.params.at(-1)?.span.end ?? decl.name.span.end);
    // A comment at the end of the `{` line still speaks of the header.
    if (at < brace || !LINE_BREAK.test(text.slice(brace, at))) return `decl ${inside} header`;
    const owner = ownerAmong(text, decl.body, at);
    return owner < 0 ? `decl ${inside} end` : `decl ${inside} stmt ${owner}`;
  }
  const owner = ownerAmong(text, decls, at);
  return owner < 0 ? "end of file" : `decl ${owner}`;
}

/** The index of the item containing `at`, trailing before it on its line, or following it. */
function ownerAmong(text: string, items: readonly { span: { start: number; end: number } }[], at: number): number {
  const containing = items.findIndex((s) => s.span.start <= at && at < s.span.end);
  if (containing >= 0) return containing;
  let before = items.length - 1;
  while (before >= 0 && items[before].span.end > at) before--;
  if (before >= 0 && !LINE_BREAK.test(text.slice(items[before].span.end, at))) return before;
  return items.findIndex((s) => s.span.start > at);
}

/**
 * Formats `text` (which must parse) and checks every invariant: the output parses without
 * errors to the same tree with the same comments in the same places, and formatting the
 * output again changes nothing. Returns the formatted text.
 */
export function expectFormatInvariants(text: string, file: string): string {
  const before = parse(text, file);
  const formatted = format(text, file);
  expect(formatted.diagnostics).toEqual([]);
  const after = parse(formatted.text, file);
  expect(after.diagnostics).toEqual([]);
  expect(stripSpans(after.program)).toEqual(stripSpans(before.program));
  expect(commentOwners(formatted.text, after.program)).toEqual(commentOwners(text, before.program));
  expect(format(formatted.text, file).text).toBe(formatted.text);
  return formatted.text;
}
