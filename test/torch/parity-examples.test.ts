/**
 * The PyTorch target against nnc on every example of examples/ but the largest (`ZOO_APART`,
 * parity-zoo.test.ts); how they are compared is parity-harness.ts's comment.
 */
import { readdirSync, readFileSync } from "node:fs";
import { it } from "vitest";
import { describeParity, ZOO_APART, type ParityCase } from "./parity-harness.js";
import { SKIP_TORCH, warnSkipped } from "./python.js";

const EXAMPLE_CASES: readonly ParityCase[] = readdirSync("examples")
  .filter((f) => f.endsWith(".nn") && !ZOO_APART.includes(f.slice(0, -3)))
  .sort()
  .map((f) => ({ name: f.replace(/\.nn$/, ""), path: `examples/${f}`, text: readFileSync(`examples/${f}`, "utf8") }));


describeParity(EXAMPLE_CASES);

it.runIf(SKIP_TORCH)("is skipped without PyTorch", () => warnSkipped("parity with PyTorch (test/torch/parity-examples.test.ts)"));
