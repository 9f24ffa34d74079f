/**
 * Every example of `examples/`, compiled to ONNX fused and unfused, runs in onnxruntime-node with
 * - the outputs of the PyTorch twin (`test/fixtures/e2e/<example>.json`, synthetic weights and
 *   input), within 1e-4 of the output scale;
 * - the outputs of the IR executor (the TypeScript runtime) at batch 1 and batch 3, through the
 *   same file. ResNet-18, ResNet-50 and DenseNet-121 at 224×224 are too slow for the executor,
 *   so they run at batch 3 with the fixture's input in every sample and each sample is compared
 *   with PyTorch instead.
 * `norm_zoo` (every normalizer) and `nfnet` (gelu, scaled WS) also run at every opset.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SUPPORTED_OPSETS } from "../../compiler/emit/onnx/emit-onnx.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import type { Graph } from "../../compiler/ir/graph.js";
import type { Tensor } from "../../runtime/index.js";
import { syntheticInput, syntheticWeights } from "../support/synthetic.js";
import { checkFile, compile, inputShapes, paramTensors, randomInput, relativeError, runOrt } from "./support.js";

interface E2eFixture {
  inputs: { shape: number[] }[];
  eval: { outputs: { shape: number[]; data: number[] }[]; scale: number };
}

const EXAMPLES = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .map((f) => f.slice(0, -3))
  .sort();

const ALL_OPSETS = new Set(["norm_zoo", "nfnet"]);
const EXECUTOR_TOO_SLOW = new Set(["densenet121", "resnet18", "resnet50"]);

function fixture(example: string): E2eFixture {
  return JSON.parse(readFileSync(`test/fixtures/e2e/${example}.json`, "utf8")) as E2eFixture;
}

/** `t` with its batch repeated `times` times. */
function repeatBatch(t: Tensor, times: number): Tensor {
  const data = new Float32Array(t.data.length * times);
  for (let k = 0; k < times; k++) data.set(t.data, k * t.data.length);
  return { shape: [t.shape[0] * times, ...t.shape.slice(1)], data };
}

async function checkAgainstPytorch(example: string, bytes: Uint8Array, graph: Graph, repeat: number): Promise<void> {
  const want = fixture(example);
  const inputs = want.inputs.map((input, k) => repeatBatch({ shape: input.shape, data: syntheticInput(k, input.shape) }, repeat));
  const got = await runOrt(bytes, graph, inputs);
  want.eval.outputs.forEach((output, i) => {
    const expected = repeatBatch({ shape: output.shape, data: Float32Array.from(output.data) }, repeat);
    let worst = 0;
    for (let j = 0; j < expected.data.length; j++) worst = Math.max(worst, Math.abs(got[i].data[j] - expected.data[j]));
    expect(got[i].shape).toEqual(expected.shape);
    expect(worst / want.eval.scale, `${example} output ${i} vs PyTorch`).toBeLessThan(1e-4);
  });
}

describe("examples in onnxruntime", () => {
  for (const example of EXAMPLES) {
    const opsets = ALL_OPSETS.has(example) ? SUPPORTED_OPSETS : [17];
    for (const fuse of [true, false]) {
      it(`${example} ${fuse ? "fused" : "unfused"}`, async () => {
        const checked = checkFile(`examples/${example}.nn`);
        const params = paramTensors(checked.model, syntheticWeights(checked.model.params));
        for (const opset of opsets) {
          const { graph, bytes } = compile(checked, params, fuse, opset);
          if (EXECUTOR_TOO_SLOW.has(example)) {
            await checkAgainstPytorch(example, bytes, graph, 3);
            continue;
          }
          await checkAgainstPytorch(example, bytes, graph, 1);
          for (const batch of [1, 3]) {
            const inputs = inputShapes(graph, batch).map((shape, i) => randomInput(shape, batch + i));
            const want = executeGraph(graph, params, inputs).outputs;
            const got = await runOrt(bytes, graph, inputs);
            want.forEach((w, i) => expect(relativeError(got[i], w), `opset ${opset} batch ${batch}`).toBeLessThan(1e-4));
          }
        }
      });
    }
  }
});
