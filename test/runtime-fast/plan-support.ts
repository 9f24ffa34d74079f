/**
 * Helpers for the plan executor's tests: an example's fused inference graph as a `PlanGraph`
 * with its weights (folded constants included), and the fallback that runs any other IR node
 * through the same `kernelCall` table as the IR executor.
 */
import { readFileSync } from "node:fs";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { evaluateConstants, executeGraph } from "../../compiler/ir/execute.js";
import { kernelCall } from "../../compiler/ir/kernels.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { planSteps } from "../../compiler/ir/plan-steps.js";
import { INFERENCE_PASSES, UNFUSED_PASSES, runPipeline } from "../../compiler/passes/pipeline.js";
import * as runtime from "../../runtime/index.js";
import type { Tensor } from "../../runtime/index.js";
import { kernelFallback, type FallbackKernel, type PlanGraph, type RuntimeKernel } from "../../runtime/fast/index.js";
import { syntheticInput, syntheticWeights } from "../support/synthetic.js";

/** Runs `step` with the runtime kernel the IR's table names, writing into `out` (what generated modules do, with the call stored). */
export const irFallback: FallbackKernel = kernelFallback(runtime as unknown as Record<string, RuntimeKernel>, (step) => kernelCall(step, false));

/** The stored PyTorch record of an example. */
export interface EvalRecord {
  outputs: { shape: number[]; data: number[] }[];
  scale: number;
}

/** An example's fused graph as a plan graph, its weights, its fixture inputs and reference outputs. */
export function examplePlan(name: string, fused = true) {
  const host = { readFile: (p: string) => readFileSync(p, "utf8") };
  const model = checkSource(`examples/${name}.nn`, readFileSync(`examples/${name}.nn`, "utf8"), host).models[0] as CheckedModel;
  const fixture = JSON.parse(readFileSync(`test/fixtures/e2e/${name}.json`, "utf8")) as { inputs: { shape: number[] }[]; eval: EvalRecord };
  const synthetic = syntheticWeights(model.params);
  const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: p.shape as number[], data: synthetic.get(p.name)! }]));
  const graph = runPipeline(lowerModel(model), fused ? INFERENCE_PASSES : UNFUSED_PASSES).graph;
  const inputs = fixture.inputs.map((input, k) => ({ shape: input.shape, data: syntheticInput(k, input.shape) }));
  // Literal constants (a number's operand, as in `x / beta`) are weights of the plan too, as a generated module's CONSTANTS.
  const literals = [...graph.values.values()].flatMap((v) => (v.kind === "const" ? [[v.name, { shape: v.shape as number[], data: v.data! }] as const] : []));
  const weights = new Map<string, Tensor>([...params, ...literals, ...evaluateConstants(graph, params)]);
  const plan: PlanGraph = {
    inputs: graph.inputs.map((name, k) => ({ name, shape: inputs[k].shape })),
    outputs: graph.outputs,
    steps: planSteps(graph),
  };
  const batch = inputs[0].shape[0];
  /** Elements of an activation at the fixture's batch size. */
  const sizeOf = (value: string): number => graph.value(value).shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : batch), 1);
  return { plan, weights, inputs, sizeOf, expected: fixture.eval, reference: () => executeGraph(graph, params, inputs).outputs };
}

/** The largest deviation of `actual` from `expected`, relative to `scale`. */
export function deviation(actual: readonly Tensor[], expected: readonly { shape: number[]; data: ArrayLike<number> }[], scale: number): number {
  let worst = 0;
  expected.forEach((o, k) => {
    if (actual[k].shape.join() !== o.shape.join()) throw new Error(`output ${k}: shape [${actual[k].shape.join(", ")}], expected [${o.shape.join(", ")}]`);
    for (let i = 0; i < o.data.length; i++) worst = Math.max(worst, Math.abs(actual[k].data[i] - o.data[i]));
  });
  return worst / scale;
}
