/**
 * The plan executor: compiles an inference graph once, for concrete input shapes, into a list of
 * kernel calls over memory laid out ahead of time, and runs it on every forward.
 *
 * On the WebAssembly path (`plan-wasm.ts`) every image activation lives in one
 * `WebAssembly.Memory`, in the blocked channels-last layout (`layout.ts`): convs (direct,
 * Winograd or depthwise; residual add and relu fused), pools, adds, relus, activations, norms,
 * concats and channel slices and shuffles run as generated SIMD128 kernels over it (one step per operator in `steps/`), and a
 * value is converted to plain NCHW only where an operator without such a kernel, a dense layer
 * or a graph output reads it. The memory holds the packed weights (the plan keeps no JavaScript
 * copy of conv and dense weights), the activation arena laid out by `planBuffers` from the
 * actions' live ranges (`plan-arenas.ts`), and the steps' scratch; plain values share a second,
 * JavaScript arena. After the first call a forward allocates no buffer. With `threads > 1`,
 * convs and pools are split by output rows (or, for a few rows, by output channel blocks) across
 * worker threads that share the memory (`plan-threads.ts`).
 *
 * Without WebAssembly (or with `wasm: false`) the same actions run the TypeScript kernels of
 * `nnc/runtime` on plain buffers (`plan-ts.ts`).
 *
 * This file is the driver: analyse the graph (`plan-analysis.ts`), compile it on one path, and
 * run the resulting steps.
 */
import { sizeOf, type Tensor } from "../tensor.js";
import { wasmAvailable } from "./wasm-support.js";
import { analysePlan } from "./plan-analysis.js";
import type { PlainTensors } from "./plan-arenas.js";
import type { FallbackKernel, PlanGraph, PlanLayout } from "./plan-graph.js";
import { compileTs } from "./plan-ts.js";
import { compileWasm } from "./plan-wasm.js";

export type { FallbackKernel, PlanGraph, PlanInput, PlanStep, PlanAttr } from "./plan-graph.js";

/** How to compile a plan. */
export interface PlanOptions {
  /** Runs steps the plan has no kernel for (see {@link FallbackKernel}); required only if there are such steps. */
  fallback?: FallbackKernel;
  /** Use the WebAssembly kernels (default: when {@link wasmAvailable}). */
  wasm?: boolean;
  /** Threads for convs and pools, the caller's included (default 1). Needs WebAssembly and workers over a shared memory (Node's `worker_threads`, a cross-origin isolated page's Web Workers); one thread elsewhere. */
  threads?: number;
  /** Run the 3×3 convs that suit it as Winograd F(2×2, 3×3) or F(4×4, 3×3) (default true; see `winograd.ts`). */
  winograd?: boolean;
  /**
   * The largest Winograd tile: 4 (default) runs the Winograd convs with at least 16 blocks of
   * 4×4 outputs as F(4×4, 3×3); 2 keeps every Winograd conv F(2×2, 3×3).
   */
  winogradTile?: 2 | 4;
  /**
   * Accumulate the conv kernels with fused multiply-adds (relaxed SIMD's `f32x4.relaxed_madd`),
   * where the engine has relaxed SIMD (elsewhere never). Default: where the CPU gains from them
   * (Intel cores; see `runtime/wasm/relaxed-simd.ts`).
   */
  fma?: boolean;
}

/** Bytes a plan holds, by purpose. */
export interface PlanMemory {
  /** Packed weights in the WebAssembly memory, plus weights kept for TypeScript kernels. */
  weights: number;
  /** The activation arenas (blocked and plain), as planned. */
  activations: number;
  /** The WebAssembly memory's size (weights, activations, descriptors and scratch). */
  heap: number;
  /** Everything the plan allocated: the WebAssembly memory and the plain arena. */
  total: number;
}

/** A compiled graph. */
export interface Plan {
  /**
   * Runs the graph on `inputs` (graph input order, the shapes compiled for) and returns its
   * outputs. The outputs are views into the plan's arena: the next `run` overwrites them.
   */
  run(inputs: readonly Tensor[]): Tensor[];
  /** `"wasm"` or `"ts"`: which kernels run. */
  readonly engine: "wasm" | "ts";
  /** Threads in use (1 unless compiled with `threads` on the WebAssembly path). */
  readonly threads: number;
  readonly memory: PlanMemory;
  /**
   * How many actions of each kind run per forward (`conv`, `conv+residual`, `pool`, `toBlocked`,
   * `groupNorm`, `frn`, `batchNorm`, `channelNorm`, `gather`, `fallback:Op`, ...): what the plan fused and where it
   * converts layouts; `of which winograd`
   * counts the convs (with or without residual) that run as Winograd, `of which winograd 4×4`
   * those of them that run as F(4×4, 3×3).
   */
  readonly kernels: Readonly<Record<string, number>>;
  /** Stops the worker threads, if any; the plan must not run afterwards. */
  close(): void;
}

/** What a path (`plan-ts.ts`, `plan-wasm.ts`) compiles a layout into; {@link compilePlan} runs it. */
export interface CompiledSteps {
  readonly engine: "wasm" | "ts";
  readonly threads: number;
  /** The plain buffers, the graph inputs among them. */
  readonly tensors: PlainTensors;
  /** One call per action, in order. */
  readonly steps: readonly (() => void)[];
  readonly memory: PlanMemory;
  /** Counts added to the actions' in `Plan.kernels` (`of which winograd`). */
  readonly counts?: Readonly<Record<string, number>>;
  close(): void;
}

/**
 * Compiles `graph` for its inputs' shapes. `weights` maps every non-activation input of a step
 * to its tensor (for a generated module: the folded constants computed in `load()`).
 */
export function compilePlan(graph: PlanGraph, weights: ReadonlyMap<string, Tensor>, options: PlanOptions = {}): Plan {
  const wasm = (options.wasm ?? true) && wasmAvailable();
  const layout = analysePlan(graph, weights, {
    blocked: wasm,
    fallback: options.fallback,
  });
  const compiled = wasm ? compileWasm(layout, options) : compileTs(layout, options);
  const { tensors, steps } = compiled;
  return {
    engine: compiled.engine,
    threads: compiled.threads,
    kernels: { ...countKernels(layout), ...compiled.counts },
    memory: compiled.memory,
    run(inputs) {
      checkInputs(graph, inputs);
      tensors.inputs = inputs;
      for (const step of steps) step();
      return layout.outputs.map((b) => tensors.tensor(layout, b));
    },
    close() {
      compiled.close();
    },
  };
}

/** Counts the actions by kind; a conv with a residual input counts as `conv+residual`. */
function countKernels(layout: PlanLayout): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of layout.actions) {
    const norms = { group: "groupNorm", frn: "frn", batch: "batchNorm", pixel: "channelNorm" } as const;
    const kind =
      a.kind === "conv" && a.residual !== undefined ? "conv+residual" : a.kind === "fallback" ? `fallback:${a.step.op}` : a.kind === "norm" ? norms[a.norm.form] : a.kind;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

function checkInputs(graph: PlanGraph, inputs: readonly Tensor[]): void {
  if (inputs.length !== graph.inputs.length) throw new Error(`plan: expected ${graph.inputs.length} inputs, got ${inputs.length}`);
  graph.inputs.forEach((expected, k) => {
    const got = inputs[k];
    if (got.shape.join() !== expected.shape.join() || got.data.length < sizeOf(got.shape)) {
      throw new Error(`plan: input ${expected.name} was compiled for shape [${expected.shape.join(", ")}], got [${got.shape.join(", ")}]`);
    }
  });
}
