import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CommentQueue } from "../../compiler/format/comments.js";
import { printDoc } from "../../compiler/format/doc.js";
import { ExpressionPrinter } from "../../compiler/format/expressions.js";
import type { Expr } from "../../compiler/syntax/ast.js";
import { parse, parseExpression } from "../../compiler/syntax/parse.js";
import { CASES_DIR, caseNames } from "./golden.js";
import { stripSpans } from "./invariants.js";

/** A copy of a syntax tree without its `ParenExpr` nodes: the tree as if no one wrote parentheses. */
function withoutParens<T>(node: T): T {
  if (Array.isArray(node)) return node.map(withoutParens) as T;
  if (node === null || typeof node !== "object") return node;
  const record = node as Record<string, unknown>;
  if (record.kind === "paren") return withoutParens(record.inner) as T;
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, withoutParens(v)])) as T;
}

function print(e: Expr): string {
  return printDoc(new ExpressionPrinter(new CommentQueue("", [])).expr(e), 100);
}

/** Prints `text`'s tree with its parentheses removed and checks that it reads back the same. */
function roundTrip(text: string): string {
  const { expr, diagnostics } = parseExpression(text, "e.nn");
  expect(diagnostics).toEqual([]);
  const bare = withoutParens(expr);
  const printed = print(bare);
  const back = parseExpression(printed, "e.nn");
  expect(back.diagnostics).toEqual([]);
  expect(stripSpans(withoutParens(back.expr))).toEqual(stripSpans(bare));
  return printed;
}

describe("parentheses the tree needs are added", () => {
  const cases: [string, string][] = [
    ["(a + b) * c", "(a + b) * c"],
    ["(a - b) - c", "a - b - c"],
    ["a - (b - c)", "a - (b - c)"],
    ["(y + s) -> relu", "y + s -> relu"],
    ["a + (x -> relu)", "a + (x -> relu)"],
    ["x -> (a -> b) -> c", "x -> (a -> b) -> c"],
    ["(if c then a else b) -> f", "(if c then a else b) -> f"],
    ["x -> (if c then a else b)", "x -> if c then a else b"],
    ["-(if c then 1 else 2) + 3", "-(if c then 1 else 2) + 3"],
    ["(not (if c then a else b)) and d", "not (if c then a else b) and d"],
    ["(s: if c then a else b) -> f", "s: (if c then a else b) -> f"],
    ["(a + if c then 1 else 2) * 3", "(a + if c then 1 else 2) * 3"],
    ["(a * if c then 1 else 2) + 3", "a * (if c then 1 else 2) + 3"],
    ["(a < b) == c", "(a < b) == c"],
    ["a == (b < c)", "a == (b < c)"],
    ["not (a and b)", "not (a and b)"],
    ["(not a) and b", "not a and b"],
    ["(a or b) and c", "(a or b) and c"],
    ["-(-a)", "- -a"],
    ["-(a * b)", "-(a * b)"],
    ["(-a) * b", "-a * b"],
    ["-(not a)", "-(not a)"],
    ["f((s: x), t: (u: y))", "f((s: x), t: u: y)"],
    ["s: (x -> y)", "s: (x -> y)"],
    ["s: (-x)", "s: (-x)"],
    ["[(a -> b)] * (2 + 1)", "[a -> b] * (2 + 1)"],
    ["(a, (b -> c))", "(a, b -> c)"],
    ["if (if a then b else c) then (if d then e else f) else (if g then h else i)", "if if a then b else c then if d then e else f else if g then h else i"],
  ];
  for (const [input, expected] of cases) {
    it(`${input} prints as ${expected}`, () => {
      expect(roundTrip(input)).toBe(expected);
    });
  }

  it("reads back every expression of the golden cases without their parentheses", () => {
    for (const name of caseNames()) {
      const text = readFileSync(join(CASES_DIR, `${name}.input.nn`), "utf8");
      const { program } = parse(text, name);
      for (const decl of program.decls) {
        const exprs: Expr[] =
          decl.kind === "import" ? [] : decl.kind === "let" ? [decl.value] : decl.body.map((s) => s.value);
        for (const e of exprs) roundTrip(print(e));
      }
    }
  });
});
