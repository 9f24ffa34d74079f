/**
 * The formatter's golden cases: `test/cases/format/<name>.input.nn` formats to
 * `<name>.expected.nn`. With `UPDATE_BASELINES=1` (the variable every golden test of the project
 * reads) the expected file is rewritten instead of compared, so that an intended change of
 * layout is one command and a reviewed diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { format } from "../../compiler/format/format.js";
import { UPDATING } from "../support/baseline.js";

/** The directory of the golden cases. */
export const CASES_DIR = join(import.meta.dirname, "..", "cases", "format");

/** The names of the cases in `dir` (each `<name>.input.nn`), sorted. */
export function caseNames(dir: string = CASES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".input.nn"))
    .map((f) => f.slice(0, -".input.nn".length))
    .sort();
}

/**
 * Formats case `name` of `dir` and compares the result with its expected file, or writes the
 * expected file when `update` is set. Returns the input and the formatted text.
 */
export function checkGolden(name: string, dir: string = CASES_DIR, update: boolean = UPDATING): { input: string; output: string } {
  const inputPath = join(dir, `${name}.input.nn`);
  const expectedPath = join(dir, `${name}.expected.nn`);
  const input = readFileSync(inputPath, "utf8");
  const output = format(input, inputPath).text;
  if (update) writeFileSync(expectedPath, output);
  else if (!existsSync(expectedPath)) {
    throw new Error(`missing golden ${expectedPath}; run the tests with UPDATE_BASELINES=1 to create it`);
  } else expect(output).toBe(readFileSync(expectedPath, "utf8"));
  return { input, output };
}
