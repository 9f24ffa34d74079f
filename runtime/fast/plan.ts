/**
 * The plan executor: compiles an inference graph once, for concrete input shapes, into a list of
 * kernel calls over memory laid out ahead of time, and runs it on every forward.
 *
 * On the WebAssembly path every image activation lives in one `WebAssembly.Memory`, in the
 * blocked channels-last layout (`layout.ts`): convs (direct, residual add and relu fused), pools,
 * adds, relus and concats run as generated SIMD128 kernels over it, and a value is converted
 * to plain NCHW only where an operator without such a kernel, a dense layer or a graph output
 * reads it. The memory holds the packed weights (the plan keeps no JavaScript copy of conv and
 * dense weights), the activation arena laid out by {@link planBuffers} from the actions' live
 * ranges, and the dense layers' scratch; plain values share a second, JavaScript arena. After
 * the first call a forward allocates no buffer. With `threads > 1`, convs and pools are split
 * by output rows (or, for a few rows, by output channel blocks) across worker threads that
 * share the memory (`plan-threads.ts`).
 *
 * Without WebAssembly (or with `wasm: false`) the same actions run the TypeScript kernels of
 * `nnc/runtime` on plain buffers.
 */
import { applyActivation, type FusedActivation } from "../linalg/epilogue.js";
import { add } from "../kernels/add.js";
import { averagePool } from "../kernels/average-pool.js";
import { concat } from "../kernels/concat.js";
import { conv } from "../kernels/conv.js";
import { gemm } from "../kernels/gemm.js";
import { groupNormalization } from "../kernels/group-normalization.js";
import { batchNormalization } from "../kernels/batch-normalization.js";
import { filterResponseNormalization } from "../kernels/filter-response-normalization.js";
import { maxPool } from "../kernels/max-pool.js";
import { relu } from "../kernels/relu.js";
import { sizeOf, type Tensor } from "../tensor.js";
import { CONV_DESC_WORDS, ConvDesc, ConvFlags, CONV_NR } from "../wasm/conv-kernel.js";
import { MR as GEMM_MR } from "../wasm/gemm-kernel.js";
import { ActivationKind } from "../wasm/elementwise-kernels.js";
import { POOL_DESC_WORDS, PoolDesc } from "../wasm/window-kernels.js";
import { WINO_DESC_WORDS } from "../wasm/winograd-kernel.js";
import { wasmAvailable } from "./heap.js";
import { channelStride, fromBlocked, packConvWeight, packedConvFloats, toBlocked, toBlockedUnfolded } from "./layout.js";
import { planBuffers } from "./memory-plan.js";
import { analysePlan } from "./plan-analysis.js";
import type { FallbackKernel, PlanAction, PlanGraph, PlanLayout } from "./plan-graph.js";
import { instantiatePlanKernels, planModuleBytes, type PlanKernels } from "./plan-module.js";
import { RowSplitter } from "./plan-threads.js";
import { packWinogradWeight, winogradFits, winogradShape, writeWinogradDescs, type WinogradShape } from "./winograd.js";
import { kernelFuses, multiply, roundToTile, rowStride } from "./product.js";

export type { FallbackKernel, PlanGraph, PlanInput, PlanStep, PlanAttr } from "./plan-graph.js";

/**
 * The TypeScript kernels the plan runs where it has no WebAssembly kernel, imported by name from
 * their files (not from `../index.js`, which re-exports this file's users) so that `--standalone`
 * can inline them.
 */
const tsKernels = { add, averagePool, batchNormalization, concat, conv, filterResponseNormalization, gemm, groupNormalization, maxPool, relu, sizeOf };

/** How to compile a plan. */
export interface PlanOptions {
  /** Runs steps the plan has no kernel for (see {@link FallbackKernel}); required only if there are such steps. */
  fallback?: FallbackKernel;
  /** Use the WebAssembly kernels (default: when {@link wasmAvailable}). */
  wasm?: boolean;
  /** Threads for convs and pools, the caller's included (default 1). Needs WebAssembly and `worker_threads`. */
  threads?: number;
  /** Run the 3×3 convs that suit it as Winograd F(2×2, 3×3) (default true; see `winograd.ts`). */
  winograd?: boolean;
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
   * `groupNorm`, `frn`, `batchNorm`, `fallback:Op`, ...): what the plan fused and where it
   * converts layouts; `of which winograd`
   * counts the convs (with or without residual) that run as Winograd F(2×2, 3×3).
   */
  readonly kernels: Readonly<Record<string, number>>;
  /** Stops the worker threads, if any; the plan must not run afterwards. */
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
  return wasm ? compileWasm(graph, layout, options) : compileTs(graph, layout, options);
}

/** Counts the actions by kind; a conv with a residual input counts as `conv+residual`. */
function countKernels(layout: PlanLayout): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of layout.actions) {
    const norms = { group: "groupNorm", frn: "frn", batch: "batchNorm" } as const;
    const kind =
      a.kind === "conv" && a.residual !== undefined ? "conv+residual" : a.kind === "fallback" ? `fallback:${a.step.op}` : a.kind === "norm" ? norms[a.norm.form] : a.kind;
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/** Live range of every buffer over the action list (outputs live to the end). */
function liveRanges(layout: PlanLayout): { first: number; last: number }[] {
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
      return [action.input, action.output];
    case "add":
      return [action.a, action.b, action.output];
    case "concat":
      return [...action.parts, action.output];
    case "fallback":
      return [...action.inputs.filter((i): i is number => typeof i === "number"), action.output];
  }
}

/** Plans one arena for the buffers of `form`; returns each buffer's float offset (−1 for others). */
function arena(
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
class PlainTensors {
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

function checkInputs(graph: PlanGraph, inputs: readonly Tensor[]): void {
  if (inputs.length !== graph.inputs.length) throw new Error(`plan: expected ${graph.inputs.length} inputs, got ${inputs.length}`);
  graph.inputs.forEach((expected, k) => {
    const got = inputs[k];
    if (got.shape.join() !== expected.shape.join() || got.data.length < tsKernels.sizeOf(got.shape)) {
      throw new Error(`plan: input ${expected.name} was compiled for shape [${expected.shape.join(", ")}], got [${got.shape.join(", ")}]`);
    }
  });
}

function fallbackRun(
  fallback: FallbackKernel,
  action: Extract<PlanAction, { kind: "fallback" }>,
  arg: (i: number | Tensor | undefined) => Tensor | undefined,
  out: Tensor,
): void {
  const result = fallback(action.step, action.inputs.map(arg), out.data);
  if (result.data !== out.data) out.data.set(result.data.subarray(0, out.data.length));
}

function applyAll(data: Float32Array, offset: number, size: number, activation: FusedActivation): void {
  applyActivation(data, offset, 1, size, size, activation);
}

/** The TypeScript path: the same actions over plain buffers with `nnc/runtime`'s kernels. */
function compileTs(graph: PlanGraph, layout: PlanLayout, options: PlanOptions): Plan {
  const ranges = liveRanges(layout);
  const plain = arena(layout, ranges, "plain");
  const tensors = new PlainTensors(layout, plain.offsets, plain.total);
  const t = (b: number): Tensor => tensors.tensor(layout, b);
  const weightBytes = layout.actions.reduce(
    (sum, a) => sum + (a.kind === "conv" || a.kind === "gemm" ? a.weight.data.byteLength + (a.bias?.data.byteLength ?? 0) : 0),
    0,
  );
  const steps = layout.actions.map((action) => plainStep(action, t, layout, options));
  return {
    engine: "ts",
    threads: 1,
    kernels: countKernels(layout),
    memory: { weights: weightBytes, activations: plain.total * 4, heap: 0, total: plain.total * 4 },
    run(inputs) {
      checkInputs(graph, inputs);
      tensors.inputs = inputs;
      for (const step of steps) step();
      return layout.outputs.map((b) => t(b));
    },
    close() {},
  };
}

/** An action on plain buffers with the TypeScript kernels of `nnc/runtime`. */
function plainStep(action: PlanAction, t: (b: number) => Tensor, layout: PlanLayout, options: PlanOptions): () => void {
  switch (action.kind) {
    case "conv": {
      const { window: w, residual, relu, after } = action;
      const attributes = {
        strides: [w.sh, w.sw] as [number, number],
        pads: [w.padTop, w.padLeft, w.padBottom, w.padRight] as [number, number, number, number],
        dilations: [w.dh, w.dw] as [number, number],
        group: action.group,
      };
      const activation: FusedActivation | undefined = relu ? { kind: "relu" } : after;
      if (residual === undefined)
        return () => void tsKernels.conv(t(action.input), action.weight, action.bias, { ...attributes, activation }, t(action.output).data);
      return () => {
        const y = tsKernels.conv(t(action.input), action.weight, action.bias, attributes, t(action.output).data);
        tsKernels.add(y, t(residual), y.data);
        if (relu) tsKernels.relu(y, y.data);
      };
    }
    case "pool": {
      const { window: w } = action;
      const attributes = {
        kernelShape: [w.kh, w.kw] as [number, number],
        strides: [w.sh, w.sw] as [number, number],
        pads: [w.padTop, w.padLeft, w.padBottom, w.padRight] as [number, number, number, number],
      };
      const kernel = action.average ? tsKernels.averagePool : tsKernels.maxPool;
      return () => void kernel(t(action.input), attributes, t(action.output).data);
    }
    case "add":
      return () => {
        const y = tsKernels.add(t(action.a), t(action.b), t(action.output).data);
        if (action.relu) tsKernels.relu(y, y.data);
      };
    case "relu":
      return () => void tsKernels.relu(t(action.input), t(action.output).data);
    case "activation":
      return () => {
        const out = t(action.output).data;
        out.set(t(action.input).data.subarray(0, out.length));
        applyAll(out, 0, out.length, action.activation);
      };
    case "concat":
      return () => void tsKernels.concat(action.parts.map(t), { axis: 1 }, t(action.output).data);
    case "gemm":
      return () => void tsKernels.gemm(t(action.input), action.weight, action.bias, { activation: action.activation }, t(action.output).data);
    case "copy":
      return () => t(action.to).data.set(t(action.from).data.subarray(0, layout.buffers[action.to].size));
    case "norm": {
      const norm = action.norm;
      const [x, y] = [(): Tensor => t(action.input), (): Float32Array => t(action.output).data];
      const { epsilon } = norm;
      if (norm.form === "group") return () => void tsKernels.groupNormalization(x(), norm.scale, norm.bias, { groups: norm.groups, epsilon }, y());
      if (norm.form === "frn") return () => void tsKernels.filterResponseNormalization(x(), norm.scale, norm.bias, norm.tau, { epsilon }, y());
      return () => void tsKernels.batchNormalization(x(), norm.scale, norm.bias, norm.mean, norm.variance, { epsilon }, y());
    }
    case "fallback": {
      const arg = (i: number | Tensor | undefined): Tensor | undefined => (typeof i === "number" ? t(i) : i);
      return () => fallbackRun(options.fallback!, action, arg, t(action.output));
    }
    case "toBlocked":
    case "toPlain":
      throw new Error("plan: a conversion on the TypeScript path");
  }
}

/** A bump allocator over byte offsets, 64-byte aligned. */
class Reservations {
  top = 64;
  take(floats: number): number {
    const at = this.top;
    this.top += Math.ceil((Math.max(1, floats) * 4) / 64) * 64;
    return at;
  }
}

/** The WebAssembly path. */
function compileWasm(graph: PlanGraph, layout: PlanLayout, options: PlanOptions): Plan {
  const ranges = liveRanges(layout);
  const plain = arena(layout, ranges, "plain");
  const blocked = arena(layout, ranges, "blocked");
  const tensors = new PlainTensors(layout, plain.offsets, plain.total);
  const t = (b: number): Tensor => tensors.tensor(layout, b);

  // Reserve the memory: descriptors, the zero row, weights, dense scratch, then the arena.
  const mem = new Reservations();
  const reserved = new Map<PlanAction, { desc?: number; weights?: number; bias?: number; winograd?: WinogradShape }>();
  let zeroFloats = 4;
  let scratchFloats = 0;
  let weightFloats = 0;
  let winogradScratch = 0;
  let winogradConvs = 0;
  for (const action of layout.actions) {
    const blockedConv = action.kind === "conv" && layout.buffers[action.input].form === "blocked";
    if (blockedConv && options.winograd !== false && winogradFits(action.weight.shape, action.window, action.group)) {
      const [m, c] = action.weight.shape;
      const shape = winogradShape(m, c, action.window.oh, action.window.ow);
      weightFloats += shape.weightFloats + channelStride(m);
      reserved.set(action, {
        desc: mem.take(WINO_DESC_WORDS),
        weights: mem.take(shape.weightFloats),
        bias: mem.take(channelStride(m)),
        winograd: shape,
      });
      zeroFloats = Math.max(zeroFloats, channelStride(c));
      winogradScratch = Math.max(winogradScratch, shape.scratch);
      winogradConvs++;
    } else if (action.kind === "conv" && blockedConv && action.group > 1) {
      // Depthwise: weights `[kh][kw][Cs]`, run by the pool kernel's generator.
      const [m, , kh, kw] = action.weight.shape;
      weightFloats += kh * kw * channelStride(m) + channelStride(m);
      reserved.set(action, { desc: mem.take(POOL_DESC_WORDS), weights: mem.take(kh * kw * channelStride(m)), bias: mem.take(channelStride(m)) });
    } else if (action.kind === "conv" && blockedConv) {
      const [m, c, kh, kw] = action.weight.shape;
      const floats = packedConvFloats(m, c, kh, kw);
      weightFloats += floats + channelStride(m);
      reserved.set(action, {
        desc: mem.take(CONV_DESC_WORDS),
        weights: mem.take(floats),
        bias: mem.take(channelStride(m)),
      });
      zeroFloats = Math.max(zeroFloats, channelStride(c));
    } else if (action.kind === "norm" && layout.buffers[action.input].form === "blocked") {
      // Per-row partial sums, then per sample the centre, scale, shift and floor of every channel.
      const [n, c, h] = layout.buffers[action.input].shape;
      const cs = channelStride(c);
      reserved.set(action, { desc: mem.take(n * h * cs), weights: mem.take(4 * n * cs) });
      zeroFloats = Math.max(zeroFloats, cs);
    } else if (action.kind === "pool" && layout.buffers[action.input].form === "blocked") {
      reserved.set(action, { desc: mem.take(POOL_DESC_WORDS) });
    } else if (action.kind === "gemm") {
      const [units, features] = action.weight.shape;
      const rows = Math.ceil(units / GEMM_MR) * GEMM_MR;
      const ld = rowStride(layout.buffers[action.input].shape[0]);
      weightFloats += rows * features + rows;
      reserved.set(action, {
        weights: mem.take(rows * features),
        bias: mem.take(rows),
      });
      scratchFloats = Math.max(scratchFloats, (features + rows) * ld);
    }
  }
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const zero = mem.take(zeroFloats);
  const scratch = mem.take(scratchFloats);
  const winogradAt = mem.take((threads * winogradScratch) / 4);
  const arenaAt = mem.take(blocked.total);
  const pages = Math.ceil(mem.top / 65536);
  const memory = new WebAssembly.Memory(threads > 1 ? { initial: pages, maximum: pages, shared: true } : { initial: pages });
  const module = new WebAssembly.Module(planModuleBytes(pages, threads > 1) as Uint8Array<ArrayBuffer>);
  const kernels: PlanKernels = instantiatePlanKernels(module, memory);
  const splitter = new RowSplitter(kernels, threads, module, memory);
  const heap = new Float32Array(memory.buffer);
  const words = new Int32Array(memory.buffer);
  const at = (b: number): number => arenaAt + blocked.offsets[b] * 4;

  // An activation over `size` floats of the heap from float offset `from` to `to`: tanh, sigmoid
  // and silu as a WebAssembly kernel, the others in TypeScript.
  const activateHeap = (from: number, to: number, size: number, activation: FusedActivation): void => {
    const kind = (ActivationKind as Record<string, number | undefined>)[activation.kind];
    if (kind !== undefined && size % 4 === 0) return kernels.activate(from * 4, to * 4, size / 4, kind);
    if (from !== to) heap.copyWithin(to, from, from + size);
    applyAll(heap, to, size, activation);
  };

  // A conv's run, followed by the activation it fuses in TypeScript or the `activate` kernel (not relu).
  const withActivation = (action: Extract<PlanAction, { kind: "conv" }>, run: () => void): (() => void) => {
    const after = action.after;
    if (after === undefined) return run;
    const out = at(action.output) / 4;
    const size = layout.buffers[action.output].size;
    return () => {
      run();
      activateHeap(out, out, size, after);
    };
  };

  // A conv's bias at byte offset `at`, zero-padded to its channel stride.
  const placeBias = (action: Extract<PlanAction, { kind: "conv" }>, at: number): void => {
    heap.fill(0, at / 4, at / 4 + channelStride(action.weight.shape[0]));
    if (action.bias !== undefined) heap.set(action.bias.data, at / 4);
  };

  const depthwiseStep = (action: Extract<PlanAction, { kind: "conv" }>, r: { desc?: number; weights?: number; bias?: number }): (() => void) => {
    const [m, , kh, kw] = action.weight.shape;
    const cs = channelStride(m);
    // weights[(ky·kw + kx)·Cs + c] = W[c, 0, ky, kx]
    const base = r.weights! / 4;
    heap.fill(0, base, base + kh * kw * cs);
    for (let c = 0; c < m; c++) for (let k = 0; k < kh * kw; k++) heap[base + k * cs + c] = action.weight.data[c * kh * kw + k];
    placeBias(action, r.bias!);
    const [n, , h, w] = layout.buffers[action.input].shape;
    const win = action.window;
    const d = r.desc! / 4;
    const fields: [keyof typeof PoolDesc, number][] = [
      ["input", at(action.input)], ["inImage", h * w * cs * 4], ["height", h], ["width", w], ["inPixel", cs * 4],
      ["output", at(action.output)], ["outImage", win.oh * win.ow * cs * 4], ["outPixel", cs * 4], ["oh", win.oh], ["ow", win.ow],
      ["kh", kh], ["kw", kw], ["sh", win.sh], ["sw", win.sw], ["padTop", win.padTop], ["padLeft", win.padLeft],
      ["quads", cs / 4], ["average", 0], ["dh", win.dh], ["dw", win.dw], ["weights", r.weights!], ["bias", r.bias!],
      ["residual", action.residual === undefined ? 0 : at(action.residual)], ["resImage", win.oh * win.ow * cs * 4], ["resPixel", cs * 4],
      ["flags", action.relu ? ConvFlags.relu : 0],
    ];
    for (const [name, value] of fields) words[d + PoolDesc[name]] = value;
    const desc = r.desc!;
    const rows = n * win.oh;
    const work = n * win.oh * win.ow * m * kh * kw;
    return withActivation(action, () => splitter.depthwise(desc, rows, work));
  };

  /**
   * A per-channel normalization of a blocked value (`ChannelNorm`): y = x·a + b per sample and
   * channel (then max(y, τ) for FRN). A batch norm's a and b are constants. A group norm's come
   * from `row_moments` sums — per row and channel, the mean first, then squares about it —
   * added up here in double precision per (sample, group): a = γ / √(σ² + ε), b = β − μ·a. FRN
   * takes ν² = mean(x²) per (sample, channel): a = γ / √(ν² + ε), b = β.
   */
  const normStep = (action: Extract<PlanAction, { kind: "norm" }>, sumsAt: number, coefAt: number): (() => void) => {
    const [n, c, h, w] = layout.buffers[action.input].shape;
    const norm = action.norm;
    const cs = channelStride(c);
    const [pixel, quads, image] = [cs * 4, cs / 4, h * w * cs * 4];
    const [input, output] = [at(action.input), at(action.output)];
    // Float offsets of sample s's centre, scale, shift and floor vectors.
    const coef = (k: number, s: number): number => coefAt / 4 + (k * n + s) * cs;
    const [CENTER, SCALE, SHIFT, FLOOR] = [0, 1, 2, 3];
    heap.fill(0, coefAt / 4, coefAt / 4 + 4 * n * cs);
    const gamma = (ch: number): number => norm.scale?.data[ch] ?? 1;
    const beta = (ch: number): number => norm.bias?.data[ch] ?? 0;
    const affine = (s: number, pixels: number): void =>
      kernels.channelAffine(input + s * image, output + s * image, pixels, pixel, quads, coef(SCALE, s) * 4, coef(SHIFT, s) * 4, norm.form === "frn" ? coef(FLOOR, s) * 4 : 0);
    if (norm.form === "batch") {
      for (let ch = 0; ch < c; ch++) {
        const a = gamma(ch) / Math.sqrt(norm.variance.data[ch] + norm.epsilon);
        heap[coef(SCALE, 0) + ch] = a;
        heap[coef(SHIFT, 0) + ch] = beta(ch) - norm.mean.data[ch] * a;
      }
      return () => affine(0, n * h * w);
    }
    // Σ over rows of sample s's row sums, per channel.
    const channelSums = new Float64Array(c);
    const rowSums = (s: number, center: number, squares: number): Float64Array => {
      kernels.rowMoments(input + s * image, h, w, pixel, quads, center, sumsAt + s * h * cs * 4, squares);
      channelSums.fill(0);
      const base = sumsAt / 4 + s * h * cs;
      for (let row = 0; row < h; row++) for (let ch = 0; ch < c; ch++) channelSums[ch] += heap[base + row * cs + ch];
      return channelSums;
    };
    if (norm.form === "frn") {
      for (let s = 0; s < n; s++) {
        for (let ch = 0; ch < c; ch++) {
          heap[coef(SHIFT, s) + ch] = beta(ch);
          heap[coef(FLOOR, s) + ch] = norm.tau.data[ch];
        }
      }
      return () => {
        for (let s = 0; s < n; s++) {
          const squares = rowSums(s, zero, 1);
          for (let ch = 0; ch < c; ch++) heap[coef(SCALE, s) + ch] = gamma(ch) / Math.sqrt(squares[ch] / (h * w) + norm.epsilon);
          affine(s, h * w);
        }
      };
    }
    const perGroup = c / norm.groups;
    const count = perGroup * h * w;
    const group = new Float64Array(norm.groups);
    const byGroup = (sums: Float64Array): Float64Array => {
      group.fill(0);
      for (let ch = 0; ch < c; ch++) group[Math.floor(ch / perGroup)] += sums[ch];
      return group;
    };
    return () => {
      for (let s = 0; s < n; s++) {
        const total = byGroup(rowSums(s, zero, 0));
        for (let ch = 0; ch < c; ch++) heap[coef(CENTER, s) + ch] = total[Math.floor(ch / perGroup)] / count;
        const squares = byGroup(rowSums(s, coef(CENTER, s) * 4, 1));
        for (let ch = 0; ch < c; ch++) {
          const a = gamma(ch) / Math.sqrt(squares[Math.floor(ch / perGroup)] / count + norm.epsilon);
          heap[coef(SCALE, s) + ch] = a;
          heap[coef(SHIFT, s) + ch] = beta(ch) - heap[coef(CENTER, s) + ch] * a;
        }
        affine(s, h * w);
      }
    };
  };

  const winogradStep = (action: Extract<PlanAction, { kind: "conv" }>, r: { desc?: number; weights?: number; bias?: number }, shape: WinogradShape): (() => void) => {
    const [m, c] = action.weight.shape;
    packWinogradWeight(action.weight.data, m, c, heap, r.weights! / 4);
    placeBias(action, r.bias!);
    const [n, , h, w] = layout.buffers[action.input].shape;
    const placement = {
      input: at(action.input),
      output: at(action.output),
      residual: action.residual === undefined ? 0 : at(action.residual),
      weights: r.weights!,
      bias: r.bias!,
      zero,
      scratch: winogradAt,
    };
    const win = action.window;
    writeWinogradDescs(words, r.desc!, placement, { m, c, h, w, window: win, relu: action.relu }, shape);
    const desc = r.desc!;
    const rows = n * shape.th;
    const work = n * win.oh * win.ow * m * c * 9;
    return withActivation(action, () => splitter.wino(desc, rows, work));
  };

  const steps = layout.actions.map((action): (() => void) => {
    const r = reserved.get(action);
    switch (action.kind) {
      case "toBlocked": {
        const [n, c, h, w] = layout.buffers[action.to].shape;
        const to = at(action.to) / 4;
        const unfold = action.unfold;
        if (unfold !== undefined) {
          const [, cIn, , wIn] = layout.buffers[action.from].shape;
          return () => toBlockedUnfolded(t(action.from).data, n, cIn, h, wIn, unfold, heap, to);
        }
        return () => toBlocked(t(action.from).data, n, c, h, w, heap, to);
      }
      case "toPlain": {
        const [n, c, h, w] = layout.buffers[action.from].shape;
        const from = at(action.from) / 4;
        return () => fromBlocked(heap, from, n, c, h, w, t(action.to).data);
      }
      case "conv": {
        if (r === undefined) break;
        if (r.winograd !== undefined) return winogradStep(action, r, r.winograd);
        if (action.group > 1) return depthwiseStep(action, r);
        const [m, c, kh, kw] = action.weight.shape;
        packConvWeight(action.weight.data, m, c, kh, kw, heap, r.weights! / 4);
        placeBias(action, r.bias!);
        const [n, , h, w] = layout.buffers[action.input].shape;
        const win = action.window;
        const csIn = channelStride(c) * 4;
        const csOut = channelStride(m) * 4;
        const d = r.desc! / 4;
        const fields: [keyof typeof ConvDesc, number][] = [
          ["input", at(action.input)],
          ["inImage", h * w * csIn],
          ["inRow", w * csIn],
          ["inPixel", csIn],
          ["height", h],
          ["width", w],
          ["icQuads", csIn / 16],
          ["kh", kh],
          ["kw", kw],
          ["sh", win.sh],
          ["sw", win.sw],
          ["dh", win.dh],
          ["dw", win.dw],
          ["padTop", win.padTop],
          ["padLeft", win.padLeft],
          ["weights", r.weights!],
          ["panel", kh * kw * csIn * CONV_NR],
          ["bias", r.bias!],
          ["output", at(action.output)],
          ["outImage", win.oh * win.ow * csOut],
          ["outPixel", csOut],
          ["residual", action.residual === undefined ? 0 : at(action.residual)],
          ["resImage", win.oh * win.ow * csOut],
          ["resPixel", csOut],
          ["oh", win.oh],
          ["ow", win.ow],
          ["flags", action.relu ? ConvFlags.relu : 0],
          ["zero", zero],
          ["rowsPerChunk", Math.max(1, Math.ceil(48 / win.ow))],
        ];
        for (const [name, value] of fields) words[d + ConvDesc[name]] = value;
        const rows = n * win.oh;
        const blocks = channelStride(m) / CONV_NR;
        const desc = r.desc!;
        const work = n * win.oh * win.ow * m * c * kh * kw;
        return withActivation(action, () => splitter.conv(desc, rows, blocks, work));
      }
      case "pool": {
        if (r === undefined) break;
        const [n, c, h, w] = layout.buffers[action.input].shape;
        const win = action.window;
        const cs = channelStride(c) * 4;
        const d = r.desc! / 4;
        const fields: [keyof typeof PoolDesc, number][] = [
          ["input", at(action.input)],
          ["inImage", h * w * cs],
          ["height", h],
          ["width", w],
          ["inPixel", cs],
          ["output", at(action.output)],
          ["outImage", win.oh * win.ow * cs],
          ["outPixel", cs],
          ["oh", win.oh],
          ["ow", win.ow],
          ["kh", win.kh],
          ["kw", win.kw],
          ["sh", win.sh],
          ["sw", win.sw],
          ["padTop", win.padTop],
          ["padLeft", win.padLeft],
          ["quads", cs / 16],
          ["average", action.average ? 1 : 0],
          ["dh", 1],
          ["dw", 1],
        ];
        for (const [name, value] of fields) words[d + PoolDesc[name]] = value;
        const desc = r.desc!;
        const rows = n * win.oh;
        const work = n * win.oh * win.ow * win.kh * win.kw * channelStride(c);
        return () => splitter.pool(desc, rows, work);
      }
      case "add": {
        if (layout.buffers[action.output].form !== "blocked") break;
        const quads = layout.buffers[action.output].size / 4;
        const [a, b, out] = [at(action.a), at(action.b), at(action.output)];
        const relu = action.relu ? 1 : 0;
        return () => kernels.add(a, b, out, quads, relu);
      }
      case "relu": {
        if (layout.buffers[action.output].form !== "blocked") break;
        const quads = layout.buffers[action.output].size / 4;
        const [a, out] = [at(action.input), at(action.output)];
        return () => kernels.relu(a, out, quads);
      }
      case "activation": {
        if (layout.buffers[action.output].form !== "blocked") break;
        const size = layout.buffers[action.output].size;
        const [from, to] = [at(action.input) / 4, at(action.output) / 4];
        return () => activateHeap(from, to, size, action.activation);
      }
      case "concat": {
        if (layout.buffers[action.output].form !== "blocked") break;
        const [n, total, h, w] = layout.buffers[action.output].shape;
        const csOut = channelStride(total) * 4;
        let channel = 0;
        const copies = action.parts.map((part) => {
          const c = layout.buffers[part].shape[1];
          const copy = [at(part), channelStride(c) * 4, at(action.output) + channel * 4, csOut, n * h * w, c / 4] as const;
          channel += c;
          return copy;
        });
        return () => {
          for (const copy of copies) kernels.copyPixels(...copy);
        };
      }
      case "norm":
        if (r === undefined) break;
        return normStep(action, r.desc!, r.weights!);
      case "gemm":
        return gemmStep(action, r!, scratch, heap, kernels, t, layout);
      case "copy":
        return () => t(action.to).data.set(t(action.from).data.subarray(0, layout.buffers[action.to].size));
      case "fallback": {
        const arg = (i: number | Tensor | undefined): Tensor | undefined => (typeof i === "number" ? t(i) : i);
        return () => fallbackRun(options.fallback!, action, arg, t(action.output));
      }
    }
    return plainStep(action, t, layout, options);
  });

  const fallbackWeights = layout.actions.reduce(
    (sum, a) =>
      sum + (a.kind === "fallback" ? a.inputs.reduce<number>((s, i) => s + (typeof i === "object" ? i.data.byteLength : 0), 0) : 0),
    0,
  );
  return {
    engine: "wasm",
    threads: splitter.threads,
    kernels: winogradConvs > 0 ? { ...countKernels(layout), "of which winograd": winogradConvs } : countKernels(layout),
    memory: {
      weights: weightFloats * 4 + fallbackWeights,
      activations: (plain.total + blocked.total) * 4,
      heap: memory.buffer.byteLength,
      total: memory.buffer.byteLength + plain.total * 4,
    },
    run(inputs) {
      checkInputs(graph, inputs);
      tensors.inputs = inputs;
      for (const step of steps) step();
      return layout.outputs.map((b) => t(b));
    },
    close() {
      splitter.close();
    },
  };
}

/** A dense layer on the GEMM micro-kernel: `Wᵀ`-packed weight, the input staged transposed. */
function gemmStep(
  action: Extract<PlanAction, { kind: "gemm" }>,
  r: { weights?: number; bias?: number },
  scratch: number,
  heap: Float32Array,
  kernels: PlanKernels,
  t: (b: number) => Tensor,
  layout: PlanLayout,
): () => void {
  const [units, features] = action.weight.shape;
  const rows = Math.ceil(units / GEMM_MR) * GEMM_MR;
  const base = r.weights! / 4;
  // Row blocks of GEMM_MR rows, each holding column p's GEMM_MR values side by side.
  for (let block = 0; block < rows; block += GEMM_MR) {
    for (let j = 0; j < GEMM_MR; j++) {
      const i = block + j;
      for (let p = 0; p < features; p++)
        heap[base + block * features + p * GEMM_MR + j] = i < units ? action.weight.data[i * features + p] : 0;
    }
  }
  heap.fill(0, r.bias! / 4, r.bias! / 4 + rows);
  if (action.bias !== undefined) heap.set(action.bias.data, r.bias! / 4);
  const n = layout.buffers[action.input].shape[0];
  const ld = rowStride(n);
  const inputAt = scratch / 4;
  const productAt = inputAt + features * ld;
  const matrix = {
    offset: r.weights!,
    depth: features,
    paddedRows: rows,
    blockStride: GEMM_MR * features * 4,
  };
  const operands = {
    b: scratch,
    c: productAt * 4,
    ld,
    columns: roundToTile(n),
    bias: r.bias!,
  };
  const activation = action.activation;
  return () => {
    const x = t(action.input).data;
    const y = t(action.output).data;
    for (let i = 0; i < n; i++) for (let p = 0, from = i * features; p < features; p++) heap[inputAt + p * ld + i] = x[from + p];
    multiply(kernels, matrix, operands, activation);
    for (let o = 0; o < units; o++) for (let i = 0, from = productAt + o * ld; i < n; i++) y[i * units + o] = heap[from + i];
    if (activation !== undefined && !kernelFuses(activation)) applyAll(y, 0, y.length, activation);
  };
}
