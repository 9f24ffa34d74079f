/**
 * The engine choice of a generated inference module (`load(source, { engine, threads })`): with
 * the WebAssembly engine, `forward` runs the module's inference graph through {@link compilePlan}
 * — one plan per input shape, compiled on first use and kept (the {@link KEPT_PLANS} most
 * recently used) — instead of its readable per-layer TypeScript code, which stays the reference
 * and the fallback. A step the plan has no kernel for runs the runtime kernel the readable code
 * calls for it (`fallback.ts`), which the operator registry (`runtime/ops/`) names for the step's
 * operator: a module stores its steps as data, never their kernel calls. Outputs are copied out of
 * the plan's arena, so a result stays valid however many forwards follow.
 */
import { kernelEntry } from "../ops/kernel-table.js";
import type { Tensor } from "../tensor.js";
import { kernelFallback, type KernelCallData, type RuntimeKernel } from "./fallback.js";
import { wasmEnabled } from "./wasm-support.js";
import { compilePlan, type Plan } from "./plan.js";
import type { PlanStep } from "./plan-graph.js";

/** Which kernels a module's `forward` runs: `auto` picks `wasm` where WebAssembly SIMD runs. */
export type ModelEngine = "auto" | "wasm" | "ts";

/** The engine options of a generated module's `load`. */
export interface EngineOptions {
  /** `"auto"` (default): the WebAssembly plan where WebAssembly SIMD is available, else the TypeScript code; `"wasm"` or `"ts"` force one. */
  readonly engine?: ModelEngine;
  /** Threads the WebAssembly engine splits convolutions and pools over, the caller's included (default 1; Node's `worker_threads`, or Web Workers in a cross-origin isolated page; elsewhere one thread). */
  readonly threads?: number;
}

/** An inference step as a module stores it: a plan step, whose `attrs` may be left out when there are none. */
export interface ModuleStep extends Omit<PlanStep, "attrs"> {
  readonly attrs?: PlanStep["attrs"];
}

/** A module's inference graph: graph inputs and outputs by value name, the non-constant steps in order. */
export interface ModuleGraph {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly steps: readonly ModuleStep[];
}

/** Input shapes that keep a compiled plan at once; the least recently used beyond them is closed. */
export const KEPT_PLANS = 4;

/** Runs a module's graph as WebAssembly plans, one per input shape. */
export class FastForward {
  private readonly plans = new Map<string, Plan>();
  private readonly steps: readonly PlanStep[];
  private readonly weights: ReadonlyMap<string, Tensor>;
  /** The inference kernel call of each step, by output: what the module's readable code calls. */
  private readonly calls: ReadonlyMap<string, KernelCallData>;

  constructor(
    private readonly graph: ModuleGraph,
    weights: Readonly<Record<string, Tensor>>,
    private readonly kernels: Readonly<Record<string, RuntimeKernel>>,
    private readonly threads: number,
  ) {
    this.steps = graph.steps.map((step) => ({ ...step, attrs: step.attrs ?? {} }));
    this.weights = new Map(Object.entries(weights));
    this.calls = new Map(this.steps.map((step) => [step.output, kernelEntry(step.op, step.name ?? step.output).kernel(step, false)]));
  }

  /** The graph's outputs for `inputs` (checked by the caller), as fresh tensors. */
  run(inputs: readonly Tensor[]): Tensor[] {
    const key = inputs.map((t) => t.shape.join(",")).join(";");
    let plan = this.plans.get(key);
    if (plan === undefined) {
      plan = compilePlan(
        {
          inputs: this.graph.inputs.map((name, k) => ({ name, shape: [...inputs[k].shape] })),
          outputs: this.graph.outputs,
          steps: this.steps,
        },
        this.weights,
        { wasm: true, threads: this.threads, fallback: kernelFallback(this.kernels, (step) => this.calls.get(step.output)!) },
      );
      if (this.plans.size >= KEPT_PLANS) {
        const [oldest, old] = this.plans.entries().next().value!;
        old.close();
        this.plans.delete(oldest);
      }
    } else {
      this.plans.delete(key);
    }
    this.plans.set(key, plan);
    return plan.run(inputs).map((t) => ({ shape: [...t.shape], data: t.data.slice() }));
  }

  /** Stops every plan's worker threads and drops the plans; a later `run` compiles again. */
  close(): void {
    for (const plan of this.plans.values()) plan.close();
    this.plans.clear();
  }
}

/**
 * The WebAssembly engine for a module's `load` options, or `undefined` for the TypeScript code:
 * `"ts"`, or `"auto"` without WebAssembly SIMD. Throws for `"wasm"` without it, and for an
 * unknown engine or a thread count that is not a positive integer.
 */
export function fastForward(
  model: string,
  graph: ModuleGraph,
  weights: Readonly<Record<string, Tensor>>,
  kernels: Readonly<Record<string, RuntimeKernel>>,
  options: EngineOptions = {},
): FastForward | undefined {
  const engine: unknown = options.engine ?? "auto";
  if (engine !== "auto" && engine !== "wasm" && engine !== "ts") {
    throw new Error(`${model}: load option engine must be "auto", "wasm" or "ts", got ${JSON.stringify(engine)}`);
  }
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`${model}: load option threads must be a positive integer, got ${String(threads)}`);
  if (engine === "ts") return undefined;
  if (!wasmEnabled()) {
    if (engine === "auto") return undefined;
    throw new Error(`${model}: engine "wasm" needs WebAssembly with SIMD128, which this JavaScript engine lacks (or setWasmEnabled(false) turned off); load with engine "auto" or "ts"`);
  }
  return new FastForward(graph, weights, kernels, threads);
}
