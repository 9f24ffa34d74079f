/**
 * The window kernels of the WebAssembly plan (`depthwise_rows`, `pool_rows`: an interior run
 * several pixels at a time, borders pixel by pixel) and relu6 fused into the conv epilogues,
 * against the TypeScript plan (1 and 2 threads), on shapes that put pixels in every part: rows
 * whose interior is not a multiple of the pixels per step, images narrower than the window,
 * strides, dilations, asymmetric pads, ragged channel counts, batch 2.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Tensor } from "../../runtime/index.js";
import { compilePlan, type Plan, type PlanAttr, type PlanGraph, type PlanStep } from "../../runtime/fast/index.js";
import { fusedCeiling } from "../../runtime/fast/steps/conv-step.js";
import { expectClose, randomTensor } from "../runtime/fixtures.js";
import { irFallback } from "./plan-support.js";

const plans: Plan[] = [];
afterAll(() => plans.forEach((p) => p.close()));

const step = (op: string, inputs: string[], output: string, attrs: Record<string, PlanAttr> = {}): PlanStep => ({ op, inputs, output, attrs });

/** Runs `steps` on the WebAssembly plan (1 and 2 threads) and the TypeScript plan; returns the outputs of the first. */
function check(shapes: number[][], steps: PlanStep[], weights: Record<string, Tensor> = {}): { plan: Plan; output: Tensor } {
  const graph: PlanGraph = { inputs: shapes.map((shape, k) => ({ name: `x${k}`, shape })), outputs: [steps[steps.length - 1].output], steps };
  const inputs = shapes.map((shape, k) => randomTensor(shape, 200 + k));
  const map = new Map(Object.entries(weights));
  const [expected] = compilePlan(graph, map, { wasm: false, fallback: irFallback }).run(inputs);
  let first: { plan: Plan; output: Tensor } | undefined;
  for (const threads of [1, 2]) {
    const plan = compilePlan(graph, map, { threads, fallback: irFallback });
    plans.push(plan);
    expect(plan.engine).toBe("wasm");
    const [actual] = plan.run(inputs);
    expectClose(actual, expected, `${steps.map((s) => s.op).join("→")}, ${threads} thread(s)`, 1e-5);
    first ??= { plan, output: { shape: actual.shape, data: Float32Array.from(actual.data) } };
  }
  return first!;
}

/** Conv weights `[m, c, kh, kw]` in [−gain, gain] and a bias. */
function convWeights(m: number, c: number, kh: number, kw: number, seed: number, gain = 1): Record<string, Tensor> {
  const w = randomTensor([m, c, kh, kw], seed);
  return { w: { shape: w.shape, data: w.data.map((v) => v * gain) }, b: randomTensor([m], seed + 1) };
}

describe("depthwise conv", () => {
  const cases: [string, number[], number[], Record<string, PlanAttr>][] = [
    ["3×3 pad 1, a 37-pixel row (interior of 35: steps of 4 and a tail), batch 2", [2, 8, 6, 37], [3, 3], { pads: [1, 1, 1, 1] }],
    ["3×3 stride 2 pad 1, odd sizes, ragged channels (6)", [1, 6, 13, 15], [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }],
    ["5×5 pad 2, 20 channels", [1, 20, 11, 14], [5, 5], { pads: [2, 2, 2, 2] }],
    ["5×5 stride 2, asymmetric pads (EfficientNet's)", [2, 12, 14, 14], [5, 5], { strides: [2, 2], pads: [1, 1, 2, 2] }],
    ["3×3 dilation 2 pad 2", [1, 16, 10, 19], [3, 3], { pads: [2, 2, 2, 2], dilations: [2, 2] }],
    ["3×3 without padding (every pixel interior)", [1, 4, 5, 12], [3, 3], {}],
    ["7×7 pad 3 over a 5×6 image (no interior)", [1, 8, 5, 6], [7, 7], { pads: [3, 3, 3, 3] }],
    ["1×5 with stride (1, 3) and dilation (1, 2)", [1, 8, 4, 25], [1, 5], { strides: [1, 3], pads: [0, 3, 0, 1], dilations: [1, 2] }],
  ];
  it.each(cases)("%s", (_, xs, kernel, attrs) => {
    const c = xs[1];
    const { plan } = check([xs], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: kernel, group: c, ...attrs })], convWeights(c, 1, kernel[0], kernel[1], 31));
    expect(plan.kernels).toEqual({ toBlocked: 1, conv: 1, toPlain: 1 });
  });

  it("fuses a residual add and relu over rows with interior and borders", () => {
    const steps = [
      step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 12 }),
      step("Add", ["c", "x1"], "s"),
      step("Relu", ["s"], "y"),
    ];
    const { plan } = check([[2, 12, 7, 17], [2, 12, 7, 17]], steps, convWeights(12, 1, 3, 3, 37));
    expect(plan.kernels).toMatchObject({ "conv+residual": 1 });
  });
});

describe("relu6 (Clip from 0 to a finite max) in the conv epilogues", () => {
  const relu6 = { activation: "Clip", min: 0, max: 6 };
  /** Checks the plan and that the output really reaches both bounds (the gain makes |conv| exceed 6). */
  const clipped = (output: Tensor, max: number): void => {
    expect(Math.min(...output.data)).toBe(0);
    expect(Math.max(...output.data)).toBe(max);
  };

  it("depthwise, 3×3 and 5×5 stride 2", () => {
    clipped(check([[1, 24, 9, 21]], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 24, ...relu6 })], convWeights(24, 1, 3, 3, 41, 5)).output, 6);
    clipped(check([[2, 8, 11, 11]], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2], group: 8, ...relu6 })], convWeights(8, 1, 5, 5, 43, 4)).output, 6);
  });

  it("direct, 1×1 and 3×3 strided (and a max of 2.5)", () => {
    clipped(check([[1, 16, 7, 9]], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [1, 1], ...relu6 })], convWeights(20, 16, 1, 1, 47, 3)).output, 6);
    const attrs = { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], activation: "Clip", min: 0, max: 2.5 };
    clipped(check([[1, 8, 9, 9]], [step("Conv", ["x0", "w", "b"], "y", attrs)], convWeights(16, 8, 3, 3, 53, 2)).output, 2.5);
  });

  it("with a residual: the sum clipped", () => {
    const steps = [step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [1, 1] }), step("Add", ["c", "x1"], "s"), step("Clip", ["s"], "y", { min: 0, max: 6 })];
    check([[1, 16, 5, 6], [1, 16, 5, 6]], steps, convWeights(16, 16, 1, 1, 59, 6));
  });

  it("after a Winograd conv, and a Clip that is not relu6 (hardtanh), still run as a pass of their own", () => {
    const wino = check([[1, 16, 6, 8]], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], pads: [1, 1, 1, 1], ...relu6 })], convWeights(16, 16, 3, 3, 61, 2));
    expect(wino.plan.kernels["of which winograd"]).toBe(1);
    clipped(wino.output, 6);
    const hardtanh = { activation: "Clip", min: -1, max: 1 };
    const { output } = check([[1, 8, 5, 7]], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8, ...hardtanh })], convWeights(8, 1, 3, 3, 67, 3));
    expect(Math.min(...output.data)).toBe(-1);
  });

  it("fuses exactly Clip with min 0 and a finite max", () => {
    const action = (attrs: Record<string, number>) => ({ after: { kind: "pointwise", op: "Clip", attrs } }) as unknown as Parameters<typeof fusedCeiling>[0];
    expect(fusedCeiling(action({ min: 0, max: 6 }))).toBe(6);
    expect(fusedCeiling(action({ min: -1, max: 1 }))).toBeUndefined();
    expect(fusedCeiling(action({ min: 0 }))).toBeUndefined();
    expect(fusedCeiling(action({ min: 0, max: Infinity }))).toBeUndefined();
    expect(fusedCeiling({ after: { kind: "pointwise", op: "HardSigmoid", attrs: {} } } as unknown as Parameters<typeof fusedCeiling>[0])).toBeUndefined();
  });
});

describe("pools", () => {
  it.each([
    ["MaxPool 3×3 stride 1 pad 1, a 23-pixel row, batch 2", [2, 12, 5, 23], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, "MaxPool"],
    ["MaxPool 3×3 stride 2, ceil mode (GoogLeNet's)", [1, 20, 15, 15], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }, "MaxPool"],
    ["MaxPool 3×3 stride 1 pad 1, ceil mode, ragged channels", [1, 6, 9, 10], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], ceil_mode: 1 }, "MaxPool"],
    ["AveragePool 3×3 stride 1 pad 1 (padding not counted)", [2, 8, 6, 19], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }, "AveragePool"],
    ["AveragePool 5×5 stride 3 (ceil mode, the window past the edge)", [1, 16, 14, 14], { kernel_shape: [5, 5], strides: [3, 3], ceil_mode: 1 }, "AveragePool"],
    ["MaxPool 5×5 pad 2 over a 3×4 image (no interior)", [1, 8, 3, 4], { kernel_shape: [5, 5], strides: [1, 1], pads: [2, 2, 2, 2] }, "MaxPool"],
  ] as const)("%s", (_, xs, attrs, op) => {
    const { plan } = check([[...xs]], [step("Relu", ["x0"], "r"), step(op, ["r"], "y", { ...attrs })]);
    expect(plan.kernels).toMatchObject({ pool: 1 });
  });

  it.each(["GlobalAveragePool", "GlobalMaxPool"])("%s over 7×9, batch 2", (op) => {
    check([[2, 20, 7, 9]], [step("Relu", ["x0"], "r"), step(op, ["r"], "y")]);
  });
});

it("a max pool propagates a NaN to exactly the windows that read it, as the TypeScript kernel does", () => {
  const shape = [1, 8, 6, 13];
  const graph: PlanGraph = { inputs: [{ name: "x0", shape }], outputs: ["y"], steps: [step("MaxPool", ["x0"], "y", { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] })] };
  const x = randomTensor(shape, 71);
  // Interior and border pixels of several channels (channel, y, x): NaN.
  for (const [c, y, xx] of [[0, 2, 5], [3, 0, 0], [5, 4, 12], [7, 3, 7]]) x.data[(c * 6 + y) * 13 + xx] = NaN;
  const [expected] = compilePlan(graph, new Map(), { wasm: false, fallback: irFallback }).run([x]);
  const plan = compilePlan(graph, new Map(), { fallback: irFallback });
  plans.push(plan);
  const [actual] = plan.run([x]);
  const nans = (t: Tensor): number[] => [...t.data.keys()].filter((i) => Number.isNaN(t.data[i]));
  expect(nans(actual)).toEqual(nans(expected));
  expect(nans(expected)).toHaveLength(9 + 4 + 6 + 9);
  expect([...actual.data].filter((v) => !Number.isNaN(v))).toEqual([...expected.data].filter((v) => !Number.isNaN(v)));
});
