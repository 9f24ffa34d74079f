/**
 * How fast a generated model runs: nnc's runtime (TypeScript kernels, and the plan executor of
 * `runtime/fast` on WebAssembly SIMD) side by side with onnxruntime-node and TensorFlow.js's wasm backend,
 * in one process, on ResNet-20 (B=1, 32), LeNet-5 (B=1, 32) and ResNet-18 (B=1), all with the same
 * random weights in nnc and equal architectures elsewhere. Prints, per model and engine, the
 * median, min and max of a forward pass, GFLOP/s (2 × multiply-adds), and ratios, as a Markdown
 * table for docs/performance.md.
 *
 *   npm run bench:runtime            (QUICK=1 for fewer runs)
 */
import { cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { wasmAvailable } from "../runtime/fast/index.js";
import { lenet, resnet18, resnet20, type BenchModel } from "./runtime-models.js";
import { nncForward } from "./runtime-nnc.js";
import { nncPlan } from "./runtime-plan.js";
import { exportOnnxModels, ortForward } from "./runtime-ort.js";
import { startTfjsWasm, tfjsForward } from "./runtime-tfjs.js";

interface Timing {
  median: number;
  min: number;
  max: number;
}

const quick = process.env.QUICK === "1";

/** Times `run` after warm-up: at least 5 runs and about a second (less with QUICK=1). */
async function time(run: () => unknown): Promise<Timing> {
  for (let i = 0; i < 3; i++) await run();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < (quick ? 3 : 5) || (performance.now() - start < (quick ? 300 : 1000) && samples.length < 200)) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0], max: samples[samples.length - 1] };
}

function randomInput(size: number): Float32Array {
  let state = 12345;
  return Float32Array.from({ length: size }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2147483648 - 1;
  });
}

const cases: [BenchModel, number, string][] = [
  [resnet20(), 1, "resnet20"],
  [resnet20(), 32, "resnet20"],
  [lenet(), 1, "lenet"],
  [lenet(), 32, "lenet"],
  [resnet18(), 1, "resnet18"],
];

const onnx = exportOnnxModels();
if ("skipped" in onnx) console.log(`onnxruntime-node skipped: ${onnx.skipped}`);
const tfjsReady = await startTfjsWasm();
console.log(`machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores; node ${process.version}; nnc wasm: ${wasmAvailable()}`);
if (tfjsReady) console.log(`tfjs ${tf.version_core}, wasm backend threads: ${getThreadsCount()}`);

const header = "| model | batch | engine | median ms | min ms | max ms | GFLOP/s | vs tfjs-wasm | vs ort (1 thread) |";
const rows: string[] = [header, "|---|---|---|---|---|---|---|---|---|"];
for (const [model, n, file] of cases) {
  const [c, h, w] = model.shapes[0];
  const input = randomInput(n * c * h * w);
  const nchw = { shape: [n, c, h, w], data: input };
  const results: [string, Timing][] = [];
  const ts = nncForward(model, n);
  const reference = ts.forward(nchw).data.slice();
  console.log(`${model.name} B=${n}: nnc TS kernels' arena ${(ts.arenaFloats * 4 / 2 ** 20).toFixed(2)} MiB`);
  results.push(["nnc (TS kernels)", await time(() => ts.forward(nchw))]);
  for (const threads of [1, 2]) {
    const plan = nncPlan(model, n, threads);
    const out = plan.run([nchw])[0].data;
    let diff = 0;
    for (let i = 0; i < reference.length; i++) diff = Math.max(diff, Math.abs(reference[i] - out[i]));
    console.log(`${model.name} B=${n}: nnc plan (${threads} thread) vs ts max |diff| ${diff.toExponential(2)}; plan memory ${(plan.memory.total / 2 ** 20).toFixed(2)} MiB`);
    results.push([`nnc plan (WASM, ${threads} thread${threads > 1 ? "s" : ""})`, await time(() => plan.run([nchw]))]);
    plan.close();
  }
  if (!("skipped" in onnx)) {
    for (const threads of [1, 2]) {
      const forward = await ortForward(join(onnx.dir, `${file}.onnx`), threads);
      results.push([`onnxruntime-node (${threads} thread${threads > 1 ? "s" : ""})`, await time(() => forward(input, [n, c, h, w]))]);
    }
  }
  if (tfjsReady) {
    const tfjs = tfjsForward(model, n);
    results.push(["tfjs-wasm", await time(() => tfjs.forward(input))]);
  }
  const gflop = (2 * model.macs * n) / 1e9;
  const tfjsTime = results.find(([name]) => name === "tfjs-wasm")?.[1].median;
  const ortTime = results.find(([name]) => name === "onnxruntime-node (1 thread)")?.[1].median;
  for (const [engine, t] of results) {
    const ratio = (other: number | undefined): string => (other === undefined ? "–" : `${(other / t.median).toFixed(2)}×`);
    rows.push(
      `| ${model.name} | ${n} | ${engine} | ${t.median.toFixed(2)} | ${t.min.toFixed(2)} | ${t.max.toFixed(2)} | ${(gflop / (t.median / 1000)).toFixed(1)} | ${ratio(tfjsTime)} | ${ratio(ortTime)} |`,
    );
  }
  console.log(rows.slice(rows.length - results.length).join("\n"));
}
console.log("\nRatios are the other engine's median over this row's: above 1× this row is faster.\n");
console.log(rows.join("\n"));
