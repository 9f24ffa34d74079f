/**
 * Files derived from the operator registry stay in step with it: the layer reference and the
 * TextMate grammar's list of layer names (regenerate both with `npx tsx scripts/gen-operator-docs.ts`),
 * and the language server's completion, which reads the registry itself.
 */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { LAYER_LIST } from "../../runtime/ops/index.js";
import { DOC_PATH, GRAMMAR_PATH, grammarText, operatorsDoc, signature } from "../../scripts/gen-operator-docs.js";

it("docs/operators.md is the registry's reference (regenerate with `npx tsx scripts/gen-operator-docs.ts`)", () => {
  expect(readFileSync(DOC_PATH, "utf8")).toBe(operatorsDoc());
});

it("the TextMate grammar lists every registered layer (regenerate with `npx tsx scripts/gen-operator-docs.ts`)", () => {
  const current = readFileSync(GRAMMAR_PATH, "utf8");
  expect(current).toBe(grammarText(current));
  const listed = /\\\\b\(([a-z0-9_|]+)\)\\\\b",\s*"name": "support\.function\.layer\.nn"/.exec(current)?.[1].split("|");
  expect(listed).toEqual(LAYER_LIST.map((l) => l.name));
});

it("the reference shows every layer's signature with its defaults", () => {
  const doc = operatorsDoc();
  for (const layer of LAYER_LIST) expect(doc, layer.name).toContain(`\`${signature(layer)}\``);
  expect(doc).toContain("`leaky_relu(alpha: 0.01)`");
  expect(doc).toContain("`hardswish`");
});
