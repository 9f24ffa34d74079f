/**
 * Long chains are not deep nesting: a sum of 100,000 terms, or 2,000 unary operators in a row
 * (the parser takes somewhat more), is checked and formatted in a loop (no E0409), while a genuinely deep dependency (the E0409
 * case: 10,000 lets each defined by the one before) is still refused.
 */
import { expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { format } from "../../compiler/format/format.js";

const host = { readFile: () => undefined };

function denseOut(text: string): number {
  const result = checkSource("chain.nn", text, host);
  expect(result.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([]);
  const model = result.models[0] as CheckedModel;
  return model.params.find((p) => p.name === "dense0.bias")!.shape[0];
}

it("checks a sum of 100,000 terms and 2,000 unary operators without running out of stack", () => {
  const sum = `let s = ${Array.from({ length: 100_000 }, () => "1").join(" + ")}\nmodel M(x: [N, 4]) {\n  return x -> dense(s // 1000) -> relu\n}\n`;
  expect(denseOut(sum)).toBe(100);
  const minus = `let s = ${"- ".repeat(2000)}3\nmodel M(x: [N, 4]) {\n  return x -> dense(s + 2) -> relu\n}\n`;
  expect(denseOut(minus)).toBe(5);
  const not = `let b = ${"not ".repeat(2001)}true\nmodel M(x: [N, 4]) {\n  return x -> dense(if b then 1 else 7) -> relu\n}\n`;
  expect(denseOut(not)).toBe(7);
});

it("formats a sum of 20,000 terms on one logical line, unchanged when formatted again", () => {
  const text = `let s = ${Array.from({ length: 20_000 }, (_, i) => String(i % 7)).join(" + ")}\n`;
  const once = format(text, "chain.nn");
  expect(once.diagnostics).toEqual([]);
  expect(once.text.split("+").length).toBe(20_000);
  expect(format(once.text, "chain.nn").text).toBe(once.text);
});

it("refuses 50,000 prefix operators in a row with E0106 at the first of them, not as brackets", () => {
  const text = `let s = ${"-".repeat(50_000)}3\nmodel M(x: [N, 4]) {\n  return x -> dense(4)\n}\n`;
  const result = checkSource("chain.nn", text, host);
  const parse = result.diagnostics.find((d) => d.code === "E0106")!;
  expect([parse.code, parse.message, parse.span.start]).toEqual(["E0106", "50,000 prefix operators in a row nest too deeply to parse", "let s = ".length]);
});
