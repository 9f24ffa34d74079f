/**
 * Per-step time of an example model on the WebAssembly plan, one thread, batch 1: the example's
 * generated module is loaded with its runtime import pointed at a shim that keeps the graph and
 * weights `load` hands to the engine; the plan is compiled from them and each action is timed
 * over many forwards (median), with its kernel, shape and, for convs, GFLOP/s (direct
 * multiply-adds × 2 over its time). Rows are grouped by kind at the end.
 *
 *   npm run bench:steps -- mobilenet_v2 [RUNS]
 *
 * With `WINOGRAD=0` in the environment every conv runs on the direct kernel (`winograd: false`);
 * `THREADS=2` runs the plan on two threads, `BATCH=32` at that batch, and `NNC_RELAXED_SIMD=1`
 * turns relaxed SIMD on first, as `bench:zoo` does (in Node 20 the plan fuses no multiply-add
 * without it). `COMPARE` (plan options as
 * JSON, e.g. `COMPARE='{"winogradTile":2}'`) also compiles the plan with those options and runs
 * the two step by step in turns, with a column for the other plan's time and the ratio: on a
 * shared machine, whose speed moves by tens of percent between minutes, the ratio of two plans
 * timed in one run is the figure to trust, not two runs' totals.
 */
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { compileModel } from "../compiler/emit/compile-model.js";
import { initialWeights } from "../compiler/weights/init.js";
import { analysePlan } from "../runtime/fast/plan-analysis.js";
import { compileWasm } from "../runtime/fast/plan-wasm.js";
import { kernelFallback, type RuntimeKernel } from "../runtime/fast/fallback.js";
import { kernelEntry } from "../runtime/ops/kernel-table.js";
import { convKernel } from "../runtime/fast/steps/conv-step.js";
import { winogradShape } from "../runtime/fast/winograd.js";
import type { ModuleGraph } from "../runtime/fast/module-engine.js";
import type { Tensor } from "../runtime/tensor.js";
import { enableRelaxedSimd, fusedMultiplyAddsByDefault } from "../runtime/wasm/relaxed-simd.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const name = process.argv[2] ?? "mobilenet_v2";
const RUNS = Number(process.argv[3] ?? 20);
// As in `bench:zoo`: relaxed SIMD on in Node 20, so the plan fuses its multiply-adds where the CPU gains.
if (process.env.NNC_RELAXED_SIMD === "1") enableRelaxedSimd();
// Forwards before timing: large kernels are compiled again, optimized, after their first calls.
const WARMUP = 10;
const host = { readFile: (path: string) => { try { return readFileSync(resolve(root, path), "utf8"); } catch { return undefined; } } };

const dir = join(here, "..", "generated");
mkdirSync(dir, { recursive: true });
const shim = join(dir, "zoo-steps-runtime.js");
const runtimeIndex = pathToFileURL(join(here, "..", "runtime", "index.js")).href;
writeFileSync(shim, `export * from ${JSON.stringify(runtimeIndex)};
export function fastForward(model, graph, weights, kernels) { globalThis.__captured = { graph, weights, kernels }; return undefined; }\n`);
const module = await compileModel({ path: `examples/${name}.nn`, host, runtimeModule: "./zoo-steps-runtime.js" });
if (!module.ok) throw new Error(module.errors.join("; "));
const ts = await import("typescript");
const source = module.files.find((f) => f.name.endsWith(".ts"))!.contents as string;
const file = join(dir, `${name}.steps.js`);
writeFileSync(file, ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText);
const loaded = (await import(pathToFileURL(file).href)) as { load(w: Record<string, Float32Array>, o: object): Promise<unknown> };
const checked = module.check.models[0];
await loaded.load(Object.fromEntries(initialWeights(checked, 0)), { engine: "wasm" });
const { graph, weights, kernels } = (globalThis as unknown as { __captured: { graph: ModuleGraph; weights: Record<string, Tensor>; kernels: Record<string, RuntimeKernel> } }).__captured;
const steps = graph.steps.map((s) => ({ ...s, attrs: s.attrs ?? {} }));
const calls = new Map(steps.map((s) => [s.output, kernelEntry(s.op, s.name ?? s.output).kernel(s, false)]));
const batch = Number(process.env.BATCH ?? 1);
const threads = Number(process.env.THREADS ?? 1);
const shape = checked.values[checked.inputs[0].value].shape.map((d, i) => (i === 0 ? batch : typeof d === "number" ? d : 1));
const planGraph = { inputs: graph.inputs.map((n) => ({ name: n, shape })), outputs: graph.outputs, steps };
const fallback = kernelFallback(kernels, (s) => calls.get(s.output)!);
const winograd = process.env.WINOGRAD !== "0";
const compare = process.env.COMPARE === undefined ? undefined : (JSON.parse(process.env.COMPARE) as object);
const plans = [{}, ...(compare === undefined ? [] : [compare])].map((options) => {
  const layout = analysePlan(planGraph, new Map(Object.entries(weights)), { blocked: true, fallback });
  const compiled = compileWasm(layout, { threads, fallback, winograd, ...options });
  compiled.tensors.inputs = [{ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37)) }];
  return { layout, compiled, times: compiled.steps.map(() => [] as number[]) };
});
const { layout, times } = plans[0]!;
for (let r = 0; r < RUNS + WARMUP; r++) {
  for (const plan of plans) {
    plan.compiled.steps.forEach((step, k) => {
      const t = performance.now();
      step();
      if (r >= WARMUP) plan.times[k]!.push(performance.now() - t);
    });
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
let total = 0;
let compareTotal = 0;
const byKind = new Map<string, number>();
const rows: string[] = [];
layout.actions.forEach((a, k) => {
  const ms = median(times[k]);
  total += ms;
  let what: string = a.kind;
  let kind: string = a.kind;
  let gf = "";
  if (a.kind === "conv") {
    const [m, ci, kh, kw] = a.weight.shape;
    const win = a.window;
    // The default plan's Winograd tile (F(4×4, 3×3) for enough blocks of 4×4 outputs).
    const chosen = convKernel(a, winograd);
    const kernel = chosen + (chosen === "winograd" && winogradShape(m, ci, batch, win.oh, win.ow).tile === 4 ? " 4x4" : "");
    kind = `conv ${kernel}${kh === 1 && kw === 1 ? " 1x1" : ""}`;
    what = `conv ${kernel} ${ci * a.group}->${m} g${a.group} ${kh}x${kw}/${win.sh} out ${win.oh}x${win.ow}${a.residual !== undefined ? " +res" : ""}${a.after ? ` +${a.after.kind === "pointwise" ? a.after.op : a.after.kind}` : ""}`;
    gf = ((2 * batch * m * ci * kh * kw * win.oh * win.ow) / ms / 1e6).toFixed(1);
  } else if ("step" in a && a.step) {
    what = `${a.kind} ${(a.step as unknown as { op: string }).op}`;
    kind = what;
  }
  byKind.set(kind, (byKind.get(kind) ?? 0) + ms);
  // The other plan's actions are the same, one for one: the options change kernels, not the graph.
  const other = plans[1] === undefined ? "" : ` ${median(plans[1].times[k]!).toFixed(3)} | ${(median(plans[1].times[k]!) / ms).toFixed(2)} |`;
  compareTotal += plans[1] === undefined ? 0 : median(plans[1].times[k]!);
  rows.push(`| ${k} | ${what} | ${ms.toFixed(3)} | ${gf} |${other}`);
});
const arithmetic = fusedMultiplyAddsByDefault() ? "fused multiply-adds" : "a multiply and an add";
console.log(`${name}: node ${process.version}; ${threads} thread(s), batch ${batch}, ${arithmetic}; median of ${RUNS}; sum of steps ${total.toFixed(2)} ms`);
if (compare !== undefined) console.log(`with ${JSON.stringify(compare)}, in turns: ${compareTotal.toFixed(2)} ms, ${(compareTotal / total).toFixed(2)}× the default`);
console.log(`| # | action | ms | GFLOP/s |${compare === undefined ? "" : " with COMPARE ms | ratio |"}\n|---|---|---|---|${compare === undefined ? "" : "---|---|"}`);
console.log(rows.join("\n"));
console.log("\n| kind | ms | share |\n|---|---|---|");
for (const [k, ms] of [...byKind].sort((a, b) => b[1] - a[1])) console.log(`| ${k} | ${ms.toFixed(2)} | ${((100 * ms) / total).toFixed(0)} % |`);
plans.forEach((plan) => plan.compiled.close());
