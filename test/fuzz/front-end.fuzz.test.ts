/**
 * Thousands of mutated versions of the examples go through the parser and the checker. Every
 * one must come back with well-formed diagnostics (a catalogue code, a span inside the text)
 * and without an exception. The generator is seeded, so a failure reproduces.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import { CATALOGUE } from "../../compiler/diagnostics/catalogue.js";

const EXAMPLES = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .map((f) => ({ name: f, text: readFileSync(`examples/${f}`, "utf8") }));

const FRAGMENTS = [
  "->", "(", ")", "[", "]", "{", "}", ",", ":", "=", "*", "+", "-", "/", "//", "%", "==", "not", "and",
  "if", "then", "else", "for", "in", "use", "return", "model", "block", "let", "import", '"', "#",
  "x", "norm", "relu", "conv", "conv(", "batch()", "group(groups: 3)", "Basic", "0", "-1", "1e9",
  "3.5", "100000000", "channels(x)", "shape(x)", "[N, 3]", "\n", " ",
];

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  let out = text;
  const edits = 1 + pick(3);
  for (let e = 0; e < edits; e++) {
    const at = pick(out.length + 1);
    const len = pick(12);
    switch (pick(5)) {
      case 0: // delete a run of characters
        out = out.slice(0, at) + out.slice(at + len);
        break;
      case 1: // insert a fragment of the language
        out = out.slice(0, at) + FRAGMENTS[pick(FRAGMENTS.length)] + out.slice(at);
        break;
      case 2: // duplicate a run
        out = out.slice(0, at) + out.slice(at, at + len) + out.slice(at);
        break;
      case 3: // replace a number with an extreme one
        out = out.replace(/\d+/, ["0", "-3", "7", "99999", "2.5"][pick(5)]);
        break;
      default: // truncate
        out = out.slice(0, at);
    }
  }
  return out;
}

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
