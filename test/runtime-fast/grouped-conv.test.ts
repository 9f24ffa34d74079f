/**
 * Grouped convs that are not depthwise on the WebAssembly plan (`runtime/fast/steps/grouped-conv.ts`:
 * the direct conv kernel once per group, over the group's channel sub-range of each pixel),
 * against the TypeScript plan, on 1 and 2 threads: groups of 16 channels as RegNetX's, ragged
 * tiles and batch 2, stride 2, a 1×1, dilation (one pass) and a 1×3 (a pass per kernel column),
 * groups of 4 inputs and 8 outputs with padded channels, the fused residual add and relu, a fused
 * relu6, and a grouped conv the kernel does not suit, which keeps the TypeScript step; and
 * RegNetX-400MF's plan, whose grouped convs all take this path.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Tensor } from "../../runtime/index.js";
import { compilePlan, type Plan, type PlanAttr, type PlanGraph, type PlanStep } from "../../runtime/fast/index.js";
import { groupedConvFits } from "../../runtime/fast/steps/grouped-conv.js";
import { expectClose, randomTensor } from "../runtime/fixtures.js";
import { examplePlan, irFallback } from "./plan-support.js";

const plans: Plan[] = [];
afterAll(() => plans.forEach((p) => p.close()));

const step = (op: string, inputs: string[], output: string, attrs: Record<string, PlanAttr> = {}): PlanStep => ({ op, inputs, output, attrs });

/** Runs `steps` on the WebAssembly plan (1 and 2 threads) and the TypeScript plan; returns the former. */
function check(shapes: number[][], steps: PlanStep[], weights: Record<string, Tensor>): Plan {
  const graph: PlanGraph = { inputs: shapes.map((shape, k) => ({ name: `x${k}`, shape })), outputs: [steps[steps.length - 1].output], steps };
  const inputs = shapes.map((shape, k) => randomTensor(shape, 200 + k));
  const map = new Map(Object.entries(weights));
  const [expected] = compilePlan(graph, map, { wasm: false, fallback: irFallback }).run(inputs);
  let first: Plan | undefined;
  for (const threads of [1, 2]) {
    const plan = compilePlan(graph, map, { threads, fallback: irFallback });
    plans.push(plan);
    first ??= plan;
    const [actual] = plan.run(inputs);
    expectClose(actual, expected, `${steps.map((s) => s.op).join("→")}, ${threads} thread(s)`);
  }
  return first!;
}

/** A grouped conv's weight `[m, c / group, k, k]` and bias. */
function weightsOf(m: number, cg: number, k: number, seed: number): Record<string, Tensor> {
  return { w: randomTensor([m, cg, k, k], seed), b: randomTensor([m], seed + 1) };
}

describe("grouped conv", () => {
  const cases: [string, number[], number[], number, Record<string, PlanAttr>][] = [
    ["4 groups of 16, 3×3, pad 1", [1, 64, 9, 9], [64, 16, 3, 3], 4, { pads: [1, 1, 1, 1] }],
    ["ragged tiles (width 11), batch 2", [2, 32, 7, 11], [32, 16, 3, 3], 2, { pads: [1, 1, 1, 1] }],
    ["stride 2, odd sizes", [1, 48, 11, 9], [48, 16, 3, 3], 3, { strides: [2, 2], pads: [1, 1, 1, 1] }],
    ["a 1×1 in 5 groups, batch 2", [2, 80, 5, 6], [80, 16, 1, 1], 5, {}],
    ["groups of 4 inputs and 8 outputs, 12 channels padded to 16", [2, 12, 6, 7], [24, 4, 3, 3], 3, { pads: [1, 1, 1, 1] }],
    ["dilation 2 (one pass over all columns)", [1, 32, 9, 10], [32, 16, 3, 3], 2, { pads: [2, 2, 2, 2], dilations: [2, 2] }],
    ["a 1×3 with asymmetric pads", [1, 32, 5, 9], [32, 16, 1, 3], 2, { pads: [0, 0, 0, 2] }],
    ["enough work per pass for two threads", [2, 32, 28, 28], [32, 16, 3, 3], 2, { pads: [1, 1, 1, 1] }],
  ];
  it.each(cases)("%s", (_, xs, ws, group, attrs) => {
    const kernel = [ws[2], ws[3]];
    const plan = check([xs], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: kernel, group, ...attrs })], weightsOf(ws[0], ws[1], ws[2], 13));
    expect(plan.kernels["of which grouped"]).toBe(1);
  });

  it("fuses the residual add and relu", () => {
    const steps = [
      step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [3, 3], group: 2, strides: [2, 2], pads: [1, 1, 1, 1] }),
      step("Add", ["c", "x1"], "s"),
      step("Relu", ["s"], "y"),
    ];
    const plan = check([[2, 32, 9, 10], [2, 32, 5, 5]], steps, weightsOf(32, 16, 3, 17));
    expect(plan.kernels).toMatchObject({ "conv+residual": 1, "of which grouped": 1 });
  });

  it("fuses a relu6 after it", () => {
    const steps = [
      step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [3, 3], group: 4, pads: [1, 1, 1, 1] }),
      step("Clip", ["c"], "y", { min: 0, max: 6 }),
    ];
    const plan = check([[1, 64, 6, 6]], steps, weightsOf(64, 16, 3, 19));
    expect(plan.kernels["of which grouped"]).toBe(1);
  });

  it("leaves groups the kernel does not suit to the TypeScript step", () => {
    expect(groupedConvFits([24, 12, 3, 3], 2)).toBe(false); // 12 inputs a group: not a channel stride
    expect(groupedConvFits([12, 16, 3, 3], 3)).toBe(false); // 4 outputs a group: not a block of 8
    expect(groupedConvFits([32, 1, 3, 3], 32)).toBe(false); // depthwise: its own kernel
    expect(groupedConvFits([64, 16, 3, 3], 4)).toBe(true);
    const plan = check([[1, 24, 6, 6]], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], group: 2, pads: [1, 1, 1, 1] })], weightsOf(24, 12, 3, 23));
    expect(plan.kernels["of which grouped"]).toBeUndefined();
  });

  it("runs RegNetX-400MF's 22 grouped 3×3 convs on it: no fallback step, no conversion inside", () => {
    const { plan: graph, weights } = examplePlan("regnetx_400mf");
    const plan = compilePlan(graph, weights, { fallback: irFallback });
    plans.push(plan);
    expect(plan.kernels).toMatchObject({ toBlocked: 1, toPlain: 1, "of which grouped": 22 });
    expect(Object.keys(plan.kernels).filter((k) => k.startsWith("fallback"))).toEqual([]);
  });
});
