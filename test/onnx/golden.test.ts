/**
 * The text dump (`text-dump.ts`) of emitted models as golden files in `test/baselines/onnx/`:
 * the normalization zoo fused at opset 17 (every decomposition below opset 21) and at 21
 * (native GroupNormalization), and unfused (BatchNormalization kept). `UPDATE_BASELINES=1`
 * rewrites them.
 */
import { describe, it } from "vitest";
import { dumpOnnx } from "../../compiler/emit/onnx/text-dump.js";
import { expectBaseline } from "../support/baseline.js";
import { syntheticWeights } from "../support/synthetic.js";
import { checkFile, compile, paramTensors } from "./support.js";

const CASES = [
  { name: "norm_zoo.fused.opset17", fuse: true, opset: 17 },
  { name: "norm_zoo.fused.opset21", fuse: true, opset: 21 },
  { name: "norm_zoo.unfused.opset17", fuse: false, opset: 17 },
];

describe("ONNX text dump", () => {
  const zoo = checkFile("examples/norm_zoo.nn");
  const params = paramTensors(zoo.model, syntheticWeights(zoo.model.params));
  for (const { name, fuse, opset } of CASES) {
    it(name, () => {
      expectBaseline(`test/baselines/onnx/${name}.txt`, dumpOnnx(compile(zoo, params, fuse, opset).bytes));
    });
  }
});
