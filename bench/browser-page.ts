/**
 * The page side of `browser-speed.ts`, bundled by esbuild for Chromium with the generated
 * modules: in one cross-origin isolated page it times a forward of each model on nnc's
 * WebAssembly engine (1 and 2 threads), onnxruntime-web's WebAssembly backend (1 thread) on nnc's
 * ONNX export of the same model and weights, and TensorFlow.js's wasm backend (1 thread) on the
 * same architecture (`runtime-models.ts`, NHWC, fused conv + bias + relu).
 */
import * as ort from "onnxruntime-web";
import * as tf from "@tensorflow/tfjs-core";
import { getThreadsCount, setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { resnet18, resnet20, type BenchModel } from "./runtime-models.js";
import { tfjsForward } from "./runtime-tfjs.js";

/** One model to time: its generated module's `load`, its checkpoint and ONNX file by URL. */
export interface PageCase {
  model: "resnet20" | "resnet18";
  batch: number;
  weights: string;
  onnx: string;
}

export interface PageOptions {
  cases: PageCase[];
  /** Where the pages find onnxruntime-web's and tfjs's `.wasm` files (URL prefixes ending in `/`). */
  ortWasm: string;
  tfjsWasm: string;
  /** Least samples, and about how long to keep sampling, per engine. */
  samples: number;
  budgetMs: number;
}

/** Median ms per forward of each engine, by case; `diff` is the largest |nnc − onnxruntime-web| of one output. */
export interface PageTiming {
  model: string;
  batch: number;
  nnc1: number;
  nnc2: number;
  ort: number;
  tfjs: number;
  diff: number;
  /** The threads tfjs's wasm backend runs on (1 asked). */
  tfjsThreads: number;
}

interface Model {
  forward(x: { shape: number[]; data: Float32Array }): { data: Float32Array };
  close(): void;
}
export type Load = (source: string, options: { engine: "wasm"; threads: number }) => Promise<Model>;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The median time of each of `runs`, timed in turns (one run of each per round) after warm-up, so
 * that a change of the machine's load over the measurement weighs on all of them alike: at least
 * `samples` rounds, and more while within about `budgetMs`.
 */
export async function interleavedMedians(runs: readonly (() => unknown)[], samples: number, budgetMs: number): Promise<number[]> {
  for (let i = 0; i < 4; i++) {
    for (const run of runs) await run();
    // A pause lets the page start its workers.
    await pause(50);
  }
  const times = runs.map((): number[] => []);
  const start = performance.now();
  for (let round = 0; round < samples || (performance.now() - start < budgetMs && round < 100); round++) {
    for (const [k, run] of runs.entries()) {
      const t0 = performance.now();
      await run();
      times[k].push(performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

/** A fixed pseudo-random input (the same in every engine). */
export function benchInput(size: number): Float32Array {
  let state = 12345;
  return Float32Array.from({ length: size }, () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2147483648 - 1;
  });
}

const MODELS: Record<PageCase["model"], () => BenchModel> = { resnet20, resnet18 };
const SHAPES: Record<PageCase["model"], number[]> = { resnet20: [3, 32, 32], resnet18: [3, 224, 224] };

/** Times every case on every engine, in this page. */
export async function measurePage(loads: Record<PageCase["model"], Load>, options: PageOptions): Promise<PageTiming[]> {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = options.ortWasm;
  setWasmPaths(options.tfjsWasm);
  setThreadsCount(1);
  if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the wasm backend did not start");
  const timings: PageTiming[] = [];
  for (const c of options.cases) {
    const shape = [c.batch, ...SHAPES[c.model]];
    const data = benchInput(shape.reduce((a, b) => a * b, 1));
    const x = { shape, data };
    const nnc1 = await loads[c.model](c.weights, { engine: "wasm", threads: 1 });
    const nnc2 = await loads[c.model](c.weights, { engine: "wasm", threads: 2 });
    const output = nnc1.forward(x).data;
    const session = await ort.InferenceSession.create(c.onnx, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, shape) };
    const ortOutput = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
    // tfjs takes NHWC; the layout of the input does not change the time.
    const tfjs = tfjsForward(MODELS[c.model](), c.batch);
    const [nnc1Ms, nnc2Ms, ortMs, tfjsMs] = await interleavedMedians(
      [() => nnc1.forward(x), () => nnc2.forward(x), () => session.run(feeds), () => tfjs.forward(data)],
      options.samples,
      options.budgetMs,
    );
    nnc1.close();
    nnc2.close();
    await session.release();
    let diff = 0;
    for (let i = 0; i < output.length; i++) diff = Math.max(diff, Math.abs(output[i] - ortOutput[i]));
    timings.push({ model: c.model, batch: c.batch, nnc1: nnc1Ms, nnc2: nnc2Ms, ort: ortMs, tfjs: tfjsMs, diff, tfjsThreads: getThreadsCount() });
  }
  return timings;
}
