/**
 * The PyTorch target against nnc on ResNet-50, DenseNet-121 and RegNetX-400MF: the largest
 * examples, compared apart from parity-examples.test.ts so that each file's one PyTorch run
 * stays well inside its time limit. How they are compared is parity-harness.ts's comment.
 */
import { readFileSync } from "node:fs";
import { it } from "vitest";
import { describeParity, ZOO_APART, type ParityCase } from "./parity-harness.js";
import { SKIP_TORCH, warnSkipped } from "./python.js";

const ZOO_CASES: readonly ParityCase[] = ZOO_APART.map((name) => ({
  name,
  path: `examples/${name}.nn`,
  text: readFileSync(`examples/${name}.nn`, "utf8"),
}));

describeParity(ZOO_CASES);

it.runIf(SKIP_TORCH)("is skipped without PyTorch", () => warnSkipped("parity with PyTorch (test/torch/parity-zoo.test.ts)"));
