/**
 * The plan's WebAssembly path: one `WebAssembly.Memory` laid out ahead of time — each step's
 * descriptor and packed weights, the blocks the steps share (the zero row, the dense layers'
 * scratch, one Winograd scratch per thread), then the arena of blocked activations — and the
 * module of `plan-module.ts` instantiated over it. Each action kind's step is the one entry of
 * {@link WASM_STEPS} (`steps/`); an action without one, or whose step declines it, runs the
 * TypeScript step ({@link plainStep}) on plain buffers.
 */
import { fusedMultiplyAddsByDefault, relaxedMaddSupported } from "../wasm/relaxed-simd.js";
import type { Tensor } from "../tensor.js";
import { arena, HeapReservations, liveRanges, PlainTensors } from "./plan-arenas.js";
import type { PlanAction, PlanLayout } from "./plan-graph.js";
import { instantiatePlanKernels, planModuleBytes } from "./plan-module.js";
import { workersAvailable } from "./chunk-pool.js";
import { RowSplitter } from "./plan-threads.js";
import { plainStep } from "./plan-ts.js";
import type { CompiledSteps, PlanOptions } from "./plan.js";
import { activationStep } from "./steps/activation-step.js";
import { addStep, reluStep } from "./steps/add-relu-step.js";
import { concatStep } from "./steps/concat-step.js";
import { toBlockedStep, toPlainStep } from "./steps/conversion-step.js";
import { convStep } from "./steps/conv-step.js";
import { gatherStep } from "./steps/gather-step.js";
import { gemmStep } from "./steps/gemm-step.js";
import { normStep } from "./steps/norm-step.js";
import { poolStep } from "./steps/pool-step.js";
import { scaleStep } from "./steps/scale-step.js";
import type { ActionOf, StepHeap, StepPlanning, WasmStep } from "./steps/wasm-step.js";

/** The WebAssembly step of each action kind; `copy` and `fallback` have none. */
const WASM_STEPS: { readonly [K in PlanAction["kind"]]?: WasmStep<ActionOf<K>> } = {
  toBlocked: toBlockedStep,
  toPlain: toPlainStep,
  conv: convStep,
  pool: poolStep,
  add: addStep,
  scale: scaleStep,
  relu: reluStep,
  activation: activationStep,
  concat: concatStep,
  gather: gatherStep,
  norm: normStep,
  gemm: gemmStep,
};

/** The WebAssembly path for `layout`. */
export function compileWasm(layout: PlanLayout, options: PlanOptions): CompiledSteps {
  const ranges = liveRanges(layout);
  const plain = arena(layout, ranges, "plain");
  const blocked = arena(layout, ranges, "blocked");
  const tensors = new PlainTensors(layout, plain.offsets, plain.total);
  const t = (b: number): Tensor => tensors.tensor(layout, b);

  // Reserve the memory: every step's own blocks, then the zero row, the scratch and the arena.
  const reservations = new HeapReservations();
  const planning: StepPlanning = { layout, winograd: options.winograd !== false, winogradTile: options.winogradTile ?? 4, memory: reservations, counts: {} };
  const builders = layout.actions.map((action) => (WASM_STEPS[action.kind] as WasmStep<PlanAction> | undefined)?.(action, planning));
  // More than one thread only where workers can share the memory (not in a page that is not
  // cross-origin isolated, which cannot make a shared memory): elsewhere one thread, unshared.
  const threads = workersAvailable() ? Math.max(1, Math.floor(options.threads ?? 1)) : 1;
  const zero = reservations.take(reservations.zeroFloats);
  const scratch = reservations.take(reservations.scratchFloats);
  const sharedScratch = reservations.take(reservations.sharedScratch / 4);
  const winogradScratch = reservations.take((threads * reservations.winogradScratch) / 4);
  const arenaAt = reservations.take(blocked.total);
  const pages = Math.ceil(reservations.top / 65536);
  const memory = new WebAssembly.Memory(threads > 1 ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
  // Fused multiply-adds where asked (and the engine has them) or by default.
  const fma = options.fma === undefined ? fusedMultiplyAddsByDefault() : options.fma && relaxedMaddSupported();
  const module = new WebAssembly.Module(planModuleBytes(pages, threads > 1, { fma }) as Uint8Array<ArrayBuffer>);
  const kernels = instantiatePlanKernels(module, memory);
  const splitter = new RowSplitter(kernels, threads, module, memory);
  const heap: StepHeap = {
    layout,
    heap: new Float32Array(memory.buffer),
    words: new Int32Array(memory.buffer),
    kernels,
    splitter,
    at: (b) => arenaAt + blocked.offsets[b] * 4,
    tensor: t,
    zero,
    scratch,
    winogradScratch,
    sharedScratch,
  };
  const steps = layout.actions.map((action, k) => builders[k]?.(heap) ?? plainStep(action, t, layout, options.fallback));

  const fallbackWeights = layout.actions.reduce(
    (sum, a) =>
      sum + (a.kind === "fallback" ? a.inputs.reduce<number>((s, i) => s + (typeof i === "object" ? i.data.byteLength : 0), 0) : 0),
    0,
  );
  return {
    engine: "wasm",
    threads: splitter.threads,
    tensors,
    steps,
    counts: planning.counts,
    memory: {
      weights: reservations.weightFloats * 4 + fallbackWeights,
      activations: (plain.total + blocked.total) * 4,
      heap: memory.buffer.byteLength,
      total: memory.buffer.byteLength + plain.total * 4,
    },
    close() {
      splitter.close();
    },
  };
}
