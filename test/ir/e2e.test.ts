/**
 * Every example through lowering, the inference pipeline (fused and `--no-fuse`) and the IR
 * executor, against the PyTorch end-to-end fixtures (`scripts/torch_e2e.py`): outputs within
 * 1e-4 of the output scale; in training mode the outputs and every updated running statistic
 * (within 1e-4 of max(1, |statistic|)). Fused and unfused outputs agree with each other too.
 */
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { verify } from "../../compiler/ir/verify.js";
import { INFERENCE_PASSES, UNFUSED_PASSES, runPipeline } from "../../compiler/passes/pipeline.js";
import type { Tensor } from "../../runtime/index.js";
import { syntheticInput, syntheticWeights } from "../support/synthetic.js";

interface Record {
  outputs: { shape: number[]; data: number[] }[];
  scale: number;
  dropout?: "none" | "keep_all";
  running?: { [name: string]: number[] };
}

interface Fixture {
  inputs: { shape: number[] }[];
  eval: Record;
  train: Record | null;
}

const host = { readFile: (p: string) => readFileSync(p, "utf8") };
const EXAMPLES = readdirSync("test/fixtures/e2e").filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();

function setup(name: string) {
  const model = checkSource(`examples/${name}.nn`, readFileSync(`examples/${name}.nn`, "utf8"), host).models[0] as CheckedModel;
  const fixture = JSON.parse(readFileSync(`test/fixtures/e2e/${name}.json`, "utf8")) as Fixture;
  const weights = syntheticWeights(model.params);
  const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: p.shape as number[], data: weights.get(p.name)! }]));
  const inputs = fixture.inputs.map((input, k) => ({ shape: input.shape, data: syntheticInput(k, input.shape) }));
  return { model, fixture, params, inputs, graph: lowerModel(model) };
}

/** The largest deviation from the expected outputs, relative to the record's scale. */
function deviation(actual: readonly Tensor[], expected: Record): number {
  expect(actual.map((t) => t.shape)).toEqual(expected.outputs.map((o) => o.shape));
  let worst = 0;
  expected.outputs.forEach((o, k) => o.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(actual[k].data[i] - v)))));
  return worst / expected.scale;
}

describe.each(EXAMPLES.filter((name) => name !== "resnet18"))("examples/%s.nn through the IR", (name) => {
  const { fixture, params, inputs, graph } = setup(name);

  it("lowers to a well-formed graph that matches PyTorch, fused and unfused", () => {
    expect(verify(graph)).toEqual([]);
    const fused = runPipeline(graph, INFERENCE_PASSES).graph;
    const unfused = runPipeline(graph, UNFUSED_PASSES).graph;
    expect(verify(fused)).toEqual([]);
    expect(verify(unfused)).toEqual([]);
    const a = executeGraph(fused, params, inputs).outputs;
    const b = executeGraph(unfused, params, inputs).outputs;
    expect(deviation(a, fixture.eval)).toBeLessThan(1e-4);
    expect(deviation(b, fixture.eval)).toBeLessThan(1e-4);
    expect(deviation(a, { outputs: b.map((t) => ({ shape: t.shape, data: [...t.data] })), scale: fixture.eval.scale })).toBeLessThan(1e-5);
  });

  // efficientnet_b0 has no train record: torchvision's stochastic depth is random in training.
  it.runIf(fixture.train !== null)("matches PyTorch after one training forward: outputs and running statistics", () => {
    const record = fixture.train!;
    // `keep_all`: the fixture's dropout kept every element (scaled by 1/(1-p)).
    const random = () => 0.999999;
    const { outputs, updated: running } = executeGraph(graph, params, inputs, { training: true, random });
    expect(deviation(outputs, record)).toBeLessThan(1e-4);
    const expected = Object.entries(record.running ?? {});
    expect([...running.keys()].sort()).toEqual(expected.map(([n]) => n).sort());
    for (const [stat, values] of expected) {
      const got = running.get(stat)!.data;
      const tolerance = 1e-4 * Math.max(1, ...values.map(Math.abs));
      values.forEach((v, i) => expect(Math.abs(got[i] - v), `${stat}[${i}]`).toBeLessThan(tolerance));
    }
  });
});

describe("examples/resnet18.nn through the IR (224×224: fused inference and one training forward)", () => {
  const { fixture, params, inputs, graph } = setup("resnet18");

  it("matches PyTorch fused", () => {
    const fused = runPipeline(graph, INFERENCE_PASSES).graph;
    expect(deviation(executeGraph(fused, params, inputs).outputs, fixture.eval)).toBeLessThan(1e-4);
  });

  it("matches PyTorch in training, running statistics included", () => {
    const { outputs, updated: running } = executeGraph(graph, params, inputs, { training: true });
    expect(deviation(outputs, fixture.train!)).toBeLessThan(1e-4);
    for (const [stat, values] of Object.entries(fixture.train!.running ?? {})) {
      const got = running.get(stat)!.data;
      const worst = values.reduce((m, v, i) => Math.max(m, Math.abs(got[i] - v)), 0);
      expect(worst, stat).toBeLessThan(1e-4 * Math.max(1, ...values.map(Math.abs)));
    }
  });
});
