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

/** The median of `run`'s time after warm-up (pausing between warm-up runs lets workers start). */
export async function medianMs(run: () => unknown, samples: number, budgetMs: number): Promise<number> {
  for (let i = 0; i < 4; i++) {
    await run();
    await pause(50);
  }
  const times: number[] = [];
  const start = performance.now();
  while (times.length < samples || (performance.now() - start < budgetMs && times.length < 100)) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
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
    const times: number[] = [];
    let output: Float32Array = new Float32Array(0);
    for (const threads of [1, 2]) {
      const model = await loads[c.model](c.weights, { engine: "wasm", threads });
      output = model.forward(x).data;
      times.push(await medianMs(() => model.forward(x), options.samples, options.budgetMs));
      model.close();
    }
    const session = await ort.InferenceSession.create(c.onnx, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
    const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", data, shape) };
    const ortOutput = (await session.run(feeds))[session.outputNames[0]].data as Float32Array;
    const ortMs = await medianMs(() => session.run(feeds), options.samples, options.budgetMs);
    await session.release();
    // tfjs takes NHWC; the layout of the input does not change the time.
    const tfjs = tfjsForward(MODELS[c.model](), c.batch);
    const tfjsMs = await medianMs(() => tfjs.forward(data), options.samples, options.budgetMs);
    let diff = 0;
    for (let i = 0; i < output.length; i++) diff = Math.max(diff, Math.abs(output[i] - ortOutput[i]));
    timings.push({ model: c.model, batch: c.batch, nnc1: times[0], nnc2: times[1], ort: ortMs, tfjs: tfjsMs, diff, tfjsThreads: getThreadsCount() });
  }
  return timings;
}
