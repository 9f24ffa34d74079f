/**
 * The forms the fold must handle, each from `.nn` source through lowering and the inference
 * pipeline, with a numeric check against the unfolded graph (synthetic weights: γ, β and the
 * running statistics far from their initial values): a conv with and without bias, grouped and
 * depthwise convs, a dense layer, batch renormalization, and weight standardization (both
 * forms), which becomes constant weights computed at load.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { verify } from "../../compiler/ir/verify.js";
import { INFERENCE_PASSES, runPipeline } from "../../compiler/passes/pipeline.js";
import type { Tensor } from "../../runtime/index.js";
import { diskHost } from "../support/disk.js";
import { syntheticInput, syntheticWeights } from "../support/synthetic.js";

function compile(body: string, input = "[N, 8, 6, 6]") {
  const text = `model T(x: ${input}) {\n  return x -> ${body}\n}\n`;
  const result = checkSource("t.nn", text, diskHost);
  expect(result.diagnostics.map((d) => d.message)).toEqual([]);
  const model = result.models[0];
  const weights = syntheticWeights(model.params);
  const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: p.shape as number[], data: weights.get(p.name)! }]));
  const shape = model.values[model.inputs[0].value].shape.map((d) => (typeof d === "number" ? d : 3));
  const inputs = [{ shape, data: syntheticInput(0, shape) }];
  const before = lowerModel(model);
  const { graph: after, steps } = runPipeline(before, INFERENCE_PASSES);
  for (const step of steps) expect(verify(step.graph), `after ${step.pass}`).toEqual([]);
  return { before, after, params, inputs };
}

/** Notes of folds that fired, and ops that still run per forward (not constant). */
function summary(g: Graph) {
  return {
    folds: g.nodes.flatMap((n) => n.notes).filter((t) => t.includes(": folded ")).length,
    live: g.nodes.filter((n) => !g.isConstantNode(n)).map((n) => n.op),
  };
}

function expectSame({ before, after, params, inputs }: ReturnType<typeof compile>): void {
  const want = executeGraph(before, params, inputs).outputs[0];
  const got = executeGraph(after, params, inputs).outputs[0];
  const scale = Math.max(...want.data.map(Math.abs));
  const error = Math.max(...want.data.map((v, i) => Math.abs(v - got.data[i])));
  expect(scale).toBeGreaterThan(0);
  expect(error / scale).toBeLessThan(1e-5);
}

describe("folds a normalization into the layer before it", () => {
  it.each([
    ["a conv with a bias", "conv(8, 3, pad: 1) -> batch -> relu"],
    ["a conv without a bias", "conv(8, 3, pad: 1, bias: false) -> batch -> relu"],
    ["a grouped conv", "conv(8, 3, pad: 1, groups: 4) -> batch -> relu"],
    ["a depthwise conv", "conv(8, 3, pad: 1, groups: 8, bias: false) -> batch -> relu"],
    ["batch renormalization (inference form)", "conv(8, 1) -> batch_renorm -> relu"],
  ])("%s", (_, body) => {
    const compiled = compile(body);
    expect(summary(compiled.after)).toEqual({ folds: 1, live: ["Conv"] });
    expectSame(compiled);
  });

  it("a dense layer", () => {
    const compiled = compile("dense(5) -> batch -> relu", "[N, 7]");
    expect(summary(compiled.after)).toEqual({ folds: 1, live: ["Gemm"] });
    expectSame(compiled);
  });
});

describe("leaves a normalization with per-sample statistics alone", () => {
  it("channel_norm after a conv: its statistics come from each input, so no constant affine exists", () => {
    const compiled = compile("conv(8, 3, pad: 1) -> channel_norm -> relu");
    expect(summary(compiled.after)).toEqual({ folds: 0, live: ["Conv", "ChannelNormalization", "Relu"] });
    expectSame(compiled);
  });
});

describe("weight standardization becomes constant weights", () => {
  it.each([
    ["standard", "conv(8, 3, pad: 1, ws: \"standard\") -> group(groups: 4)", ["Conv", "GroupNormalization"]],
    ["scaled (with its gain)", "conv(8, 3, pad: 1, ws: \"scaled\") -> relu", ["Conv"]],
    ["standard, on a dense layer", "flatten -> dense(4, ws: \"standard\")", ["Flatten", "Gemm"]],
  ])("%s", (_, body, live) => {
    const compiled = compile(body as string);
    const standardizations = compiled.after.nodes.filter((n) => n.op.endsWith("WeightStandardization"));
    expect(standardizations.length).toBe(1);
    expect(compiled.after.isConstantNode(standardizations[0])).toBe(true);
    expect(summary(compiled.after).live).toEqual(live);
    expectSame(compiled);
  });
});
