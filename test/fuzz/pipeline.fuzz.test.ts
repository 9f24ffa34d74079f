/**
 * Mutated examples through the whole tool, not just the front end: the formatter, then the
 * compile driver to a TypeScript module and to ONNX. Whatever the input, nothing throws; every
 * diagnostic is a catalogue code with a span inside the text; no failure is an internal error;
 * formatting is idempotent and keeps a file that parsed parsing; a compile that succeeds produces
 * its files, and some mutations must compile. Seeded and bounded (a fixed number of programs, small examples), so a failure
 * reproduces from its seed.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../../compiler/diagnostics/catalogue.js";
import { compileModel } from "../../compiler/emit/compile-model.js";
import { format } from "../../compiler/format/format.js";
import { parse } from "../../compiler/syntax/parse.js";
import { mutate, rng } from "./mutate.js";

const EXAMPLES = ["lenet.nn", "mlp.nn", "norm_zoo.nn"].map((name) => ({ name, text: readFileSync(`examples/${name}`, "utf8") }));
const PROGRAMS_PER_EXAMPLE = 40;

/** Only the file itself: a mutated import names nothing on disk. */
const host = { readFile: () => undefined };

describe("mutated examples through the formatter and both emitters", () => {
  for (const { name, text } of EXAMPLES) {
    it(`${name}: ${PROGRAMS_PER_EXAMPLE} mutations`, async () => {
      const random = rng(name.length * 7919 + 17);
      let compiled = 0;
      for (let k = 0; k < PROGRAMS_PER_EXAMPLE; k++) {
        const source = mutate(text, random);
        const where = `mutation ${k} of ${name}:\n${source}`;

        const formatted = format(source, name);
        for (const d of formatted.diagnostics) expect(d.code === "E0409" && d.message.startsWith("internal"), where).toBe(false);
        if (formatted.diagnostics.length === 0) {
          expect(format(formatted.text, name).text, `formatting is idempotent: ${where}`).toBe(formatted.text);
          const parsed = parse(source, name).diagnostics.length === 0;
          if (parsed) expect(parse(formatted.text, name).diagnostics, `formatted text parses: ${where}`).toEqual([]);
        }

        for (const target of ["ts", "onnx"] as const) {
          const result = await compileModel({ host, path: name, text: source, target });
          for (const d of result.check.diagnostics) {
            expect(Object.hasOwn(CATALOGUE, d.code), `${d.code}: ${where}`).toBe(true);
            expect(d.span.start >= 0 && d.span.end >= d.span.start && d.span.end <= source.length, `span of ${d.code}: ${where}`).toBe(true);
            expect(d.message.startsWith("internal"), `${d.message}: ${where}`).toBe(false);
          }
          for (const error of result.errors) expect(error, where).not.toMatch(/internal error/i);
          if (result.ok) {
            expect(result.files.length, where).toBeGreaterThan(0);
            compiled++;
          }
        }
      }
      // The mutations must leave some programs valid, or the emitters would go untested.
      expect(compiled).toBeGreaterThan(0);
    }, 120_000);
  }
});
