/**
 * Arithmetic on tensors through the inference passes and the plan: a broadcasting add after a
 * conv is not fused into the conv as a residual (which needs the conv's own shape), on either
 * side of the add, and an affine by numbers after a conv (`y * 0.5 + 1`) is not folded into it
 * (the fold takes one scale and shift per channel). Each model runs on the plan's WebAssembly
 * and TypeScript paths and must agree with the IR executor.
 */
import { afterAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { evaluateConstants, executeGraph } from "../../compiler/ir/execute.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { planSteps } from "../../compiler/ir/plan-steps.js";
import { INFERENCE_PASSES, runPipeline } from "../../compiler/passes/pipeline.js";
import type { Tensor } from "../../runtime/index.js";
import { compilePlan, type Plan } from "../../runtime/fast/index.js";
import { syntheticInput, syntheticWeights } from "../support/synthetic.js";
import { irFallback } from "./plan-support.js";

const plans: Plan[] = [];
afterAll(() => plans.forEach((p) => p.close()));

/** The model `body` on `[2, 8, 8, 8]`: its fused graph, the plan's kernels and outputs on both paths, and the executor's. */
function run(body: string) {
  const result = checkSource("m.nn", `model M(x: [N, 8, 8, 8]) {\n${body}\n}\n`, { readFile: () => undefined });
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  const model = result.models[0] as CheckedModel;
  const synthetic = syntheticWeights(model.params);
  const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: p.shape as number[], data: synthetic.get(p.name)! }]));
  const graph = runPipeline(lowerModel(model), INFERENCE_PASSES).graph;
  const literals = [...graph.values.values()].flatMap((v) => (v.kind === "const" ? [[v.name, { shape: v.shape as number[], data: v.data! }] as const] : []));
  const weights = new Map<string, Tensor>([...params, ...literals, ...evaluateConstants(graph, params)]);
  const inputs = [{ shape: [2, 8, 8, 8], data: syntheticInput(0, [2, 8, 8, 8]) }];
  const expected = executeGraph(graph, params, inputs).outputs[0];
  const paths = [true, false].map((wasm) => {
    const plan = compilePlan({ inputs: [{ name: graph.inputs[0], shape: inputs[0].shape }], outputs: graph.outputs, steps: planSteps(graph) }, weights, { fallback: irFallback, wasm });
    plans.push(plan);
    return { kernels: plan.kernels, output: plan.run(inputs)[0] };
  });
  return { graph, paths, expected };
}

function expectAgrees(output: Tensor, expected: Tensor): void {
  expect(output.shape).toEqual(expected.shape);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < expected.data.length; i++) {
    worst = Math.max(worst, Math.abs(output.data[i] - expected.data[i]));
    scale = Math.max(scale, Math.abs(expected.data[i]));
  }
  expect(worst / scale).toBeLessThan(1e-5);
}

describe("broadcasting arithmetic on the plan", () => {
  it.each([
    ["the conv's output is the larger operand", "  y = x -> conv(8, 3, pad: 1)\n  g = x -> global_avgpool -> conv(8, 1)\n  return y + g"],
    ["the conv's output is the stretched operand", "  y = x -> conv(8, 3, pad: 1)\n  g = y -> global_avgpool -> conv(8, 1)\n  return (y + g) -> relu"],
    ["the later conv writes the stretched operand", "  g = x -> global_avgpool\n  y = x -> conv(8, 3, pad: 1)\n  return (g + y) -> relu"],
  ])("runs an add whose %s as its own step, not as a conv's residual", (_, body) => {
    const { paths, expected } = run(body);
    for (const { kernels, output } of paths) {
      expect(kernels["conv+residual"]).toBeUndefined();
      expectAgrees(output, expected);
    }
  });

  it("still fuses a residual add of equal shapes", () => {
    const { paths, expected } = run("  y = x -> conv(8, 3, pad: 1)\n  return (x + y) -> relu");
    expect(paths[0].kernels["conv+residual"]).toBe(1);
    for (const { output } of paths) expectAgrees(output, expected);
  });

  it("leaves an affine by numbers after a conv unfolded, and runs it", () => {
    for (const body of ["  return (x -> conv(8, 3, pad: 1)) * 0.5 + 1", "  return (x -> conv(8, 3, pad: 1) -> scale(init: 0.5)) + 1"]) {
      const { graph, paths, expected } = run(body);
      expect(graph.nodes.map((n) => n.op).filter((op) => op !== "Reshape")).toEqual(["Conv", "Mul", "Add"]);
      for (const { output } of paths) expectAgrees(output, expected);
    }
  });
});
