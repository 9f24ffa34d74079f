/**
 * The plan's kernels one operator (or one fusion) at a time, on hand-built graphs whose shapes
 * cross the WebAssembly kernels' edges: the WebAssembly plan (1 and 2 threads) against the
 * TypeScript plan, which runs `nnc/runtime`'s kernels and is tested against PyTorch elsewhere.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { Tensor } from "../../runtime/index.js";
import { compilePlan, type Plan, type PlanAttr, type PlanGraph, type PlanStep } from "../../runtime/fast/index.js";
import { expectClose, randomTensor } from "../runtime/fixtures.js";
import { irFallback } from "./plan-support.js";
import { enableRelaxedSimd, fusedMultiplyAddPays } from "../../runtime/wasm/relaxed-simd.js";

const plans: Plan[] = [];
afterAll(() => plans.forEach((p) => p.close()));

const step = (op: string, inputs: string[], output: string, attrs: Record<string, PlanAttr> = {}): PlanStep => ({ op, inputs, output, attrs });

/** Runs `steps` over inputs of `shapes` on every path and checks they agree; returns the WebAssembly plan. */
function check(
  shapes: number[][],
  steps: PlanStep[],
  weights: Record<string, Tensor> = {},
  outputs = [steps[steps.length - 1].output],
  options: { winogradTile?: 2 | 4; fma?: boolean } = {},
): Plan {
  const graph: PlanGraph = { inputs: shapes.map((shape, k) => ({ name: `x${k}`, shape })), outputs, steps };
  const inputs = shapes.map((shape, k) => randomTensor(shape, 100 + k));
  const map = new Map(Object.entries(weights));
  const expected = compilePlan(graph, map, { wasm: false, fallback: irFallback }).run(inputs);
  let first: Plan | undefined;
  for (const threads of [1, 2]) {
    const plan = compilePlan(graph, map, { threads, fallback: irFallback, fma: false, ...options });
    plans.push(plan);
    first ??= plan;
    const actual = plan.run(inputs);
    expected.forEach((e, k) => expectClose(actual[k], e, `${steps.map((s) => s.op).join("→")} output ${k}, ${threads} thread(s)`));
  }
  return first!;
}

function convWeights(m: number, c: number, kh: number, kw: number, seed: number): Record<string, Tensor> {
  return { w: randomTensor([m, c, kh, kw], seed), b: randomTensor([m], seed + 1) };
}

describe("Conv", () => {
  const cases: [string, number[], number[], Record<string, PlanAttr>][] = [
    ["Cin 5, Cout 10, stride 2, ragged tiles", [2, 5, 9, 11], [10, 5, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }],
    ["a 7×7 stem with stride 2 and pad 3", [1, 3, 30, 30], [64, 3, 7, 7], { strides: [2, 2], pads: [3, 3, 3, 3] }],
    ["dilation (2, 1) and asymmetric pads", [2, 16, 13, 12], [16, 16, 3, 3], { pads: [0, 1, 2, 1], dilations: [2, 1] }],
    ["a 1×1 strided projection", [2, 8, 8, 8], [24, 8, 1, 1], { strides: [2, 2] }],
    ["a 3×1 kernel over 12 channels (a stride of 16: 12 steps a tap)", [2, 12, 7, 5], [24, 12, 3, 1], { pads: [1, 0, 1, 0] }],
    ["rows narrower than the tile", [3, 12, 4, 3], [8, 12, 3, 3], { pads: [1, 1, 1, 1] }],
    ["a window wider than the image", [1, 8, 5, 5], [16, 8, 5, 5], { pads: [2, 3, 2, 3] }],
    ["four output channels (TypeScript kernel inside a WebAssembly plan)", [1, 6, 7, 7], [4, 6, 3, 3], { pads: [1, 1, 1, 1] }],
    ["1×3 then 3×1 kernels", [2, 32, 9, 9], [32, 32, 1, 3], { pads: [0, 1, 0, 1] }],
    ["an unfolded input: 2 channels, 3×5 taps, strides (1, 3), dilation (1, 2), asymmetric pads", [2, 2, 11, 10], [8, 2, 3, 5], { strides: [1, 3], pads: [1, 2, 0, 1], dilations: [1, 2] }],
    ["an unfolded input wider than the image", [1, 1, 4, 3], [8, 1, 3, 5], { pads: [1, 3, 1, 2] }],
  ];
  it.each(cases)("%s", (_, xs, ws, attrs) => {
    const kernel = [ws[2], ws[3]];
    check([xs], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: kernel, ...attrs })], convWeights(ws[0], ws[1], ws[2], ws[3], 7));
  });

  // 3×3, stride 1, ≥ 16 input channels: Winograd F(2×2, 3×3) (checked by `kernels`; `winogradTile: 2`
  // keeps every such conv F(2×2, 3×3)), against the TypeScript conv.
  const winograd: [string, number[], number[], Record<string, PlanAttr>][] = [
    ["odd output sizes (7 × 9), batch 2", [2, 16, 7, 9], [16, 16, 3, 3], { pads: [1, 1, 1, 1] }],
    ["no padding", [1, 16, 8, 10], [24, 16, 3, 3], {}],
    ["asymmetric pads", [1, 16, 6, 5], [8, 16, 3, 3], { pads: [0, 2, 2, 1] }],
    ["channels not a multiple of 8", [1, 20, 6, 6], [12, 20, 3, 3], { pads: [1, 1, 1, 1] }],
    ["rows longer than a chunk of tiles", [1, 128, 3, 40], [128, 128, 3, 3], { pads: [1, 1, 1, 1] }],
    ["one output pixel", [1, 32, 3, 3], [16, 32, 3, 3], {}],
    // Wide (U above 128 × 128 channels): passes of rows, U a block at a time.
    ["wide: 160 × 160 channels, one pass", [1, 160, 4, 4], [160, 160, 3, 3], { pads: [1, 1, 1, 1] }],
    ["wide: two passes of 5 rows over 2 images, odd sizes", [2, 160, 9, 40], [136, 160, 3, 3], { pads: [1, 1, 1, 1] }],
    ["wide: ragged channels, no padding", [1, 132, 7, 7], [132, 132, 3, 3], {}],
  ];
  it.each(winograd)("Winograd: %s", (_, xs, ws, attrs) => {
    const conv = [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], ...attrs })];
    const plan = check([xs], conv, convWeights(ws[0], ws[1], 3, 3, 9), undefined, { winogradTile: 2 });
    expect(plan.kernels["of which winograd"]).toBe(1);
    expect(plan.kernels["of which winograd 4×4"]).toBeUndefined();
  });

  // At least 16 blocks of 4×4 outputs (over the batch): F(4×4, 3×3), its U made on every forward.
  const large: [string, number[], number[], Record<string, PlanAttr>][] = [
    ["output sizes not a multiple of 4 (13 × 18), batch 2", [2, 16, 13, 18], [24, 16, 3, 3], { pads: [1, 1, 1, 1] }],
    ["no padding, channels not a multiple of 8", [1, 20, 18, 18], [12, 20, 3, 3], {}],
    ["asymmetric pads", [1, 16, 15, 14], [16, 16, 3, 3], { pads: [0, 2, 2, 1] }],
    ["rows longer than a chunk of tiles", [1, 64, 4, 64], [64, 64, 3, 3], { pads: [1, 1, 1, 1] }],
    // Wide (U above 1 MiB): passes of rows, U a block at a time.
    ["wide: 160 × 160 channels, one pass", [1, 160, 16, 16], [160, 160, 3, 3], { pads: [1, 1, 1, 1] }],
    ["wide: three passes over 2 images, odd sizes", [2, 160, 18, 41], [136, 160, 3, 3], { pads: [1, 1, 1, 1] }],
  ];
  it.each(large)("Winograd F(4×4, 3×3): %s", (_, xs, ws, attrs) => {
    const conv = [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], ...attrs })];
    const weights = convWeights(ws[0], ws[1], 3, 3, 9);
    expect(check([xs], conv, weights).kernels).toMatchObject({ "of which winograd": 1, "of which winograd 4×4": 1 });
    // `winogradTile: 2` keeps it F(2×2, 3×3).
    const small = check([xs], conv, weights, undefined, { winogradTile: 2 });
    expect(small.kernels["of which winograd"]).toBe(1);
    expect(small.kernels["of which winograd 4×4"]).toBeUndefined();
  });

  it.each([
    ["2 × 2 × 3 = 12", [2, 16, 7, 9]],
    ["2 × 2 = 4", [1, 64, 8, 8]],
  ])("Winograd: keeps F(2×2, 3×3) by default for fewer than 16 blocks of 4×4 outputs (%s)", (_, xs) => {
    const plan = check([xs], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })], convWeights(16, xs[1], 3, 3, 9));
    expect(plan.kernels["of which winograd"]).toBe(1);
    expect(plan.kernels["of which winograd 4×4"]).toBeUndefined();
  });

  it.each([
    ["narrow", 16],
    ["wide", 144],
  ])("Winograd F(4×4, 3×3) (%s): fuses the residual add and relu", (_, c) => {
    const steps = [
      step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      step("Add", ["c", "x1"], "s"),
      step("Relu", ["s"], "y"),
    ];
    const plan = check([[2, c, 10, 13], [2, c, 10, 13]], steps, convWeights(c, c, 3, 3, 11));
    expect(plan.kernels).toMatchObject({ "conv+residual": 1, "of which winograd": 1, "of which winograd 4×4": 1 });
  });

  it("Winograd: fuses the residual add and relu", () => {
    const steps = [
      step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      step("Add", ["c", "x1"], "s"),
      step("Relu", ["s"], "y"),
    ];
    const plan = check([[2, 16, 5, 6], [2, 16, 5, 6]], steps, convWeights(16, 16, 3, 3, 11));
    expect(plan.kernels).toMatchObject({ "conv+residual": 1, "of which winograd": 1 });
  });

  it("Winograd (wide): fuses the residual add and relu", () => {
    const steps = [
      step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      step("Add", ["c", "x1"], "s"),
      step("Relu", ["s"], "y"),
    ];
    const plan = check([[2, 144, 5, 6], [2, 144, 5, 6]], steps, convWeights(144, 144, 3, 3, 11));
    expect(plan.kernels).toMatchObject({ "conv+residual": 1, "of which winograd": 1 });
  });

  it("keeps strided convs and those with fewer than 16 input channels direct", () => {
    const narrow = check([[1, 8, 6, 6]], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })], convWeights(16, 8, 3, 3, 5));
    expect(narrow.kernels["of which winograd"]).toBeUndefined();
    const strided = check([[1, 32, 8, 8]], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })], convWeights(32, 32, 3, 3, 5));
    expect(strided.kernels["of which winograd"]).toBeUndefined();
  });

  it("runs without a bias", () => {
    check([[1, 8, 6, 6]], [step("Conv", ["x0", "w"], "y", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })], { w: randomTensor([16, 8, 3, 3], 3) });
  });

  it("runs a grouped conv on the TypeScript kernel", () => {
    const plan = check([[1, 8, 6, 6]], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 2 })], convWeights(8, 4, 3, 3, 5));
    expect(plan.kernels).toEqual({ conv: 1 });
  });

  // Depthwise (group = channels): the WebAssembly kernel in the blocked layout, so the plan converts
  // the input in and the output out (a plain conv would need neither).
  const depthwise: [string, number[], number[], Record<string, PlanAttr>][] = [
    ["3×3, pad 1, batch 2", [2, 16, 9, 11], [3, 3], { pads: [1, 1, 1, 1] }],
    ["stride 2 and asymmetric pads", [1, 8, 10, 9], [3, 3], { strides: [2, 2], pads: [0, 1, 2, 1] }],
    ["5×5 with dilation (2, 1)", [1, 24, 12, 12], [5, 5], { pads: [4, 2, 4, 2], dilations: [2, 1] }],
    ["channels not a multiple of 4", [1, 6, 7, 7], [3, 3], { pads: [1, 1, 1, 1] }],
    ["a window wider than the image", [1, 12, 3, 4], [5, 5], { pads: [2, 3, 2, 3] }],
  ];
  it.each(depthwise)("depthwise: %s", (_, xs, kernel, attrs) => {
    const c = xs[1];
    const plan = check([xs], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: kernel, group: c, ...attrs })], convWeights(c, 1, kernel[0], kernel[1], 13));
    expect(plan.kernels).toEqual({ toBlocked: 1, conv: 1, toPlain: 1 });
  });

  it("depthwise: fuses the residual add and relu, and a following activation", () => {
    const residual = [
      step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 16 }),
      step("Add", ["c", "x1"], "s"),
      step("Relu", ["s"], "y"),
    ];
    const plan = check([[2, 16, 5, 6], [2, 16, 5, 6]], residual, convWeights(16, 1, 3, 3, 17));
    expect(plan.kernels).toMatchObject({ "conv+residual": 1 });
    check([[1, 16, 5, 6]], [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 16, activation: "Silu" })], convWeights(16, 1, 3, 3, 19));
  });

  // 1×1 convs with stride 1 and no padding run on the pointwise driver: the rows of a chunk as one
  // run of pixels, 4 at a time, the last 1–3 on a tile of their width; chunks that cross images,
  // the residual, relu and relu6, on one and two threads (by rows and by channel blocks).
  it.each([
    ["49 pixels an image (1 left over), batch 2", [2, 12, 7, 7]],
    ["30 pixels (2 left over), batch 3", [3, 12, 5, 6]],
    ["15 pixels (3 left over)", [1, 12, 3, 5]],
    ["16 pixels (none left over), batch 2", [2, 12, 4, 4]],
    ["rows wider than a chunk of 48 pixels", [1, 12, 3, 50]],
  ])("1×1 convs on the pointwise driver: %s", (_, xs) => {
    const [n, , h, w] = xs;
    const steps = [
      step("Conv", ["x0", "w", "b"], "a", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      step("Conv", ["a", "w1", "b1"], "e", { kernel_shape: [1, 1], activation: "Relu" }),
      step("Conv", ["e", "w2", "b2"], "p", { kernel_shape: [1, 1] }),
      step("Add", ["p", "x1"], "s"),
      step("Relu", ["s"], "r"),
      step("Conv", ["r", "w3", "b3"], "c", { kernel_shape: [1, 1] }),
      step("Clip", ["c"], "y", { min: 0, max: 6 }),
    ];
    const weights = {
      ...convWeights(16, 12, 3, 3, 61),
      w1: randomTensor([40, 16, 1, 1], 62), b1: randomTensor([40], 63),
      w2: randomTensor([16, 40, 1, 1], 64), b2: randomTensor([16], 65),
      w3: randomTensor([24, 16, 1, 1], 66), b3: randomTensor([24], 67),
    };
    const plan = check([xs, [n, 16, h, w]], steps, weights);
    expect(plan.kernels).toMatchObject({ "conv+residual": 1 });
  });

  // relu and the ceiling run as pseudo-max and -min with the value first, so a NaN stays NaN
  // (the other order would give 0 or the ceiling): the pointwise driver, the direct conv's tiles
  // and the depthwise conv, each with relu6 after it.
  it.each([
    ["1×1 (pointwise driver)", [1, 1], 1],
    ["3×3 stride 2 (direct tiles)", [3, 3], 1],
    ["3×3 depthwise", [3, 3], 8],
  ] as const)("keeps a NaN through relu6: %s", (_, kernel, group) => {
    const steps = [
      step("Conv", ["x0", "w0", "b0"], "a", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      step("Conv", ["a", "w", "b"], "y", {
        kernel_shape: [...kernel],
        pads: kernel[0] === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0],
        strides: group === 1 && kernel[0] === 3 ? [2, 2] : [1, 1],
        group,
        activation: "Clip",
        min: 0,
        max: 6,
      }),
    ];
    const weights = { w0: randomTensor([8, 4, 3, 3], 71), b0: randomTensor([8], 72), w: randomTensor([8, 8 / group, ...kernel], 73), b: randomTensor([8], 74) };
    const graph: PlanGraph = { inputs: [{ name: "x0", shape: [1, 4, 6, 6] }], outputs: ["y"], steps };
    const plan = compilePlan(graph, new Map(Object.entries(weights)), { fallback: irFallback });
    plans.push(plan);
    const x = randomTensor([1, 4, 6, 6], 75);
    x.data.fill(NaN, 0, 36);
    const y = plan.run([x])[0];
    // Channel 0 of the input is NaN everywhere, so every output is NaN.
    expect(plan.kernels).toEqual({ toBlocked: 1, conv: 2, toPlain: 1 });
    expect(Array.from(y.data).every(Number.isNaN)).toBe(true);
  });

  it.each(["Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Silu", "Gelu", "HardSwish"])("fuses %s", (activation) => {
    const attrs = { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation, alpha: 0.2 };
    check([[2, 5, 7, 9]], [step("Conv", ["x0", "w", "b"], "y", attrs)], convWeights(12, 5, 3, 3, 11));
  });
});

// Relaxed SIMD (behind a flag in Node 20, which this turns on for this file's modules).
const fusable = enableRelaxedSimd();
if (!fusable) console.log("plan-ops.test.ts: the fused multiply-add cases are skipped: this engine has no relaxed SIMD, not even behind a flag");

describe.skipIf(!fusable)("Conv and Gemm with fused multiply-adds (relaxed SIMD)", () => {
  const convs: [string, number[], number[], Record<string, PlanAttr>, 2 | 4][] = [
    ["direct: Cin 5, Cout 10, stride 2, ragged tiles", [2, 5, 9, 11], [10, 5, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }, 4],
    ["direct: a 7×7 stem with stride 2 and pad 3", [1, 3, 30, 30], [64, 3, 7, 7], { strides: [2, 2], pads: [3, 3, 3, 3] }, 4],
    ["Winograd F(2×2, 3×3): odd output sizes, batch 2", [2, 16, 7, 9], [16, 16, 3, 3], { pads: [1, 1, 1, 1] }, 2],
    ["Winograd F(2×2, 3×3), wide: two passes over 2 images", [2, 160, 9, 40], [136, 160, 3, 3], { pads: [1, 1, 1, 1] }, 2],
    ["Winograd F(4×4, 3×3): output sizes not a multiple of 4", [2, 16, 13, 18], [24, 16, 3, 3], { pads: [1, 1, 1, 1] }, 4],
    ["Winograd F(4×4, 3×3), wide: three passes over 2 images", [2, 160, 18, 41], [136, 160, 3, 3], { pads: [1, 1, 1, 1] }, 4],
    // The depthwise kernel's sliding 3- and 5-wide windows and its border columns.
    ["depthwise 3×3, pad 1, batch 2", [2, 16, 9, 11], [16, 1, 3, 3], { pads: [1, 1, 1, 1], group: 16 }, 4],
    ["depthwise 5×5, stride 2", [1, 24, 15, 13], [24, 1, 5, 5], { strides: [2, 2], pads: [2, 2, 2, 2], group: 24 }, 4],
    ["depthwise 3×3 with dilation 2 (no sliding window)", [1, 8, 10, 10], [8, 1, 3, 3], { pads: [2, 2, 2, 2], dilations: [2, 2], group: 8 }, 4],
  ];
  it.each(convs)("%s", (_, xs, ws, attrs, winogradTile) => {
    const conv = [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [ws[2], ws[3]], ...attrs })];
    const weights = convWeights(ws[0], ws[1], ws[2], ws[3], 13);
    const fused = check([xs], conv, weights, undefined, { winogradTile, fma: true });
    const unfused = check([xs], conv, weights, undefined, { winogradTile, fma: false });
    // The fused kernels really ran: their sums round differently.
    const input = [randomTensor(xs, 100)];
    expect(fused.run(input)[0].data).not.toEqual(unfused.run(input)[0].data);
  });

  it("a dense layer with relu", () => {
    const steps = [step("Gemm", ["x0", "w", "b"], "y", { transB: 1, activation: "Relu" })];
    const weights = { w: randomTensor([70, 300], 5), b: randomTensor([70], 6) };
    const fused = check([[3, 300]], steps, weights, undefined, { fma: true });
    const unfused = check([[3, 300]], steps, weights, undefined, { fma: false });
    const input = [randomTensor([3, 300], 100)];
    expect(fused.run(input)[0].data).not.toEqual(unfused.run(input)[0].data);
  });

  it("by default where the CPU gains from them (Intel cores)", () => {
    const conv = [step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })];
    const graph: PlanGraph = { inputs: [{ name: "x0", shape: [1, 16, 8, 8] }], outputs: ["y"], steps: conv };
    const weights = new Map(Object.entries(convWeights(16, 16, 3, 3, 3)));
    const input = [randomTensor([1, 16, 8, 8], 100)];
    const run = (fma: boolean | undefined) => {
      const plan = compilePlan(graph, weights, { fallback: irFallback, fma });
      plans.push(plan);
      return plan.run(input)[0].data;
    };
    expect(run(undefined)).toEqual(run(fusedMultiplyAddPays()));
  });
});

describe("group, instance, filter response and batch normalization", () => {
  // After a conv, so the input is in the blocked layout; against the TypeScript kernels.
  const conv = step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const norm = (op: string, attrs: Record<string, PlanAttr> = {}): PlanStep => step(op, ["c", "g", "beta"], "y", { epsilon: 1e-5, ...attrs });
  const affine = (c: number): Record<string, Tensor> => ({ g: randomTensor([c], 41), beta: randomTensor([c], 42) });
  it.each([
    ["8 groups of 2 channels, batch 2", 16, 8],
    ["one group (layer norm over an image)", 12, 1],
    ["groups of 3 channels (not aligned to channel quads)", 6, 2],
  ])("GroupNormalization: %s", (_, c, groups) => {
    const plan = check([[2, 5, 7, 9]], [conv, norm("GroupNormalization", { num_groups: groups })], { ...convWeights(c, 5, 3, 3, 43), ...affine(c) });
    expect(plan.kernels).toMatchObject({ groupNorm: 1 });
  });

  it("InstanceNormalization", () => {
    const plan = check([[2, 5, 6, 6]], [conv, norm("InstanceNormalization")], { ...convWeights(10, 5, 3, 3, 44), ...affine(10) });
    expect(plan.kernels).toMatchObject({ groupNorm: 1 });
  });

  it("FilterResponseNormalization with its TLU", () => {
    const weights = { ...convWeights(12, 5, 3, 3, 46), ...affine(12), tau: randomTensor([12], 47) };
    const plan = check([[2, 5, 6, 7]], [conv, step("FilterResponseNormalization", ["c", "g", "beta", "tau"], "y", { epsilon: 1e-6 })], weights);
    expect(plan.kernels).toMatchObject({ frn: 1 });
  });

  it("BatchNormalization (inference, unfolded)", () => {
    const positive = randomTensor([12], 49);
    const variance = { shape: [12], data: positive.data.map((v) => Math.abs(v) + 0.1) };
    const weights = { ...convWeights(12, 5, 3, 3, 48), ...affine(12), mean: randomTensor([12], 50), variance };
    const plan = check([[2, 5, 6, 7]], [conv, step("BatchNormalization", ["c", "g", "beta", "mean", "variance"], "y", { epsilon: 1e-5 })], weights);
    expect(plan.kernels).toMatchObject({ batchNorm: 1 });
  });

  it("keeps its statistics exact when the values sit far from zero (two passes, sums in double)", () => {
    const weights = { ...convWeights(8, 5, 3, 3, 45), ...affine(8) };
    weights.b = { shape: [8], data: new Float32Array(8).fill(1000) };
    check([[1, 5, 16, 16]], [conv, norm("GroupNormalization", { num_groups: 2 })], weights);
  });
});

describe("residual fusion", () => {
  it("folds Add + Relu into the conv, with a graph input as the residual", () => {
    const plan = check(
      [[2, 16, 10, 10]],
      [step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [5, 5], pads: [2, 2, 2, 2] }), step("Add", ["c", "x0"], "s"), step("Relu", ["s"], "y")],
      convWeights(16, 16, 5, 5, 21),
    );
    expect(plan.kernels).toEqual({ toBlocked: 1, "conv+residual": 1, toPlain: 1 });
  });

  it("gives the later of two convs the earlier one as its residual, and keeps an Add whose sum is also an output", () => {
    const weights = { ...convWeights(16, 8, 3, 3, 31), v: randomTensor([16, 8, 1, 1], 33) };
    const plan = check(
      [[1, 8, 9, 9]],
      [
        step("Conv", ["x0", "w", "b"], "a", { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
        step("Conv", ["x0", "v"], "p", { kernel_shape: [1, 1], strides: [2, 2] }),
        step("Add", ["a", "p"], "s"),
        step("Relu", ["s"], "y"),
      ],
      weights,
      ["y", "s"],
    );
    expect(plan.kernels).toMatchObject({ conv: 1, "conv+residual": 1, relu: 1 });
  });
});

describe("Mul by a per-(sample, channel) factor (a squeeze-and-excitation gate)", () => {
  // A conv writes the blocked image [N, C, 5, 5]; the factor is a second input, a weight or the gate's own branch.
  const conv = step("Conv", ["x0", "w", "b"], "y", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
  const cases: [string, number, number[], boolean][] = [
    ["[N, C, 1, 1], C = 12 (not a multiple of the block), N = 2", 12, [2, 12, 1, 1], false],
    ["[1, C, 1, 1] over N = 2, the factor first", 12, [1, 12, 1, 1], true],
    ["[N, 1, 1, 1], one factor per sample", 20, [2, 1, 1, 1], false],
    ["[1, 1, 1, 1], C = 3 (one quad)", 3, [1, 1, 1, 1], false],
  ];
  it.each(cases)("%s", (_, c, factor, first) => {
    const mul = step("Mul", first ? ["x1", "y"] : ["y", "x1"], "z");
    const plan = check([[2, 5, 5, 5], factor], [conv, mul], convWeights(c, 5, 3, 3, 11));
    expect(plan.kernels.scale).toBe(1);
    expect(plan.kernels["fallback:Mul"]).toBeUndefined();
  });

  it("a constant factor [1, C, 1, 1]", () => {
    const plan = check([[2, 5, 6, 4]], [conv, step("Mul", ["y", "s"], "z")], { ...convWeights(10, 5, 3, 3, 12), s: randomTensor([1, 10, 1, 1], 13) });
    expect(plan.kernels.scale).toBe(1);
  });

  it("the gate's branch: global average pool, 1×1 conv, sigmoid, product", () => {
    const plan = check(
      [[2, 5, 7, 7]],
      [
        conv,
        step("GlobalAveragePool", ["y"], "g"),
        step("Conv", ["g", "w2", "b2"], "h", { kernel_shape: [1, 1] }),
        step("Sigmoid", ["h"], "s"),
        step("Mul", ["y", "s"], "z"),
      ],
      { ...convWeights(20, 5, 3, 3, 14), w2: randomTensor([20, 20, 1, 1], 15), b2: randomTensor([20], 16) },
    );
    expect(plan.kernels.scale).toBe(1);
  });

  it("leaves a product of two images to the fallback", () => {
    const plan = check([[2, 5, 5, 5], [2, 8, 5, 5]], [conv, step("Mul", ["y", "x1"], "z")], convWeights(8, 5, 3, 3, 17));
    expect(plan.kernels.scale).toBeUndefined();
  });
});

describe("pools, element-wise ops, concat, dense", () => {
  it.each([
    ["MaxPool 3×3 stride 2 pad 1", step("MaxPool", ["x0"], "y", { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })],
    ["AveragePool 3×3 stride 1 pad 1 (padding not counted)", step("AveragePool", ["x0"], "y", { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] })],
    ["AveragePool 2×2", step("AveragePool", ["x0"], "y", { kernel_shape: [2, 2], strides: [2, 2] })],
    ["GlobalAveragePool", step("GlobalAveragePool", ["x0"], "y")],
    ["GlobalMaxPool", step("GlobalMaxPool", ["x0"], "y")],
    ["Relu", step("Relu", ["x0"], "y")],
    ["Sigmoid", step("Sigmoid", ["x0"], "y")],
    ["HardSwish", step("HardSwish", ["x0"], "y")],
    ["Gelu (the caller's kernel)", step("Gelu", ["x0"], "y")],
  ])("%s", (_, s) => {
    check([[2, 12, 9, 7]], [step("Relu", ["x0"], "r"), { ...s, inputs: ["r"] }]);
  });

  // On 8×10 each rounds up where floor mode would not: the last windows run past the input.
  it.each([
    ["MaxPool 3×3 stride 2 (last windows clipped)", step("MaxPool", ["r"], "y", { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }), [4, 5]],
    ["AveragePool 3×3 stride 2 pad 1 (clipped windows divided by what they cover)", step("AveragePool", ["r"], "y", { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 0 }), [5, 6]],
    ["MaxPool 2×3 stride 3×2 pad 1 (a row window dropped)", step("MaxPool", ["r"], "y", { kernel_shape: [2, 3], strides: [3, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }), [3, 6]],
  ])("ceil mode: %s", (_, s, size) => {
    const plan = check([[2, 12, 8, 10]], [step("Relu", ["x0"], "r"), s]);
    expect(plan.kernels).toMatchObject({ pool: 1 });
    expect(plan.run([randomTensor([2, 12, 8, 10], 1)])[0].shape).toEqual([2, 12, ...size]);
  });

  it("adds two tensors, blocked and plain", () => {
    check([[2, 6, 5, 5], [2, 6, 5, 5]], [step("Relu", ["x0"], "r"), step("Add", ["r", "x1"], "y")]);
    check([[3, 10], [3, 10]], [step("Add", ["x0", "x1"], "y")]);
  });

  it("concatenates channels in the blocked layout, and in the plain one when a part is ragged", () => {
    const convs = { ...convWeights(8, 4, 1, 1, 41), v: randomTensor([12, 4, 3, 3], 43) };
    const parts = [
      step("Conv", ["x0", "w", "b"], "a", { kernel_shape: [1, 1] }),
      step("Conv", ["x0", "v"], "c", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
    ];
    expect(check([[2, 4, 6, 6]], [...parts, step("Concat", ["a", "c"], "y", { axis: 1 })], convs).kernels).toMatchObject({ concat: 1 });
    check([[2, 4, 6, 6], [2, 3, 6, 6]], [...parts, step("Concat", ["a", "x1", "c"], "y", { axis: 1 })], convs);
  });

  it("flattens and runs dense layers with fused activations", () => {
    const weights = { d: randomTensor([20, 72], 51), e: randomTensor([20], 52), f: randomTensor([7, 20], 53) };
    check(
      [[3, 8, 3, 3]],
      [
        step("Relu", ["x0"], "r"),
        step("Flatten", ["r"], "flat", { axis: 1 }),
        step("Gemm", ["flat", "d", "e"], "g", { transB: 1, activation: "Tanh" }),
        step("Gemm", ["g", "f"], "h", { transB: 1, activation: "Relu" }),
        step("LogSoftmax", ["h"], "y", { axis: 1 }),
      ],
      weights,
    );
  });

  it("runs a dense layer at batch 1 on the matrix-vector kernel: ragged features and units, with and without bias, activations", () => {
    const weights = { d: randomTensor([70, 301], 61), e: randomTensor([70], 62), f: randomTensor([9, 70], 63) };
    const steps = [step("Gemm", ["x0", "d", "e"], "g", { transB: 1, activation: "Tanh" }), step("Gemm", ["g", "f"], "h", { transB: 1, activation: "Relu" })];
    const one = check([[1, 301]], steps, weights, ["g", "h"]);
    // The same row in a batch of two runs on the GEMM kernel, which sums in another order: the same values, other bits.
    const x = randomTensor([1, 301], 100);
    const two = compilePlan({ inputs: [{ name: "x0", shape: [2, 301] }], outputs: ["g"], steps }, new Map(Object.entries(weights)), { fallback: irFallback, fma: false });
    plans.push(two);
    const [byGemv] = one.run([x]);
    const [byGemm] = two.run([{ shape: [2, 301], data: Float32Array.from([...x.data, ...x.data]) }]);
    expectClose(byGemv, { shape: [1, 70], data: byGemm.data.subarray(0, 70) }, "batch 1 against a row of batch 2");
    expect(byGemv.data).not.toEqual(byGemm.data.subarray(0, 70));
  });

  it("rejects inputs of another shape than compiled for", () => {
    const plan = compilePlan({ inputs: [{ name: "x0", shape: [1, 4, 5, 5] }], outputs: ["y"], steps: [step("Relu", ["x0"], "y")] }, new Map());
    expect(() => plan.run([randomTensor([2, 4, 5, 5], 1)])).toThrow(/compiled for shape \[1, 4, 5, 5\]/);
  });
});

describe("channel norm, channel slices and shuffles (ConvNeXt, ShuffleNet)", () => {
  /**
   * Every plan (WebAssembly on 1 and 2 threads, TypeScript) against the last step's TypeScript
   * kernel (its registry call) applied to what a plan of the steps before it, on the same engine,
   * computes; within `tolerance`. Returns the WebAssembly plan.
   */
  function against(shapes: number[][], steps: PlanStep[], weights: Record<string, Tensor>, tolerance: number): Plan {
    const last = steps[steps.length - 1];
    const graph: PlanGraph = { inputs: shapes.map((shape, k) => ({ name: `x${k}`, shape })), outputs: [last.output], steps };
    const reads = last.inputs.filter((name) => name !== "" && weights[name] === undefined);
    const before: PlanGraph = { ...graph, outputs: reads, steps: steps.slice(0, -1) };
    const inputs = shapes.map((shape, k) => randomTensor(shape, 200 + k));
    const map = new Map(Object.entries(weights));
    let first: Plan | undefined;
    for (const options of [{ threads: 1 }, { threads: 2 }, { wasm: false }]) {
      const [plan, prefix] = [compilePlan(graph, map, { ...options, fallback: irFallback }), compilePlan(before, map, { ...options, fallback: irFallback })];
      plans.push(plan, prefix);
      if (plan.engine === "wasm") first ??= plan;
      const values = new Map(prefix.run(inputs).map((t, k) => [reads[k], t]));
      const expected = irFallback(last, last.inputs.map((name) => weights[name] ?? values.get(name)), undefined);
      expectClose(plan.run(inputs)[0], expected, `${steps.map((s) => s.op).join("→")}, ${JSON.stringify(options)}`, tolerance);
    }
    return first!;
  }

  // A conv writes each test's input in the blocked layout (a depthwise one for 4 channels or fewer).
  const conv = (c: number): PlanStep => step("Conv", ["x0", "w", "b"], "c", { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: c <= 4 ? c : 1 });

  it.each([
    ["C = 40 (ConvNeXt-Atto's first width), batch 2", 40],
    ["C = 6 (a padded quad), batch 2", 6],
    ["C = 9 (a quad of one channel and a quad of padding)", 9],
    ["C = 3 (one quad)", 3],
  ])("ChannelNormalization: %s", (_, c) => {
    const weights = { ...convWeights(c, c <= 4 ? 1 : 5, 3, 3, 61), g: randomTensor([c], 62), beta: randomTensor([c], 63) };
    const plan = against([[2, c <= 4 ? c : 5, 6, 7]], [conv(c), step("ChannelNormalization", ["c", "g", "beta"], "y", { epsilon: 1e-6 })], weights, 1e-5);
    expect(plan.kernels).toEqual({ toBlocked: 1, conv: 1, channelNorm: 1, toPlain: 1 });
  });

  it("ChannelNormalization: without an affine, and exact on pixels far from zero", () => {
    const weights = { ...convWeights(13, 5, 3, 3, 64) };
    weights.b = { shape: [13], data: new Float32Array(13).fill(1000) };
    against([[2, 5, 5, 6]], [conv(13), step("ChannelNormalization", ["c", "", ""], "y", { epsilon: 1e-6 })], weights, 1e-5);
  });

  it.each([
    ["ConvNeXt's layer scale [C, 1, 1]", [12, 1, 1]],
    ["a scalar [1]", [1]],
  ])("Mul by a constant of lower rank: %s", (_, shape) => {
    const weights = { ...convWeights(12, 5, 3, 3, 65), s: randomTensor(shape, 66) };
    const plan = against([[2, 5, 5, 6]], [conv(12), step("Mul", ["s", "c"], "y")], weights, 1e-6);
    expect(plan.kernels).toEqual({ toBlocked: 1, conv: 1, scale: 1, toPlain: 1 });
  });

  const slice = (start: number, end: number): PlanStep => step("Slice", ["c"], "y", { starts: [start], ends: [end], axes: [1] });
  it.each([
    ["the first half of 48 (a quad copy)", 48, 0, 24],
    ["the second half of 48 (a quad copy)", 48, 24, 48],
    ["channels 4 … 9 of 11 (a quad copy into a padded output)", 11, 4, 9],
    ["channels 3 … 8 of 11 (a gather)", 11, 3, 8],
    ["channel 6 of 7 (a gather)", 7, 6, 7],
  ])("Slice: %s", (_, c, start, end) => {
    const plan = against([[2, 5, 4, 3]], [conv(c), slice(start, end)], convWeights(c, 5, 3, 3, 67), 0);
    expect(plan.kernels).toEqual({ toBlocked: 1, conv: 1, gather: 1, toPlain: 1 });
  });

  it("Slice: of another axis, left to the fallback", () => {
    const rows = against([[2, 5, 4, 3]], [conv(10), step("Slice", ["c"], "y", { starts: [1], ends: [3], axes: [2] })], convWeights(10, 5, 3, 3, 68), 0);
    expect(rows.kernels["fallback:Slice"]).toBe(1);
  });

  it.each([
    ["2 groups of 24 (ShuffleNetV2's)", 48, 2],
    ["3 groups of 3 (odd channels)", 9, 3],
    ["5 groups of 1", 5, 5],
  ])("ChannelShuffle: %s", (_, c, groups) => {
    const plan = against([[2, 5, 4, 3]], [conv(c), step("ChannelShuffle", ["c"], "y", { groups })], convWeights(c, 5, 3, 3, 69), 0);
    expect(plan.kernels).toEqual({ toBlocked: 1, conv: 1, gather: 1, toPlain: 1 });
  });

  it("ShuffleNetV2's unit: concat, shuffle, split, a branch on one half, concat, without a conversion inside", () => {
    const weights = { ...convWeights(8, 5, 1, 1, 70), v: randomTensor([8, 5, 3, 3], 71), u: randomTensor([8, 8, 1, 1], 72) };
    const steps = [
      step("Conv", ["x0", "w", "b"], "a", { kernel_shape: [1, 1] }),
      step("Conv", ["x0", "v"], "c", { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      step("Concat", ["a", "c"], "cat", { axis: 1 }),
      step("ChannelShuffle", ["cat"], "shuffled", { groups: 2 }),
      step("Slice", ["shuffled"], "left", { starts: [0], ends: [8], axes: [1] }),
      step("Slice", ["shuffled"], "right", { starts: [8], ends: [16], axes: [1] }),
      step("Conv", ["right", "u"], "branch", { kernel_shape: [1, 1], activation: "Relu" }),
      step("Concat", ["left", "branch"], "y", { axis: 1 }),
    ];
    const plan = check([[2, 5, 6, 6]], steps, weights);
    expect(plan.kernels).toEqual({ toBlocked: 1, conv: 3, concat: 2, gather: 3, toPlain: 1 });
  });
});
