/**
 * Per-step time of ResNet-18 at batch 1 on the WebAssembly plan, one thread: each action of the
 * compiled plan timed over many forwards (median), with its kernel (as `convKernel` picks it),
 * shape and GFLOP/s (a conv's direct multiply-adds × 2 over its time, so Winograd's rate counts
 * the multiplies it saves), then whole forwards for comparison with the sum. WebAssembly has
 * no profile in `--cpu-prof`; this runs the plan's steps one by one instead.
 *
 *   tsc -p bench/tsconfig.json && node .build/bench/resnet18-steps.js
 */
import { performance } from "node:perf_hooks";
import { logSoftmax } from "../runtime/index.js";
import { analysePlan } from "../runtime/fast/plan-analysis.js";
import { compileWasm } from "../runtime/fast/plan-wasm.js";
import { convKernel } from "../runtime/fast/steps/conv-step.js";
import { resnet18 } from "./runtime-models.js";
import { planSteps } from "./runtime-plan.js";

const RUNS = Number(process.env.RUNS ?? 20);
const model = resnet18();
const { steps, weights } = planSteps(model);
const [c, h, w] = model.shapes[0];
const graph = { inputs: [{ name: "v0", shape: [1, c, h, w] }], outputs: [steps[steps.length - 1].output], steps };
const layout = analysePlan(graph, weights, { blocked: true, fallback: (_s, inputs, out) => logSoftmax(inputs[0]!, out) });
const compiled = compileWasm(layout, { threads: 1 });
const x = { shape: [1, c, h, w], data: Float32Array.from({ length: c * h * w }, (_, i) => Math.sin(i)) };
compiled.tensors.inputs = [x];
const times = compiled.steps.map(() => [] as number[]);
for (let r = 0; r < RUNS + 3; r++) {
  compiled.steps.forEach((step, k) => {
    const t = performance.now();
    step();
    if (r >= 3) times[k].push(performance.now() - t);
  });
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
let total = 0;
const rows: string[] = [];
layout.actions.forEach((a, k) => {
  const ms = median(times[k]);
  total += ms;
  let what: string = a.kind;
  let gf = "";
  if (a.kind === "conv") {
    const [m, ci, kh, kw] = a.weight.shape;
    const win = a.window;
    what = `conv ${convKernel(a, true)} ${ci}->${m} ${kh}x${kw}/${win.sh} out ${win.oh}x${win.ow}${a.residual !== undefined ? " +res" : ""}`;
    gf = ((2 * m * ci * kh * kw * win.oh * win.ow) / ms / 1e6).toFixed(1);
  }
  rows.push(`| ${k} | ${what} | ${ms.toFixed(3)} | ${gf} |`);
});
const whole: number[] = [];
for (let r = 0; r < RUNS; r++) {
  const t = performance.now();
  for (const step of compiled.steps) step();
  whole.push(performance.now() - t);
}
console.log(`node ${process.version}; one thread; median of ${RUNS}; sum of steps ${total.toFixed(2)} ms; whole forward ${median(whole).toFixed(2)} ms`);
console.log("| # | action | ms | GFLOP/s |\n|---|---|---|---|");
console.log(rows.join("\n"));
compiled.close();
