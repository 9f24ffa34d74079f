/**
 * One model's nnc training step alone, for a CPU profile: `bench:train`'s step (forward,
 * cross-entropy, backward, SGD with momentum, batch 32) run `STEPS` times after warm-up, with
 * the median printed.
 *
 *   npx tsc -p bench/tsconfig.json && node --cpu-prof --cpu-prof-dir=/tmp/prof .build/bench/train-profile.js mnist [STEPS]
 */
import { performance } from "node:perf_hooks";
import { BENCHES, nncTrainStep } from "./train-step.js";

const [name = "mnist", count = "20"] = process.argv.slice(2);
const bench = BENCHES.find((b) => b.model === name);
if (bench === undefined) throw new Error(`no training bench ${name}: ${BENCHES.map((b) => b.model).join(", ")}`);
const step = nncTrainStep(bench);
for (let i = 0; i < 3; i++) step();
const times: number[] = [];
for (let i = 0; i < Number(count); i++) {
  const start = performance.now();
  step();
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
console.log(`${bench.label}: median ${times[times.length >> 1].toFixed(1)} ms over ${count} steps`);
