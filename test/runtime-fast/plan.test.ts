/**
 * The plan executor (`compilePlan`) on its paths — WebAssembly on one thread, on two threads,
 * without Winograd convs, and the TypeScript fallback: every example of `examples/` against the PyTorch
 * fixtures (1e-4 of the output scale) and the IR executor; hand-built graphs that cross the conv
 * kernel's edges (ragged tiles, padding, stride, dilation, channel counts that are not multiples
 * of 8, residual fusion) and the layout kernels; what it fuses; that a second run reuses every
 * buffer; and the memory bound of issue #6.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as runtime from "../../runtime/index.js";
import type { Tensor } from "../../runtime/index.js";
import { compilePlan, wasmAvailable, type Plan, type PlanGraph, type PlanOptions, type PlanStep } from "../../runtime/fast/index.js";
import { randomTensor } from "../runtime/fixtures.js";
import { deviation, examplePlan, irFallback } from "./plan-support.js";

const PATHS: [string, PlanOptions][] = [
  ["WebAssembly, 1 thread", { wasm: true, threads: 1 }],
  ["WebAssembly, 2 threads", { wasm: true, threads: 2 }],
  ["WebAssembly, direct convs only", { wasm: true, winograd: false }],
  ["TypeScript fallback", { wasm: false }],
];
const plans: Plan[] = [];
afterAll(() => plans.forEach((p) => p.close()));
function compile(graph: PlanGraph, weights: ReadonlyMap<string, Tensor>, options: PlanOptions): Plan {
  const plan = compilePlan(graph, weights, { fallback: irFallback, ...options });
  plans.push(plan);
  return plan;
}

it("has WebAssembly SIMD and worker threads here, so the fast paths really are tested", () => {
  expect(wasmAvailable()).toBe(true);
  const { plan, weights } = examplePlan("lenet");
  expect(compile(plan, weights, { threads: 2 }).threads).toBe(2);
});

describe.each(PATHS)("examples through the plan (%s)", (_, options) => {
  it.each(["resnet20", "resnet18", "inception", "lenet", "mlp", "nfnet", "norm_zoo", "vgg"])("%s matches PyTorch and the IR executor", (name) => {
    const { plan, weights, inputs, expected, reference } = examplePlan(name);
    const compiled = compile(plan, weights, options);
    expect(compiled.engine).toBe(options.wasm === false ? "ts" : "wasm");
    const outputs = compiled.run(inputs);
    expect(deviation(outputs, expected.outputs, expected.scale)).toBeLessThan(1e-4);
    if (name !== "resnet18") expect(deviation(outputs, reference(), expected.scale)).toBeLessThan(1e-5);
  }, 60_000);
});

describe("unfused (--no-fuse) graphs through the plan on WebAssembly", () => {
  it.each(["resnet20", "norm_zoo", "vgg"])("%s matches PyTorch and the IR executor", (name) => {
    const { plan, weights, inputs, expected, reference } = examplePlan(name, false);
    const outputs = compile(plan, weights, {}).run(inputs);
    expect(deviation(outputs, expected.outputs, expected.scale)).toBeLessThan(1e-4);
    expect(deviation(outputs, reference(), expected.scale)).toBeLessThan(1e-5);
  }, 60_000);
});

describe("what the plan fuses and converts", () => {
  it("runs ResNet-20 as convs with residual add + relu fused and one conversion at each edge", () => {
    const { plan, weights } = examplePlan("resnet20");
    const direct = { toBlocked: 1, conv: 12, "conv+residual": 9, pool: 1, toPlain: 1, gemm: 1 };
    // Winograd: every 3×3 stride-1 conv but the stem (unfolded to 1×3 taps): 21 − 1 − 2 strided − 2 projections;
    // at batch 2, F(4×4, 3×3) for stages 1 and 2 (6 + 5 convs of 2 × 8 × 8 and 2 × 4 × 4 blocks), not for
    // stage 3's 2 × 2 × 2.
    expect(compile(plan, weights, {}).kernels).toEqual({ ...direct, "of which winograd": 16, "of which winograd 4×4": 11 });
    expect(compile(plan, weights, { winogradTile: 2 }).kernels).toEqual({ ...direct, "of which winograd": 16 });
    expect(compile(plan, weights, { winograd: false }).kernels).toEqual(direct);
  });

  it("takes Winograd for every 3×3 stride-1 conv of ResNet-18, the wide stages included", () => {
    const { plan, weights } = examplePlan("resnet18");
    // Stages 1 to 4: 4 convs of 64 channels, then 3 of 128, 256 and 512 after each strided first;
    // F(4×4, 3×3) for all but the 512-channel ones (7 × 7 outputs: 2 × 2 blocks of 4 × 4).
    expect(compile(plan, weights, {}).kernels).toMatchObject({ "of which winograd": 13, "of which winograd 4×4": 10 });
  });

  it("keeps concat, max pool, group, instance and filter response norms in the blocked layout, and sends switchable norm to the fallback", () => {
    expect(compile(examplePlan("inception").plan, examplePlan("inception").weights, {}).kernels).toMatchObject({ concat: 2, pool: 5, toBlocked: 1 });
    const zoo = examplePlan("norm_zoo");
    // Two GroupNormalization (group(groups: 8) and layer() on images) and one InstanceNormalization.
    expect(compile(zoo.plan, zoo.weights, {}).kernels).toMatchObject({ groupNorm: 3, frn: 1, "fallback:SwitchableNormalization": 1 });
  });

  it("runs ConvNeXt's channel norms and layer scales, and ShuffleNetV2's shuffles and splits, in the blocked layout", () => {
    const cases = [
      ["convnext_atto", { toBlocked: 1, conv: 40, channelNorm: 17, activation: 12, scale: 12, add: 12, pool: 1, toPlain: 1, gemm: 1 }],
      ["shufflenet_v2", { toBlocked: 1, conv: 56, pool: 2, concat: 16, gather: 42, toPlain: 1, gemm: 1 }],
    ] as const;
    for (const [name, kernels] of cases) {
      const { plan, weights, inputs, expected } = examplePlan(name);
      const compiled = compile(plan, weights, {});
      expect(compiled.kernels, name).toEqual(kernels);
      expect(deviation(compiled.run(inputs), expected.outputs, expected.scale), name).toBeLessThan(1e-4);
    }
  });

  it("names a step it cannot run when no fallback is given", () => {
    const zoo = examplePlan("norm_zoo");
    expect(() => compilePlan(zoo.plan, zoo.weights)).toThrow(/no kernel for SwitchableNormalization/);
  });

  it("runs an unfused module's batch norms as a blocked per-channel affine", () => {
    const { plan, weights } = examplePlan("resnet20", false);
    // One conversion at each edge, as for the fused graph; the residual adds and relus stand alone.
    expect(compile(plan, weights, {}).kernels).toEqual({ toBlocked: 1, conv: 21, batchNorm: 21, relu: 19, add: 9, pool: 1, toPlain: 1, gemm: 1, "of which winograd": 16, "of which winograd 4×4": 11 });
  });
});

describe("buffers and memory", () => {
  it("reuses its buffers: a second run returns the same arrays, recomputed, and leaves the input alone", () => {
    const { plan, weights, inputs, expected } = examplePlan("resnet20");
    const compiled = compile(plan, weights, {});
    const before = inputs[0].data.slice();
    const first = compiled.run(inputs)[0];
    const values = first.data.slice();
    first.data.fill(Number.NaN);
    const second = compiled.run(inputs)[0];
    expect(second.data).toBe(first.data);
    expect([...second.data]).toEqual([...values]);
    expect([...inputs[0].data]).toEqual([...before]);
    expect(deviation([second], expected.outputs, expected.scale)).toBeLessThan(1e-4);
  });

  it("stays below weights + 2 × the largest pair of live activations (ResNet-18, 224×224)", () => {
    const { plan, weights, sizeOf } = examplePlan("resnet18");
    const compiled = compile(plan, weights, {});
    const used = new Set(plan.steps.flatMap((s) => s.inputs));
    const weightBytes = [...weights].filter(([name]) => used.has(name)).reduce((sum, [, t]) => sum + t.data.byteLength, 0);
    const activation = (name: string): number => (weights.has(name) ? 0 : sizeOf(name));
    const pair = Math.max(...plan.steps.map((s) => activation(s.output) + s.inputs.reduce((sum, i) => sum + activation(i), 0)));
    expect(compiled.memory.total).toBeLessThan(weightBytes + 2 * pair * 4);
  });
});
