/**
 * Where a plan's values live. Every buffer of the analysed graph (`PlanLayout`) is live from the
 * first action that touches it to the last (a graph output to the end); the buffers of each form
 * share one arena laid out by {@link planBuffers} from those ranges, so buffers live at the same
 * time never overlap and a forward allocates nothing. Plain buffers are views into a JavaScript
 * arena ({@link PlainTensors}); blocked ones sit in the WebAssembly memory, whose other blocks
 * (descriptors, packed weights, scratch) are reserved ahead of it by {@link HeapReservations}.
 */
import type { Tensor } from "../tensor.js";
import { planBuffers } from "./memory-plan.js";
import type { PlanAction, PlanLayout } from "./plan-graph.js";

/** Live range of every buffer over the action list (outputs live to the end). */
export function liveRanges(layout: PlanLayout): { first: number; last: number }[] {
  const ranges = layout.buffers.map(() => ({ first: Infinity, last: -1 }));
  const touch = (buffer: number, at: number): void => {
    ranges[buffer].first = Math.min(ranges[buffer].first, at);
    ranges[buffer].last = Math.max(ranges[buffer].last, at);
  };
  layout.actions.forEach((action, at) => {
    for (const b of buffersOf(action)) touch(b, at);
  });
  for (const b of layout.outputs) touch(b, layout.actions.length);
  return ranges.map((r) => (r.first === Infinity ? { first: 0, last: 0 } : r));
}

/** The buffers an action reads or writes. */
function buffersOf(action: PlanAction): number[] {
  switch (action.kind) {
    case "toBlocked":
    case "toPlain":
    case "copy":
      return [action.from, action.to];
    case "conv":
      return action.residual === undefined ? [action.input, action.output] : [action.input, action.residual, action.output];
    case "pool":
    case "relu":
    case "activation":
    case "gemm":
    case "norm":
    case "gather":
      return [action.input, action.output];
    case "add":
      return [action.a, action.b, action.output];
    case "scale":
      return typeof action.scale === "number" ? [action.input, action.scale, action.output] : [action.input, action.output];
    case "concat":
      return [...action.parts, action.output];
    case "fallback":
      return [...action.inputs.filter((i): i is number => typeof i === "number"), action.output];
  }
}

/** Plans one arena for the buffers of `form`; returns each buffer's float offset (−1 for others). */
export function arena(
  layout: PlanLayout,
  ranges: { first: number; last: number }[],
  form: "blocked" | "plain",
): { offsets: number[]; total: number } {
  const pick = layout.buffers.map((b) => b.form === form && b.input === undefined);
  const plan = planBuffers(
    layout.buffers.map((b, i) => ({
      size: pick[i] ? b.size : 0,
      ...ranges[i],
    })),
  );
  return {
    offsets: plan.offsets.map((o, i) => (pick[i] ? o : -1)),
    total: plan.total,
  };
}

/** The plain tensors of a plan: views into one arena, or the caller's inputs. */
export class PlainTensors {
  readonly data: Float32Array;
  private readonly views: (Tensor | undefined)[];
  inputs: readonly Tensor[] = [];

  constructor(layout: PlanLayout, offsets: number[], total: number) {
    this.data = new Float32Array(total);
    this.views = layout.buffers.map((b, i) =>
      b.form === "plain" && b.input === undefined
        ? {
            shape: [...b.shape],
            data: this.data.subarray(offsets[i], offsets[i] + b.size),
          }
        : undefined,
    );
  }

  tensor(layout: PlanLayout, buffer: number): Tensor {
    const input = layout.buffers[buffer].input;
    return input === undefined ? this.views[buffer]! : this.inputs[input];
  }
}

/**
 * The WebAssembly memory of a plan, laid out before it exists: a bump allocator of 64-byte
 * aligned blocks (byte 0 stays unused, so no block is at null), and the sizes of the blocks that
 * all steps share, which the plan reserves after every step's own.
 */
export class HeapReservations {
  /** The first byte not reserved. */
  top = 64;
  /** Floats of packed weights and biases reserved, for `PlanMemory.weights`. */
  weightFloats = 0;
  /** The zero row's length in floats: one quad, or the widest channel stride a conv or norm reads. */
  zeroFloats = 4;
  /** The dense layers' scratch in floats (one block: they run one at a time). */
  scratchFloats = 0;
  /** One thread's Winograd scratch in bytes (one block per thread, shared by the Winograd convs). */
  winogradScratch = 0;
  /**
   * The scratch all threads share within one action, in bytes: a Winograd conv's U or a pass's V,
   * or the plain input a conversion into the blocked layout reads. Nothing in it outlives its action.
   */
  sharedScratch = 0;

  /** Reserves `floats` floats (at least one) and returns the block's byte offset. */
  take(floats: number): number {
    const at = this.top;
    this.top += Math.ceil((Math.max(1, floats) * 4) / 64) * 64;
    return at;
  }

  /** {@link take} for packed weights or a bias, counted in {@link weightFloats}. */
  takeWeights(floats: number): number {
    this.weightFloats += floats;
    return this.take(floats);
  }

  /** Makes the zero row at least `floats` long. */
  needZeroRow(floats: number): void {
    this.zeroFloats = Math.max(this.zeroFloats, floats);
  }

  /** Makes the dense layers' scratch at least `floats` long. */
  needDenseScratch(floats: number): void {
    this.scratchFloats = Math.max(this.scratchFloats, floats);
  }

  /** Makes each thread's Winograd scratch at least `bytes` long. */
  needWinogradScratch(bytes: number): void {
    this.winogradScratch = Math.max(this.winogradScratch, bytes);
  }

  /** Makes the scratch the threads share within an action at least `bytes` long. */
  needSharedScratch(bytes: number): void {
    this.sharedScratch = Math.max(this.sharedScratch, bytes);
  }
}
