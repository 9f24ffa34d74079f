/**
 * The analysis half of the plan executor: from an inference graph's steps (IR nodes in ONNX
 * vocabulary) to a flat list of actions over numbered buffers, each buffer a tensor in one of
 * two forms — `blocked` (channels-last in the WebAssembly heap, `layout.ts`) or `plain`
 * (row-major NCHW / `[N, F]` in a JavaScript arena) — with the conversions between forms placed
 * where a consumer needs the other one. `plan-arenas.ts` lays the buffers out, and `plan-ts.ts` or `plan-wasm.ts` runs the actions.
 *
 * Rewrites made here (each keeps the graph's function exactly):
 * - `Conv → Add(·, r) [→ Relu]` becomes one conv with the residual `r` and relu in its
 *   epilogue, when the conv has no activation of its own and its output has no other reader.
 *   Of an `Add` of two convs, the later one takes the other as its residual.
 * - A conv's fused activation other than relu runs right after it, in place on the output.
 */
import { window2d } from "../window.js";
import type { FusedActivation } from "../linalg/epilogue.js";
import type { Tensor } from "../tensor.js";

/** An attribute value, as the IR stores it. */
export type PlanAttr = number | string | readonly number[];

/** One node of an inference graph: the IR's `IrNode` fits (only these fields are read). */
export interface PlanStep {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly attrs: Readonly<Record<string, PlanAttr>>;
  readonly name?: string;
}

/** A graph input with its concrete shape (batch included). */
export interface PlanInput {
  readonly name: string;
  readonly shape: readonly number[];
}

/** The graph a plan runs: the non-constant nodes in topological order. */
export interface PlanGraph {
  readonly inputs: readonly PlanInput[];
  readonly outputs: readonly string[];
  readonly steps: readonly PlanStep[];
}

/**
 * Runs a step that the plan has no kernel for, with the TypeScript kernels: `inputs` are the
 * step's inputs in order (activations and weights alike; `undefined` for an absent optional
 * input), and the result should be written into `out` when its length fits.
 */
export type FallbackKernel = (step: PlanStep, inputs: (Tensor | undefined)[], out: Float32Array | undefined) => Tensor;

/** A tensor buffer of the plan. */
export interface PlanBuffer {
  readonly value: string;
  readonly form: "blocked" | "plain";
  readonly shape: readonly number[];
  /** Length in floats (blocked: `N·H·W·Cs`). */
  readonly size: number;
  /** For a graph input's plain form: its index (the caller's tensor, not planned). */
  readonly input?: number;
}

/** Geometry of a window (conv or pool) over a rank-4 input. */
export interface WindowGeometry {
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  padTop: number; padLeft: number; padBottom: number; padRight: number; oh: number; ow: number;
}

/** The horizontal geometry of an unfolded conv input: taps `kw`, stride, dilation, left pad, output width. */
export interface Unfold {
  kw: number; sw: number; dw: number; padLeft: number; ow: number;
}

/** One thing the executor does; buffer fields are indices into `PlanLayout.buffers`. */
export type PlanAction =
  /**
   * `unfold`: the conv input is written as `kw` horizontal taps side by side in the channels
   * (`[N, kw·C, H, OW]`, see `toBlockedUnfolded`), for a conv with few input channels.
   */
  | { kind: "toBlocked"; from: number; to: number; unfold?: Unfold }
  | { kind: "toPlain"; from: number; to: number }
  | {
      kind: "conv"; input: number; residual?: number; output: number; weight: Tensor; bias?: Tensor;
      window: WindowGeometry; group: number; relu: boolean; after?: FusedActivation;
    }
  /** `ceilMode`: the window's output size was rounded up (the TypeScript kernels recompute it from the pads). */
  | { kind: "pool"; input: number; output: number; window: WindowGeometry; average: boolean; global: boolean; ceilMode: boolean }
  | { kind: "add"; a: number; b: number; output: number; relu: boolean }
  /**
   * y = x · s with x `[N, C, H, W]` and s `[N | 1, C | 1, 1, 1]` broadcast over it (a
   * squeeze-and-excitation gate): `scale` is a plain buffer, or a constant.
   */
  | { kind: "scale"; input: number; scale: number | Tensor; output: number }
  | { kind: "relu"; input: number; output: number }
  | { kind: "activation"; input: number; output: number; activation: FusedActivation }
  | { kind: "concat"; parts: number[]; output: number }
  /**
   * Output channel k is input channel `channels[k]` of a rank-4 value, the other axes whole: a
   * channel `Slice` (a run of channels) or a `ChannelShuffle` (a permutation).
   */
  | { kind: "gather"; input: number; output: number; channels: readonly number[] }
  /** A per-channel normalization over a blocked rank-4 value (see {@link ChannelNorm}). */
  | { kind: "norm"; input: number; output: number; norm: ChannelNorm }
  | { kind: "gemm"; input: number; output: number; weight: Tensor; bias?: Tensor; activation?: FusedActivation }
  | { kind: "copy"; from: number; to: number }
  | { kind: "fallback"; step: PlanStep; inputs: (number | Tensor | undefined)[]; output: number };

/**
 * The normalizations the plan runs as per-channel scale and shift (y = x·a + b, a and b from
 * statistics or constants): GroupNormalization (opset-21 form; InstanceNormalization is groups =
 * C), FilterResponseNormalization with its TLU (a floor τ after the affine), and an unfolded
 * inference BatchNormalization (a `--no-fuse` module's); and ChannelNormalization (`pixel`:
 * ConvNeXt's, each pixel normalized over its channels, then scaled and shifted per channel).
 */
export type ChannelNorm =
  | { form: "group"; groups: number; epsilon: number; scale?: Tensor; bias?: Tensor }
  | { form: "pixel"; epsilon: number; scale?: Tensor; bias?: Tensor }
  | { form: "frn"; epsilon: number; scale: Tensor; bias: Tensor; tau: Tensor }
  | { form: "batch"; epsilon: number; scale?: Tensor; bias?: Tensor; mean: Tensor; variance: Tensor };

/** The analysed graph. */
export interface PlanLayout {
  readonly buffers: PlanBuffer[];
  readonly actions: PlanAction[];
  /** The plain buffer of each graph output. */
  readonly outputs: number[];
}

function ints(step: PlanStep, name: string, fallback: readonly number[]): number[] {
  const v = step.attrs[name];
  return Array.isArray(v) ? [...(v as readonly number[])] : [...fallback];
}

/**
 * The window of a Conv or pool step over an `h × w` input; a pool's ceil mode shows only in `oh`
 * and `ow`, since every kernel clips its windows to the input.
 */
export function windowOf(step: PlanStep, h: number, w: number, kernel: readonly number[]): WindowGeometry {
  const pads = ints(step, "pads", [0, 0, 0, 0]);
  const strides = ints(step, "strides", step.op === "Conv" ? [1, 1] : kernel);
  const dilations = ints(step, "dilations", [1, 1]);
  const ceilMode = step.attrs.ceil_mode === 1;
  const win = window2d(step.op, h, w, [kernel[0], kernel[1]], [strides[0], strides[1]], [pads[0], pads[1], pads[2], pads[3]], [dilations[0], dilations[1]], ceilMode);
  return { kh: win.kh, kw: win.kw, sh: win.sh, sw: win.sw, dh: win.dh, dw: win.dw, padTop: win.pads.top, padLeft: win.pads.left, padBottom: win.pads.bottom, padRight: win.pads.right, oh: win.oh, ow: win.ow };
}
