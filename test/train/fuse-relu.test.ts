/**
 * A training step fuses each relu into the batch norm or residual sum before it
 * (`compiler/train/fuse-relu.ts`) when nothing else reads the value before the relu, and keeps
 * it otherwise; the fused step computes what the unfused one does, bit for bit.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { fuseTrainingRelu } from "../../compiler/train/fuse-relu.js";
import { trainingGraph } from "../../compiler/train/training-graph.js";
import { initialWeights } from "../../compiler/weights/init.js";
import type { Tensor } from "../../runtime/index.js";

const SOURCE = `model Fuse(x: [N, 4, 8, 8]) {
  a = x -> conv(8, 3, pad: 1) -> batch -> relu
  b = a -> conv(8, 3, pad: 1) -> batch
  c = (b + a) -> relu
  d = x -> conv(8, 1) -> batch
  e = d -> relu
  return (c + e + d) -> global_avgpool -> flatten -> dense(3)
}
`;

function lowered(): { model: CheckedModel; forward: Graph } {
  const model = checkSource("fuse.nn", SOURCE, { readFile: () => SOURCE }).models[0] as CheckedModel;
  return { model, forward: lowerModel(model) };
}

describe("relu fused into a training step's batch norm and residual sum", () => {
  const { model, forward } = lowered();
  const step = trainingGraph(forward);

  it("fuses where only the relu reads the value, and not where another layer does", () => {
    const ops = (g: Graph) => g.nodes.map((n) => `${n.op}${n.attrs.activation === undefined ? "" : `+${String(n.attrs.activation)}`}`);
    const forwardOps = ops(step.graph).slice(0, ops(step.graph).indexOf("TrainingLoss"));
    // a's batch norm and c's sum fuse; d's batch norm feeds e's relu and the last sum, so e stays.
    expect(forwardOps.filter((op) => op.startsWith("BatchNormalization") || op.startsWith("Add") || op === "Relu")).toEqual([
      "BatchNormalization+Relu",
      "BatchNormalization",
      "Add+Relu",
      "BatchNormalization",
      "Relu",
      "Add",
      "Add",
    ]);
    // Each relu gradient reads the output the fused node now writes.
    for (const grad of step.graph.nodes.filter((n) => n.op === "ReluGrad")) expect(step.graph.producer(grad.inputs[1])).toBeDefined();
    expect(step.graph.nodes.filter((n) => n.op === "ReluGrad")).toHaveLength(3);
    // Nothing left to fuse.
    expect(fuseTrainingRelu(step.graph)).toBe(step.graph);
  });

  it("computes the unfused step's loss, gradients and running statistics bit for bit, in WebAssembly and in TypeScript", () => {
    const weights = initialWeights(model, 3);
    const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: [...p.shape], data: weights.get(p.name)! }]));
    const n = 4;
    // 4 images: 2,048 floats a layer, below the WebAssembly kernels' threshold (the TypeScript loops);
    // 32 images: 16,384, on the WebAssembly kernels.
    for (const batch of [n, 8 * n]) {
      const x: Tensor = { shape: [batch, 4, 8, 8], data: Float32Array.from({ length: batch * 256 }, (_, i) => Math.sin(i * 0.37) * 2) };
      const target: Tensor = { shape: [batch], data: Float32Array.from({ length: batch }, (_, i) => i % 3) };
      const unfused = unfuse(step.graph);
      expect(unfused.nodes.filter((node) => node.op === "Relu")).toHaveLength(3);
      const run = (g: Graph) => {
        const { outputs, updated } = executeGraph(g, params, [x, target], { training: true });
        return [...outputs, ...updated.values()].map((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));
      };
      expect(run(step.graph)).toEqual(run(unfused));
    }
  });
});

/** `graph` with every fused relu back as a node of its own after its producer. */
function unfuse(graph: Graph): Graph {
  const values = new Map(graph.values);
  const nodes = graph.nodes.flatMap((node) => {
    if (node.attrs.activation !== "Relu") return [node];
    const inner = `${node.outputs[0]}.unfused`;
    values.set(inner, { ...graph.value(node.outputs[0]), name: inner });
    const { activation: _, ...attrs } = node.attrs;
    return [
      { ...node, attrs, outputs: [inner, ...node.outputs.slice(1)] },
      { name: `${node.name}.relu`, op: "Relu", inputs: [inner], outputs: [node.outputs[0]], attrs: {}, origins: node.origins, notes: [] },
    ];
  });
  return graph.with({ nodes, values });
}
