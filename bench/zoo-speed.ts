/**
 * The example models against onnxruntime-node, side by side: each example's generated module
 * (fused, the WebAssembly plan, one thread) and nnc's own ONNX model of it in onnxruntime-node
 * (one intra-op thread, all graph optimizations), at batch 1 on the example's input size, with
 * the same weights (`nnc init`, seed 0), timed in turns (a forward of each per round). Both run
 * the same function, so the ratio compares the engines. The table states, per model, whether nnc
 * is within 2.5× of onnxruntime; after it, what bounds the ratio on this machine: the WebAssembly
 * SIMD128 multiply-add peak of this core against both engines' rate on four 1×1 convs.
 *
 *   npm run bench:zoo [-- mobilenet_v2 googlenet]
 *
 * With `NNC_RELAXED_SIMD=1` it first turns on relaxed SIMD, which Node 22+ has by default and
 * Node 20 behind a flag (`enableRelaxedSimd`), so the plans fuse their multiply-adds where the
 * CPU gains from it, as they do on Node 22+ (`runtime/wasm/relaxed-simd.ts`).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import * as ort from "onnxruntime-node";
import { compileModel } from "../compiler/emit/compile-model.js";
import { initialWeights } from "../compiler/weights/init.js";
import { enableRelaxedSimd, fusedMultiplyAddsByDefault } from "../runtime/wasm/relaxed-simd.js";
import { simdPeakSamples } from "./simd-peak.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const host = { readFile: (path: string) => { try { return readFileSync(resolve(root, path), "utf8"); } catch { return undefined; } } };
const DEFAULT = [
  "resnet18",
  "mobilenet_v2",
  "mobilenet_v3_small",
  "efficientnet_b0",
  "shufflenet_v2",
  "googlenet",
  "convnext_atto",
  "resnet50",
  "densenet121",
  "regnetx_400mf",
];
const BOUND = 2.5;

interface Model {
  forward(x: { shape: number[]; data: Float32Array }): unknown;
  close(): void;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * The median ms of each of `runs`, timed in turns (one call of each per round) so that both see
 * the same minutes of this shared machine, whose speed moves by tens of percent between them.
 */
async function timeInTurns(runs: readonly (() => Promise<unknown> | unknown)[], budgetMs: number): Promise<number[]> {
  // Warm up for at least 5 runs and a second: the engines compile their kernels again, optimized,
  // after the first calls (a model measured after 3 runs was up to 1.6× slow).
  const warm = performance.now();
  for (let i = 0; i < 5 || performance.now() - warm < 1000; i++) for (const run of runs) await run();
  const times = runs.map((): number[] => []);
  const start = performance.now();
  while (times[0].length < 5 || (performance.now() - start < budgetMs && times[0].length < 50)) {
    for (const [k, run] of runs.entries()) {
      const t0 = performance.now();
      await run();
      times[k].push(performance.now() - t0);
    }
  }
  return times.map(median);
}

/** The two engines' median ms per forward on one model (`path` read through `readFile`), and its input's shape. */
async function compare(name: string, path: string, readFile: (path: string) => string | undefined): Promise<{ nnc: number; onnx: number; shape: number[] }> {
  const dir = join(here, "..", "generated");
  mkdirSync(dir, { recursive: true });
  const ts = await import("typescript");
  const module = await compileModel({ path, host: { readFile }, runtimeModule: "../runtime/index.js" });
  const onnxModel = await compileModel({ path, host: { readFile }, target: "onnx" });
  if (!module.ok || !onnxModel.ok) throw new Error(`${name}: ${[...module.errors, ...onnxModel.errors].join("; ")}`);
  const source = module.files.find((f) => f.name.endsWith(".ts"))!.contents as string;
  const file = join(dir, `${name}.zoo.js`);
  writeFileSync(file, ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText);
  const loaded = (await import(pathToFileURL(file).href)) as { load(w: Record<string, Float32Array>, o: object): Promise<Model> };
  const checked = module.check.models[0];
  const model = await loaded.load(Object.fromEntries(initialWeights(checked, 0)), { engine: "wasm", threads: 1 });
  const shape = checked.values[checked.inputs[0].value].shape.map((d) => (typeof d === "number" ? d : 1));
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37));
  const bytes = onnxModel.files.find((f) => f.name.endsWith(".onnx"))!.contents as Uint8Array;
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: "all" });
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, shape) };
  const [nnc, onnx] = await timeInTurns([() => model.forward({ shape, data }), () => session.run(feeds)], 8000);
  model.close();
  await session.release();
  return { nnc, onnx, shape };
}

/**
 * What bounds the ratio on this machine: the SIMD128 multiply-add peak (`simd-peak.ts`) against
 * the rate both engines reach on 1×1 convs (ResNet-50's 256 → 1024 → 256 at 28×28, twice), the
 * layers that dominate ResNet-50, DenseNet-121 and the mobile models.
 */
async function ceiling(): Promise<void> {
  const [c, m, hw] = [256, 1024, 28];
  const path = "pointwise.nn";
  const text = `model Pointwise(x: [N, ${c}, ${hw}, ${hw}]) {\n  return x -> conv(${m}, 1) -> conv(${c}, 1) -> conv(${m}, 1) -> conv(${c}, 1)\n}\n`;
  // The peak sampled before and after the convs' runs, its median set against their medians.
  const before = simdPeakSamples();
  const { nnc, onnx } = await compare("pointwise", path, (p) => (p === path ? text : undefined));
  const after = simdPeakSamples();
  const gflops = (ms: number): number => (4 * 2 * c * m * hw * hw) / ms / 1e6;
  const peak = { gflops: median([...before.samples, ...after.samples]), fused: before.fused };
  const arithmetic = peak.fused ? "fused multiply-adds" : "a multiply and an add";
  console.log(`\nWhat bounds the ratio: four 1×1 convs ${c} → ${m} → ${c} → ${m} → ${c} at ${hw}×${hw}, batch 1, one thread:`);
  console.log(`- WebAssembly SIMD128 peak on this core (${arithmetic}, operands in registers; the median of 20 runs around the convs'): ${peak.gflops.toFixed(1)} GFLOP/s`);
  console.log(`- nnc: ${nnc.toFixed(2)} ms, ${gflops(nnc).toFixed(1)} GFLOP/s (${((100 * gflops(nnc)) / peak.gflops).toFixed(0)} % of that peak)`);
  console.log(`- onnxruntime-node: ${onnx.toFixed(2)} ms, ${gflops(onnx).toFixed(1)} GFLOP/s (${(gflops(onnx) / peak.gflops).toFixed(2)}× the SIMD128 peak)`);
  console.log(`- within ${BOUND}× on such layers needs ${(gflops(onnx) / BOUND).toFixed(1)} GFLOP/s from nnc`);
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : DEFAULT;
  if (process.env.NNC_RELAXED_SIMD === "1") enableRelaxedSimd();
  const arithmetic = fusedMultiplyAddsByDefault() ? "fused multiply-adds (relaxed SIMD)" : "a multiply and an add";
  console.log(`node ${process.version}, onnxruntime-node ${ort.env.versions.common}; batch 1, one thread each, median ms per forward; nnc's convs: ${arithmetic}\n`);
  console.log(`| model | input | nnc (wasm plan) | onnxruntime-node | nnc / ort | within ${BOUND}× |`);
  console.log("|---|---|---|---|---|---|");
  for (const name of names) {
    const { nnc, onnx, shape } = await compare(name, `examples/${name}.nn`, host.readFile);
    const ratio = nnc / onnx;
    console.log(`| ${name} | ${shape.slice(1).join("×")} | ${nnc.toFixed(1)} | ${onnx.toFixed(1)} | ${ratio.toFixed(2)} | ${ratio <= BOUND ? "yes" : "no"} |`);
  }
  await ceiling();
}

await main();
