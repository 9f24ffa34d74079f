/**
 * Every operator and normalizer of the layer reference (docs/operators.md) as a tiny model (`operator-models.ts`), compiled to
 * ONNX fused and unfused at every opset nnc targets, runs in onnxruntime-node (graph
 * optimizations off and on) with the same outputs as the IR executor, at batch 1 and batch 3
 * through the same file. Weights are the synthetic ones of the end-to-end fixtures, whose running
 * statistics, τ and mixing logits are far from their initial values.
 */
import { describe, expect, it } from "vitest";
import { SUPPORTED_OPSETS } from "../../compiler/emit/onnx/emit-onnx.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import { syntheticWeights } from "../support/synthetic.js";
import { OPERATOR_MODELS } from "./operator-models.js";
import { checkText, compile, inputShapes, paramTensors, randomInput, relativeError, runOrt } from "./support.js";

describe("ONNX operators in onnxruntime", () => {
  for (const { name, text } of OPERATOR_MODELS) {
    it(name, async () => {
      const checked = checkText(`${name}.nn`, text);
      const params = paramTensors(checked.model, syntheticWeights(checked.model.params));
      for (const fuse of [true, false]) {
        for (const opset of SUPPORTED_OPSETS) {
          const { graph, bytes } = compile(checked, params, fuse, opset);
          for (const batch of [1, 3]) {
            const inputs = inputShapes(graph, batch).map((shape, i) => randomInput(shape, batch * 10 + i));
            const want = executeGraph(graph, params, inputs).outputs;
            for (const optimize of [false, true]) {
              const got = await runOrt(bytes, graph, inputs, optimize);
              const where = `${fuse ? "fused" : "unfused"} opset ${opset} batch ${batch} optimize ${optimize}`;
              want.forEach((w, i) => expect(relativeError(got[i], w), where).toBeLessThan(1e-4));
            }
          }
        }
      }
    });
  }
});
