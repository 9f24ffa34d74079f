/**
 * The contract between the WebAssembly plan (`plan-wasm.ts`) and its operators, one file per
 * operator in this folder. As in XNNPACK, where an operator is set up before it runs, a step is
 * made in two phases:
 *
 * 1. While the plan lays out its memory, the operator's {@link WasmStep} reserves what its action
 *    needs there (descriptor, packed weights, bias) and widens the shared blocks it uses, then
 *    returns its builder; or it returns `undefined` when it has no kernel for the action (a value
 *    in the plain form), and the plan runs the TypeScript step instead.
 * 2. Once the memory exists, the {@link StepBuilder} writes the packed weights and the descriptor
 *    and returns the call that runs the action on every forward.
 */
import type { Tensor } from "../../tensor.js";
import type { HeapReservations } from "../plan-arenas.js";
import type { PlanAction, PlanLayout } from "../plan-graph.js";
import type { PlanKernels } from "../plan-module.js";
import type { RowSplitter } from "../plan-threads.js";

/** The action of one kind. */
export type ActionOf<K extends PlanAction["kind"]> = Extract<PlanAction, { kind: K }>;

/** What a step sees while the plan lays out its memory. */
export interface StepPlanning {
  readonly layout: PlanLayout;
  /** Whether a conv that suits it may run as Winograd (`PlanOptions.winograd`). */
  readonly winograd: boolean;
  /** The largest Winograd tile a conv may take (`PlanOptions.winogradTile`). */
  readonly winogradTile: 2 | 4;
  readonly memory: HeapReservations;
  /** Counts added to the plan's `kernels` (`of which winograd`). */
  readonly counts: Record<string, number>;
}

/** What a builder sees: the plan's memory, its kernels and where its buffers are. */
export interface StepHeap {
  readonly layout: PlanLayout;
  /** The WebAssembly memory as floats and as i32 words (descriptors). */
  readonly heap: Float32Array;
  readonly words: Int32Array;
  readonly kernels: PlanKernels;
  readonly splitter: RowSplitter;
  /** Byte offset of a blocked buffer. */
  at(buffer: number): number;
  /** A plain buffer as a tensor (the caller's, for a graph input). */
  tensor(buffer: number): Tensor;
  /** Byte offsets of the shared blocks: the zero row, the dense layers' scratch, the Winograd scratch of thread 0 and the scratch all threads share within an action (`HeapReservations.sharedScratch`). */
  readonly zero: number;
  readonly scratch: number;
  readonly winogradScratch: number;
  readonly sharedScratch: number;
}

/** Phase 2: writes an action's weights and descriptor; returns what runs it on every forward. */
export type StepBuilder = (heap: StepHeap) => () => void;

/** Phase 1: reserves an action's memory and returns its builder, or `undefined` for the TypeScript step. */
export type WasmStep<A extends PlanAction> = (action: A, planning: StepPlanning) => StepBuilder | undefined;
