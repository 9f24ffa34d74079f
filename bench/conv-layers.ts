/**
 * One 3×3 conv (stride 1, pad 1, relu fused) at a time through the plan executor: direct, as
 * Winograd F(2×2, 3×3) (`winogradTile: 2`) and as the plan chooses by default (F(4×4, 3×3) where
 * the conv has enough blocks of 4×4 outputs, see `runtime/fast/winograd.ts`), on the shapes of
 * ResNet-20's stages at batch 1 and 32 and of ResNet-18's at batch 1, in one process, alternating.
 * A one-conv plan also converts its input to the blocked layout and its output back (the same
 * for all), so the ratios understate the conv's own gain most at 16 channels. GFLOP/s counts the
 * direct conv's multiply-adds. "F(2×2)" in the default column: the plan kept F(2×2, 3×3).
 *
 *   npm run bench:conv
 */
import { performance } from "node:perf_hooks";
import { compilePlan, type PlanGraph } from "../runtime/fast/index.js";
import type { Tensor } from "../runtime/index.js";

const SHAPES: [name: string, n: number, c: number, hw: number][] = [
  ["ResNet-20 stage 1", 1, 16, 32],
  ["ResNet-20 stage 2", 1, 32, 16],
  ["ResNet-20 stage 3", 1, 64, 8],
  ["ResNet-20 stage 1", 32, 16, 32],
  ["ResNet-20 stage 2", 32, 32, 16],
  ["ResNet-20 stage 3", 32, 64, 8],
  ["ResNet-18 stage 1", 1, 64, 56],
  ["ResNet-18 stage 2", 1, 128, 28],
  ["ResNet-18 stage 3", 1, 256, 14],
  ["ResNet-18 stage 4", 1, 512, 7],
];
const SECONDS = Number(process.env.SECONDS ?? 1.5);

function random(shape: number[], seed: number): Tensor {
  let state = seed;
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 31 - 1;
  });
  return { shape, data };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

console.log(`node ${process.version}; one thread; ${SECONDS} s per conv and kind`);
console.log("| layer | batch | channels | image | direct ms | F(2×2) ms | default ms | direct GFLOP/s | F(2×2) GFLOP/s | default GFLOP/s | default vs F(2×2) |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const [name, n, c, hw] of SHAPES) {
  const graph: PlanGraph = {
    inputs: [{ name: "x", shape: [n, c, hw, hw] }],
    outputs: ["y"],
    steps: [{ op: "Conv", inputs: ["x", "w", "b"], output: "y", attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], activation: "Relu" } }],
  };
  const weights = new Map([["w", random([c, c, 3, 3], 1)], ["b", random([c], 2)]]);
  const x = random([n, c, hw, hw], 3);
  const options = [{ winograd: false }, { winogradTile: 2 as const }, {}];
  const plans = options.map((o) => compilePlan(graph, weights, o));
  const times: number[][] = plans.map(() => []);
  for (const plan of plans) for (let i = 0; i < 5; i++) plan.run([x]);
  const start = performance.now();
  while (performance.now() - start < 3 * SECONDS * 1000) {
    plans.forEach((plan, k) => {
      const t = performance.now();
      plan.run([x]);
      times[k]!.push(performance.now() - t);
    });
  }
  const [direct, small, chosen] = times.map(median) as [number, number, number];
  const large = plans[2]!.kernels["of which winograd 4×4"] === 1;
  const gflops = (ms: number): string => ((2 * n * c * c * 9 * hw * hw) / ms / 1e6).toFixed(1);
  console.log(
    `| ${name} | ${n} | ${c} | ${hw}×${hw} | ${direct.toFixed(3)} | ${small.toFixed(3)} | ${chosen.toFixed(3)}${large ? "" : " (F(2×2))"} | ${gflops(direct)} | ${gflops(small)} | ${gflops(chosen)} | ${(small / chosen).toFixed(2)}× |`,
  );
  plans.forEach((plan) => plan.close());
}
