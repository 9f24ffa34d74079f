/**
 * Thousands of mutated versions of the examples go through the parser and the checker. Every
 * one must come back with well-formed diagnostics (a catalogue code, a span inside the text)
 * and without an exception. The generator is seeded, so a failure reproduces.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import { CATALOGUE } from "../../compiler/diagnostics/catalogue.js";
import { mutate, rng } from "./mutate.js";

const EXAMPLES = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .map((f) => ({ name: f, text: readFileSync(`examples/${f}`, "utf8") }));


describe("front-end fuzzing", () => {
  it("has examples to mutate", () => {
    expect(EXAMPLES.length).toBeGreaterThanOrEqual(8);
  });

  for (const example of EXAMPLES) {
    it(`survives 400 mutations of ${example.name}`, () => {
      const random = rng(example.name.length * 7919 + 17);
      const host = { readFile: () => undefined };
      for (let i = 0; i < 400; i++) {
        const text = mutate(example.text, random);
        const result = checkSource(example.name, text, host);
        for (const d of result.diagnostics) {
          expect(Object.keys(CATALOGUE), `${d.code} in catalogue for:\n${text}`).toContain(d.code);
          expect(d.span.start <= d.span.end && d.span.end <= text.length, `span of ${d.code} within the text`).toBe(true);
          expect(d.message.length).toBeGreaterThan(0);
        }
      }
    });
  }
});
