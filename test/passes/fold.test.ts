import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import type { Graph, IrNode, IrValue } from "../../compiler/ir/graph.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { verify } from "../../compiler/ir/verify.js";
import { makeGraph } from "../../compiler/passes/rewrite.js";
import { INFERENCE_PASSES, runPipeline } from "../../compiler/passes/pipeline.js";

const origin = { file: "t.nn", span: { start: 0, end: 0 } };

function node(name: string, op: string, inputs: string[], attrs: IrNode["attrs"] = {}): IrNode {
  return { name, op, inputs, outputs: [name], attrs, origins: [origin], notes: [] };
}

function param(name: string, shape: number[], buffer = false): IrValue {
  return { name, shape, kind: "param", buffer };
}

function act(name: string, shape: (number | string)[]): IrValue {
  return { name, shape, kind: "node" };
}

/** Parameters of a conv `name` (8 -> 8 channels, 3x3) and a batch norm `bn`. */
function convAndBatchParams(conv: string, bn: string): IrValue[] {
  return [
    param(`${conv}.weight`, [8, 8, 3, 3]),
    param(`${bn}.weight`, [8]),
    param(`${bn}.bias`, [8]),
    param(`${bn}.running_mean`, [8], true),
    param(`${bn}.running_var`, [8], true),
  ];
}

function conv(name: string, input: string): IrNode {
  return node(name, "Conv", [input, `${name}.weight`], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
}

function batch(name: string, input: string): IrNode {
  return node(name, "BatchNormalization", [input, `${name}.weight`, `${name}.bias`, `${name}.running_mean`, `${name}.running_var`], { epsilon: 1e-5 });
}

const X: IrValue = { name: "x", shape: ["N", 8, 6, 6], kind: "input" };
const S = ["N", 8, 6, 6];

function pipelineOf(nodes: IrNode[], extra: IrValue[], outputs: string[]) {
  const values = [X, ...extra, ...nodes.map((n) => act(n.outputs[0], S))];
  const graph = makeGraph("T", ["x"], outputs, values, nodes);
  expect(verify(graph)).toEqual([]);
  const { graph: after, steps } = runPipeline(graph, INFERENCE_PASSES);
  for (const step of steps) expect(verify(step.graph), `after ${step.pass}`).toEqual([]);
  expectSameOutputs(graph, after);
  return after;
}

/** A deterministic pseudo-random tensor; variances (`*_var`) stay positive. */
function randomTensor(name: string, shape: readonly number[]) {
  let seed = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
  const next = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (name.endsWith("_var") ? 0.5 + next() : next() * 2 - 1));
  return { shape: [...shape], data };
}

/** Runs both graphs through the executor on the same random parameters and input (batch 2). */
function expectSameOutputs(before: Graph, after: Graph): void {
  const params = new Map([...before.values.values()].filter((v) => v.kind === "param").map((v) => [v.name, randomTensor(v.name, v.shape as number[])]));
  const inputs = before.inputs.map((name) => randomTensor(name, before.value(name).shape.map((d) => (typeof d === "number" ? d : 2))));
  const want = executeGraph(before, params, inputs).outputs;
  const got = executeGraph(after, params, inputs).outputs;
  want.forEach((w, i) => {
    const scale = Math.max(...w.data.map(Math.abs));
    const error = Math.max(...w.data.map((v, j) => Math.abs(v - got[i].data[j])));
    expect(error / scale).toBeLessThan(1e-5);
  });
}

const folded = (g: ReturnType<typeof pipelineOf>) => g.nodes.filter((n) => n.notes.some((t) => t.includes(": folded "))).length;
const refusals = (g: ReturnType<typeof pipelineOf>) => g.nodes.flatMap((n) => n.notes.filter((t) => t.includes("not folded")));

describe("fold-affine-into-conv", () => {
  it("folds a batch norm into the conv before it and leaves no normalization behind", () => {
    const g = pipelineOf([conv("c0", "x"), batch("b0", "c0"), node("r0", "Relu", ["b0"])], convAndBatchParams("c0", "b0"), ["r0"]);
    expect(folded(g)).toBe(1);
    const live = g.nodes.filter((n) => !g.isConstantNode(n));
    expect(live.map((n) => n.op)).toEqual(["Conv"]);
    expect(live[0].attrs.activation).toBe("Relu");
    expect(g.outputs).toEqual(["r0"]);
  });

  it("writes the fold once: one FoldAffine node, reading the normalization's parameters and statistics", () => {
    const g = pipelineOf([conv("c0", "x"), batch("b0", "c0")], convAndBatchParams("c0", "b0"), ["b0"]);
    const constant = g.nodes.filter((n) => g.isConstantNode(n));
    expect(constant.map((n) => [n.op, n.inputs, n.outputs, n.attrs])).toEqual([
      ["FoldAffine", ["c0.weight", "", "b0.weight", "b0.bias", "b0.running_mean", "b0.running_var"], ["c0.folded_weight", "c0.folded_bias"], { epsilon: 1e-5 }],
    ]);
    expect(g.nodes.find((n) => n.op === "Conv")!.inputs).toEqual(["x", "c0.folded_weight", "c0.folded_bias"]);
  });

  it("folds an affine of plain constants, which no normalization computes", () => {
    const shape = [1, 8, 1, 1];
    const nodes = [conv("c0", "x"), node("m0", "Mul", ["c0", "s"]), node("a0", "Add", ["m0", "t"])];
    const g = pipelineOf(nodes, [param("c0.weight", [8, 8, 3, 3]), param("s", shape), param("t", shape)], ["a0"]);
    expect(folded(g)).toBe(1);
    const fold = g.nodes.find((n) => n.op === "FoldAffine")!;
    expect([fold.inputs, fold.attrs]).toEqual([["c0.weight", "", "s", "t", "", ""], {}]);
    expect(g.nodes.filter((n) => !g.isConstantNode(n)).map((n) => n.op)).toEqual(["Conv"]);
  });

  it("refuses when the conv output has a second reader", () => {
    const nodes = [conv("c0", "x"), batch("b0", "c0"), node("a0", "Add", ["b0", "c0"])];
    const g = pipelineOf(nodes, convAndBatchParams("c0", "b0"), ["a0"]);
    expect(folded(g)).toBe(0);
    expect(refusals(g)).toEqual(["normalization-to-affine: not folded: the output of c0 has 2 readers and one needs it unscaled; kept as one per-channel affine"]);
  });

  it("refuses a batch norm after an add", () => {
    const nodes = [conv("c0", "x"), node("a0", "Add", ["c0", "x"]), batch("b0", "a0")];
    const g = pipelineOf(nodes, convAndBatchParams("c0", "b0"), ["b0"]);
    expect(folded(g)).toBe(0);
    expect(refusals(g)).toEqual(["normalization-to-affine: not folded: it follows Add a0, not a Conv or Gemm; kept as one per-channel affine"]);
  });

  it("refuses a batch norm before the conv", () => {
    const nodes = [batch("b0", "x"), conv("c0", "b0")];
    const g = pipelineOf(nodes, convAndBatchParams("c0", "b0"), ["c0"]);
    expect(folded(g)).toBe(0);
    expect(refusals(g)).toEqual(["normalization-to-affine: not folded: it follows the input x, not a Conv or Gemm; kept as one per-channel affine"]);
  });
});

describe("folding in the examples", () => {
  const host = { readFile: (path: string) => readFileSync(path, "utf8") };
  // Every batch norm of these examples follows a conv or dense layer that nothing else reads.
  const FOLDS: Record<string, number> = {
    efficientnet_b0: 49,
    googlenet: 57,
    inception: 11,
    lenet: 0,
    mlp: 3,
    mobilenet_v2: 52,
    mobilenet_v3_small: 34,
    nfnet: 0,
    norm_zoo: 2,
    regnetx_400mf: 71,
    resnet18: 20,
    resnet20: 21,
    resnet50: 53,
    shufflenet_v2: 56,
    vgg: 6,
  };

  it.each(Object.entries(FOLDS))("%s.nn folds %i normalizations and refuses none", (name, count) => {
    const path = `examples/${name}.nn`;
    const graph = lowerModel(checkSource(path, readFileSync(path, "utf8"), host).models[0]);
    const { graph: after, steps } = runPipeline(graph, INFERENCE_PASSES);
    for (const step of steps) expect(verify(step.graph), `after ${step.pass}`).toEqual([]);
    expect(folded(after)).toBe(count);
    expect(refusals(after)).toEqual([]);
    expect(after.nodes.filter((n) => n.op === "BatchNormalization" || n.op === "BatchRenormalization")).toEqual([]);
  });

  it("test/cases/compile/refusals.nn refuses three folds and still computes the same", () => {
    const path = "test/cases/compile/refusals.nn";
    const graph = lowerModel(checkSource(path, readFileSync(path, "utf8"), host).models[0]);
    const after = runPipeline(graph, INFERENCE_PASSES).graph;
    expect(folded(after)).toBe(0);
    expect(refusals(after)).toEqual([
      "normalization-to-affine: not folded: it follows the input x, not a Conv or Gemm; kept as one per-channel affine",
      "normalization-to-affine: not folded: it follows Add add0, not a Conv or Gemm; kept as one per-channel affine",
      "normalization-to-affine: not folded: the output of conv1 has 2 readers and one needs it unscaled; kept as one per-channel affine",
    ]);
    // Each stays one normalization node, which the plan runs as one per-channel affine kernel.
    expect(after.nodes.filter((n) => n.op === "BatchNormalization").length).toBe(3);
    expect(after.nodes.filter((n) => n.op === "NormalizationAffine" || n.op === "Mul")).toEqual([]);
    expectSameOutputs(graph, after);
  });
});
