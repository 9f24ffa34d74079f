/**
 * Milliseconds per forward of generated modules: ResNet-20 at batch 1 and 32, the MNIST LeNet,
 * and a pre-activation step whose batch norm cannot fold (bench/preact.nn), fused (the default) and unfused, each compiled by `compileModel` into `.build/`
 * (importing the compiled runtime) and run with plain node, as a user of the module would, on
 * each engine `load` offers: the readable TypeScript code (`engine: "ts"`) and the WebAssembly
 * plan on one and two threads (`engine: "wasm"`, `threads: 1 | 2`).
 * Weights are `nnc init`'s (seed 0): speed does not depend on their values.
 *
 *   npm run bench:forward
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import { compileModel } from "../compiler/emit/compile-model.js";
import { initialWeights } from "../compiler/weights/init.js";

/** `.build/bench`, where this file runs from; the compiled runtime is `.build/runtime`. */
const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const host = { readFile: (path: string) => { try { return readFileSync(resolve(root, path), "utf8"); } catch { return undefined; } } };

interface Model {
  forward(x: { shape: number[]; data: Float32Array }): unknown;
  readonly engine: "wasm" | "ts";
  close(): void;
}

/** An engine of the module's `load` options, as the table names it. */
interface Engine {
  readonly label: string;
  readonly options: { engine: "wasm" | "ts"; threads?: number };
}

const ENGINES: readonly Engine[] = [
  { label: "ts", options: { engine: "ts" } },
  { label: "wasm, 1 thread", options: { engine: "wasm", threads: 1 } },
  { label: "wasm, 2 threads", options: { engine: "wasm", threads: 2 } },
];

async function build(example: string, fuse: boolean, engine: Engine): Promise<{ model: Model; inputShape: number[] }> {
  const path = example.includes("/") ? example : `examples/${example}.nn`;
  const result = await compileModel({ path, host, fuse, runtimeModule: "../runtime/index.js" });
  if (!result.ok) throw new Error(`${example}: ${result.errors.join("; ")}`);
  const dir = join(here, "..", "generated");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${example.replace(/^.*\/|\.nn$/g, "")}${fuse ? "" : "-unfused"}.ts`);
  const ts = await import("typescript");
  const source = result.files.find((f) => f.name.endsWith(".ts"))!.contents as string;
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  writeFileSync(file.replace(/\.ts$/, ".js"), js);
  const module = (await import(pathToFileURL(file.replace(/\.ts$/, ".js")).href)) as {
    load(w: Record<string, Float32Array>, options: Engine["options"]): Promise<Model>;
  };
  const checked = result.check.models[0];
  const model = await module.load(Object.fromEntries(initialWeights(checked, 0)), engine.options);
  const shape = checked.values[checked.inputs[0].value].shape.map((d) => (typeof d === "number" ? d : 1));
  return { model, inputShape: shape };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeForward(model: Model, shape: number[], budgetMs: number): { median: number; min: number; runs: number } {
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
  const x = { shape, data };
  // Warm-up: JIT, first allocations, and worker threads, which take tens of milliseconds to
  // start (until then the caller's thread does all the work).
  const warm = performance.now();
  for (let i = 0; i < 3 || performance.now() - warm < 300; i++) model.forward(x);
  const times: number[] = [];
  const start = performance.now();
  while (times.length < 3 || (performance.now() - start < budgetMs && times.length < 50)) {
    const t0 = performance.now();
    model.forward(x);
    times.push(performance.now() - t0);
  }
  return { median: median(times), min: Math.min(...times), runs: times.length };
}

const cases = [
  { example: "resnet20", batch: 1 },
  { example: "resnet20", batch: 32 },
  { example: "lenet", batch: 1 },
  { example: "lenet", batch: 32 },
  // A batch norm no convolution can absorb: the fused module must not be slower than the unfused.
  { example: "bench/preact.nn", batch: 1 },
];
const rows = [["model", "batch", "engine", "fused ms (median)", "fused min", "unfused ms (median)", "runs"]];
for (const { example, batch } of cases) {
  for (const engine of ENGINES) {
    const cells: string[] = [example, String(batch), engine.label];
    let runs = 0;
    for (const fuse of [true, false]) {
      const { model, inputShape } = await build(example, fuse, engine);
      const t = timeForward(model, [batch, ...inputShape.slice(1)], 3000);
      model.close();
      cells.push(t.median.toFixed(2));
      if (fuse) cells.push(t.min.toFixed(2));
      runs = t.runs;
    }
    cells.push(String(runs));
    rows.push(cells);
  }
}
console.log(`node ${process.version}, generated modules on the runtime of runtime/ (engine "ts": its TypeScript kernels; "wasm": the plan of runtime/fast)`);
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => (c <= 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
