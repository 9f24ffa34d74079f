/**
 * One model's nnc training step alone, for a CPU profile: `bench:train`'s step (forward,
 * cross-entropy, backward, SGD with momentum, batch 32) run `STEPS` times after warm-up, with
 * the median printed, then the time of each IR op per step (the training graph's nodes grouped
 * by op, `executeGraph`'s `timeByOp`; the optimizer's update is outside them).
 *
 *   npx tsc -p bench/tsconfig.json && node --cpu-prof --cpu-prof-dir=/tmp/prof .build/bench/train-profile.js mnist [STEPS] [THREADS] [TILE]
 *
 * TILE 4 runs the Winograd forwards as F(4×4, 3×3) (`setTrainingWinogradTile`); `NNC_FMA=0` or
 * `1` chooses the products' arithmetic, as for `bench:train`.
 */
import { performance } from "node:perf_hooks";
import { BENCHES, nncTrainStep, productArithmetic } from "./train-step.js";
import { setTrainingThreads } from "../runtime/linalg/wasm-products.js";
import { setTrainingWinogradTile } from "../runtime/linalg/heap-winograd.js";

const [name = "mnist", count = "20", threads = "1", tile = "2"] = process.argv.slice(2);
setTrainingThreads(Number(threads));
setTrainingWinogradTile(tile === "4" ? 4 : 2);
const arithmetic = productArithmetic();
const bench = BENCHES.find((b) => b.model === name);
if (bench === undefined) throw new Error(`no training bench ${name}: ${BENCHES.map((b) => b.model).join(", ")}`);
const timeByOp = new Map<string, number>();
const step = nncTrainStep(bench, timeByOp);
for (let i = 0; i < 3; i++) step();
timeByOp.clear();
const times: number[] = [];
for (let i = 0; i < Number(count); i++) {
  const start = performance.now();
  step();
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
console.log(`${bench.label}: median ${times[times.length >> 1].toFixed(1)} ms over ${count} steps on ${threads} thread(s), Winograd F(${tile}×${tile}, 3×3), ${arithmetic}`);
const perStep = [...timeByOp].map(([op, ms]) => [op, ms / Number(count)] as const).sort((a, b) => b[1] - a[1]);
const nodes = perStep.reduce((sum, [, ms]) => sum + ms, 0);
console.log(`\n| op | ms per step | share of the nodes' ${nodes.toFixed(1)} ms |\n|---|---|---|`);
for (const [op, ms] of perStep) console.log(`| ${op} | ${ms.toFixed(2)} | ${((100 * ms) / nodes).toFixed(0)} % |`);
