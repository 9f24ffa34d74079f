/**
 * Forward time in Chromium, side by side in one page: ResNet-20 (batch 32, 3×32×32) and ResNet-18
 * (batch 1, 3×224×224) as generated modules on nnc's WebAssembly engine with 1 and 2 threads (the
 * page is cross-origin isolated, so two threads use a Web Worker), onnxruntime-web's WebAssembly
 * backend on nnc's ONNX export of the same model and weights (`nnc init`, seed 0; one thread),
 * and TensorFlow.js's wasm backend on the same architecture (one thread); Node runs the same
 * generated modules for reference. The modules and the page (`browser-page.ts`) are bundled by
 * esbuild for the browser and served from 127.0.0.1. Prints the median ms per forward after
 * warm-up, the engines of a model timed in turns (one forward each per round, so that the load of
 * a shared machine weighs on all alike), the ratios, and whether the goals hold: nnc on one thread at least 2× faster than
 * both, and two threads at least 1.6× faster than one, in the page.
 *
 *   npm run bench:browser            (QUICK=1 for fewer runs)
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { compileModel } from "../compiler/emit/compile-model.js";
import { launchChromium, CHROMIUM_AVAILABLE, CHROMIUM } from "../test/support/chromium.js";
import { servePages } from "../test/browser/page-server.js";
import { benchInput, interleavedMedians, type Load, type PageCase, type PageOptions, type PageTiming } from "./browser-page.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const host = { readFile: (path: string) => { try { return readFileSync(resolve(root, path), "utf8"); } catch { return undefined; } } };
const quick = process.env.QUICK === "1";
const SAMPLES = quick ? 5 : 15;
const BUDGET_MS = quick ? 1000 : 6000;
const CASES: { model: PageCase["model"]; batch: number; shape: number[] }[] = [
  { model: "resnet20", batch: 32, shape: [3, 32, 32] },
  { model: "resnet18", batch: 1, shape: [3, 224, 224] },
];
/** The goals: nnc on one thread this many times faster than each peer, and two threads than one. */
const PEER_GOAL = 2;
const THREADS_GOAL = 1.6;

/** esbuild for the browser (or Node), with `nnc/runtime` at the repository's runtime. */
async function bundle(entry: string, outfile: string, platform: "browser" | "node"): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform,
    alias: { "nnc/runtime": join(root, "runtime/index.ts") },
    logLevel: "error",
  });
}

async function main(): Promise<void> {
  if (!CHROMIUM_AVAILABLE) {
    console.log(`bench:browser needs Chromium (${CHROMIUM} is missing)`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "nnc-bench-browser-"));
  const files: [string, string | Uint8Array][] = [];
  for (const { model } of CASES) {
    const path = `examples/${model}.nn`;
    const module = await compileModel({ path, host });
    const onnx = await compileModel({ path, host, target: "onnx" });
    if (!module.ok || !onnx.ok) throw new Error(`${model}: ${[...module.errors, ...onnx.errors].join("; ")}`);
    for (const file of module.files) writeFileSync(join(dir, file.name), file.contents);
    files.push([`${model}.safetensors`, module.files.find((f) => f.name.endsWith(".safetensors"))!.contents as Uint8Array]);
    files.push([`${model}.onnx`, onnx.files.find((f) => f.name.endsWith(".onnx"))!.contents as Uint8Array]);
  }
  const imports = CASES.map(({ model }) => `import { load as ${model} } from ${JSON.stringify(join(dir, `${model}.ts`))};`).join("\n");
  const loads = `{ ${CASES.map(({ model }) => model).join(", ")} }`;
  writeFileSync(
    join(dir, "page.entry.ts"),
    `${imports}\nimport { measurePage } from ${JSON.stringify(join(root, "bench/browser-page.ts"))};\nexport const measure = (options) => measurePage(${loads}, options);\n`,
  );
  writeFileSync(join(dir, "node.entry.ts"), `${imports}\nexport const loads = ${loads};\n`);
  await bundle(join(dir, "page.entry.ts"), join(dir, "page.js"), "browser");
  await bundle(join(dir, "node.entry.ts"), join(dir, "node.mjs"), "node");
  files.push(["page.js", readFileSync(join(dir, "page.js"), "utf8")]);
  for (const [prefix, folder] of [
    ["ort/", "node_modules/onnxruntime-web/dist"],
    ["tfjs/", "node_modules/@tensorflow/tfjs-backend-wasm/dist"],
  ] as const) {
    for (const name of readdirSync(join(root, folder))) {
      if (/\.(wasm|mjs)$/.test(name)) files.push([prefix + name, readFileSync(join(root, folder, name))]);
    }
  }

  // Node's reference: the same modules and weights, one and two worker_threads.
  const node = (await import(pathToFileURL(join(dir, "node.mjs")).href)) as { loads: Record<PageCase["model"], Load> };
  const nodeTimes = new Map<string, [number, number]>();
  for (const c of CASES) {
    const x = { shape: [c.batch, ...c.shape], data: benchInput(c.batch * c.shape.reduce((a, b) => a * b, 1)) };
    const models = [await node.loads[c.model](join(dir, `${c.model}.safetensors`), { engine: "wasm", threads: 1 })];
    models.push(await node.loads[c.model](join(dir, `${c.model}.safetensors`), { engine: "wasm", threads: 2 }));
    const [one, two] = await interleavedMedians(models.map((model) => () => model.forward(x)), SAMPLES, BUDGET_MS);
    for (const model of models) model.close();
    nodeTimes.set(c.model, [one, two]);
  }

  const server = await servePages(files);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    page.on("console", (message) => console.log(`page: ${message.text()}`));
    page.on("response", (response) => void (response.status() >= 400 && !response.url().endsWith("/favicon.ico") && console.log(`page: HTTP ${response.status()} for ${response.url()}`)));
    await page.goto(`${server.origin}/isolated/`);
    const base = `${server.origin}/isolated/`;
    const options: PageOptions = {
      cases: CASES.map(({ model, batch }) => ({ model, batch, weights: `${base}${model}.safetensors`, onnx: `${base}${model}.onnx` })),
      ortWasm: `${base}ort/`,
      tfjsWasm: `${base}tfjs/`,
      samples: SAMPLES,
      budgetMs: BUDGET_MS,
    };
    const version = browser.context.browser()?.version() ?? "?";
    const isolated = (await page.evaluate("crossOriginIsolated")) as boolean;
    // Source text: the page imports the bundle itself.
    const timings = (await page.evaluate(`import(${JSON.stringify(`${base}page.js`)}).then((m) => m.measure(${JSON.stringify(options)}))`)) as PageTiming[];
    console.log(
      `\n${new Date().toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores; Chromium ${version} headless` +
        ` (cross-origin isolated: ${isolated}); node ${process.version}; median ms per forward after warm-up\n`,
    );
    console.log("| model | batch | nnc 1 thread | nnc 2 threads | 2 threads / 1 | onnxruntime-web (1 thread) | tfjs-wasm (1 thread) | nnc vs ort-web | nnc vs tfjs | Node nnc 1 / 2 threads |");
    console.log("|---|---|---|---|---|---|---|---|---|---|");
    const goals: string[] = [];
    for (const t of timings) {
      const [node1, node2] = nodeTimes.get(t.model)!;
      const name = t.model === "resnet20" ? "ResNet-20" : "ResNet-18";
      console.log(
        `| ${name} | ${t.batch} | ${t.nnc1.toFixed(1)} | ${t.nnc2.toFixed(1)} | ${(t.nnc1 / t.nnc2).toFixed(2)}× | ${t.ort.toFixed(1)} | ` +
          `${t.tfjs.toFixed(1)} | ${(t.ort / t.nnc1).toFixed(2)}× | ${(t.tfjs / t.nnc1).toFixed(2)}× | ${node1.toFixed(1)} / ${node2.toFixed(1)} |`,
      );
      const peers = t.ort / t.nnc1 >= PEER_GOAL && t.tfjs / t.nnc1 >= PEER_GOAL;
      goals.push(`${name}: nnc ≥ ${PEER_GOAL}× both peers on one thread: ${peers ? "met" : "not met"}; 2 threads ≥ ${THREADS_GOAL}× 1 thread: ${t.nnc1 / t.nnc2 >= THREADS_GOAL ? "met" : "not met"}`);
      if (t.tfjsThreads !== 1) goals.push(`${name}: tfjs ran on ${t.tfjsThreads} threads, not 1`);
      if (t.diff > 1e-3) goals.push(`${name}: nnc and onnxruntime-web disagree by ${t.diff.toExponential(2)}`);
    }
    console.log(`\n${goals.join("\n")}`);
  } finally {
    await browser.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
