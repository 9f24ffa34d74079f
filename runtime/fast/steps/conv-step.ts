/**
 * The conv operator on the WebAssembly plan. Which kernel runs a conv over a blocked input is
 * decided here, once, by {@link convKernel}:
 *
 * - `winograd`: Winograd F(2×2, 3×3) (`winograd.ts`, `runtime/wasm/winograd-kernel.ts`) for the
 *   3×3 stride-1 convs that suit it ({@link winogradFits}), unless the plan turns it off;
 * - `depthwise`: one filter per channel, on the
 *   pool kernel's generator (`depthwise_rows`, `runtime/wasm/window-kernels.ts`);
 * - `grouped`: other grouped convs whose groups suit the direct conv (`grouped-conv.ts`);
 * - `direct`: the direct conv (`runtime/wasm/conv-kernel.ts`).
 *
 * Each kernel's memory and build step follow. All three fuse the bias, a residual add and relu;
 * the direct and depthwise kernels also fuse a ceiling after relu, so a `Clip` from 0 to a finite
 * max (relu6) after them runs in their epilogue ({@link fusedCeiling}). Another fused activation
 * runs right after, in place ({@link activateHeap}). A conv over a plain input runs the
 * TypeScript step.
 */
import { CONV_DESC_WORDS, ConvDesc, ConvFlags, CONV_NR } from "../../wasm/conv-kernel.js";
import { WINO_DESC_WORDS, WINO_WIDE_DESC_WORDS, WinoWide } from "../../wasm/winograd-kernel.js";
import { POOL_DESC_WORDS, PoolDesc } from "../../wasm/window-kernels.js";
import { channelStride, packConvWeight, packedConvFloats } from "../layout.js";
import { packWinogradSource, winogradFits, winogradShape, writeWinogradDescs } from "../winograd.js";
import { activateHeap } from "./activation-step.js";
import { groupedConv, groupedConvFits } from "./grouped-conv.js";
import type { ActionOf, StepBuilder, StepHeap, StepPlanning, WasmStep } from "./wasm-step.js";

type ConvAction = ActionOf<"conv">;

/** The kernels a blocked conv may run on. */
export type ConvKernel = "winograd" | "depthwise" | "grouped" | "direct";

/** The kernel of a conv over a blocked input; `winograd`: whether the plan allows Winograd. */
export function convKernel(action: ConvAction, winograd: boolean): ConvKernel {
  if (winograd && winogradFits(action.weight.shape, action.window, action.group)) return "winograd";
  if (groupedConvFits(action.weight.shape, action.group)) return "grouped";
  return action.group > 1 ? "depthwise" : "direct";
}

/**
 * Each kernel's memory and build step; `ceiling`: the max of a relu6-like `Clip` the kernel runs
 * in its epilogue (from {@link fusedCeiling}), if any.
 */
const CONV_KERNELS: Record<ConvKernel, (action: ConvAction, planning: StepPlanning, ceiling?: number) => StepBuilder> = {
  winograd: winogradConv,
  depthwise: depthwiseConv,
  grouped: groupedConv,
  direct: directConv,
};

/** A conv over a blocked input, on the kernel {@link convKernel} picks, then its unfused activation. */
export const convStep: WasmStep<ConvAction> = (action, planning) => {
  if (planning.layout.buffers[action.input].form !== "blocked") return undefined;
  const kernel = convKernel(action, planning.winograd);
  const ceiling = kernel === "winograd" ? undefined : fusedCeiling(action);
  const build = CONV_KERNELS[kernel](action, planning, ceiling);
  return (heap) => (ceiling === undefined ? withActivation(action, heap, build(heap)) : build(heap));
};

/**
 * The max of the activation after a conv when it is `Clip` with min 0 and a finite max (relu6:
 * max(0, min(max, x)), which the kernel computes as relu then a ceiling); `undefined` otherwise.
 */
export function fusedCeiling(action: ConvAction): number | undefined {
  const after = action.after;
  if (after?.kind !== "pointwise" || after.op !== "Clip") return undefined;
  const { min, max } = after.attrs ?? {};
  return min === 0 && max !== undefined && Number.isFinite(max) && max >= 0 ? max : undefined;
}

/** The flags word of a conv's epilogue: relu, and a ceiling when `ceiling` is set (which implies relu). */
function epilogueFlags(action: ConvAction, ceiling: number | undefined): number {
  if (ceiling !== undefined) return ConvFlags.relu | ConvFlags.ceiling;
  return action.relu ? ConvFlags.relu : 0;
}

/** `run`, followed by the activation the conv fuses (not relu) in TypeScript or the `activate` kernel. */
function withActivation(action: ConvAction, heap: StepHeap, run: () => void): () => void {
  const after = action.after;
  if (after === undefined) return run;
  const out = heap.at(action.output) / 4;
  const size = heap.layout.buffers[action.output].size;
  return () => {
    run();
    activateHeap(heap, out, out, size, after);
  };
}

/** Writes a conv's bias at byte offset `at`, zero-padded to its channel stride. */
function placeBias(heap: Float32Array, action: ConvAction, at: number): void {
  heap.fill(0, at / 4, at / 4 + channelStride(action.weight.shape[0]));
  if (action.bias !== undefined) heap.set(action.bias.data, at / 4);
}

/** The direct conv: weights packed in panels of 8 output channels, a `ConvDesc` descriptor. */
function directConv(action: ConvAction, { layout, memory }: StepPlanning, ceiling?: number): StepBuilder {
  const [m, c, kh, kw] = action.weight.shape;
  const desc = memory.take(CONV_DESC_WORDS);
  const weights = memory.takeWeights(packedConvFloats(m, c, kh, kw));
  const bias = memory.takeWeights(channelStride(m));
  memory.needZeroRow(channelStride(c));
  return ({ heap, words, at, zero, splitter }) => {
    packConvWeight(action.weight.data, m, c, kh, kw, heap, weights / 4);
    placeBias(heap, action, bias);
    const [n, , h, w] = layout.buffers[action.input].shape;
    const win = action.window;
    const csIn = channelStride(c) * 4;
    const csOut = channelStride(m) * 4;
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
      ["weights", weights],
      ["panel", kh * kw * csIn * CONV_NR],
      ["bias", bias],
      ["output", at(action.output)],
      ["outImage", win.oh * win.ow * csOut],
      ["outPixel", csOut],
      ["residual", action.residual === undefined ? 0 : at(action.residual)],
      ["resImage", win.oh * win.ow * csOut],
      ["resPixel", csOut],
      ["oh", win.oh],
      ["ow", win.ow],
      ["flags", epilogueFlags(action, ceiling)],
      ["zero", zero],
      ["rowsPerChunk", Math.max(1, Math.ceil(48 / win.ow))],
      // A 1-wide kernel reads only the real channels of each tap (an unfolded stem's 21 of 24).
      ["tapChannels", kw === 1 ? c : 0],
      // A 1×1 conv with stride 1 and no padding: its rows are one run of pixels, for the
      // pointwise driver (the images are stored whole, as the descriptor's strides say).
      ["pointwise", kh === 1 && kw === 1 && win.sh === 1 && win.sw === 1 && win.padTop === 0 && win.padLeft === 0 && win.oh === h && win.ow === w ? 1 : 0],
    ];
    for (const [name, value] of fields) words[desc / 4 + ConvDesc[name]] = value;
    heap[desc / 4 + ConvDesc.ceiling] = ceiling ?? Infinity;
    const rows = n * win.oh;
    const blocks = channelStride(m) / CONV_NR;
    const work = n * win.oh * win.ow * m * c * kh * kw;
    return () => splitter.conv(desc, rows, blocks, work);
  };
}

/**
 * The Winograd conv (`winograd.ts`): U made at load and kept (up to 64 × 64 channels), or the
 * 9-tap weights kept and transformed on every forward — whole into the shared scratch before
 * `wino_rows` (narrow), or a block at a time by `wino_blocks` after each pass's input transform
 * (wide).
 */
function winogradConv(action: ConvAction, { layout, memory, counts, winogradTile }: StepPlanning): StepBuilder {
  const [m, c] = action.weight.shape;
  const win = action.window;
  const shape = winogradShape(m, c, layout.buffers[action.input].shape[0], win.oh, win.ow, winogradTile);
  const blocks = channelStride(m) / CONV_NR;
  const desc = memory.take(shape.wide ? WINO_WIDE_DESC_WORDS : WINO_DESC_WORDS);
  const blockDescs = shape.wide ? memory.take(blocks * WINO_DESC_WORDS) : 0;
  // The 9-tap weights, or (stored) U, ξ by ξ at its padded stride.
  const weights = memory.takeWeights(shape.stored ? (shape.xis * shape.uXi) / 4 : blocks * CONV_NR * channelStride(c) * 9);
  const bias = memory.takeWeights(channelStride(m));
  memory.needZeroRow(channelStride(c));
  memory.needWinogradScratch(shape.scratch);
  memory.needSharedScratch(shape.shared);
  counts["of which winograd"] = (counts["of which winograd"] ?? 0) + 1;
  if (shape.tile === 4) counts["of which winograd 4×4"] = (counts["of which winograd 4×4"] ?? 0) + 1;
  return ({ heap, words, at, zero, winogradScratch, sharedScratch, splitter, kernels }) => {
    const cs = channelStride(c);
    const srcPanel = 9 * cs * CONV_NR * 4;
    const panel = cs * CONV_NR * 4;
    // Stored: the 9-tap weights go to the shared scratch for as long as U is made from them.
    const source = shape.stored ? sharedScratch : weights;
    packWinogradSource(action.weight.data, m, c, heap, source / 4);
    const u = shape.stored ? weights : sharedScratch;
    const makeU = shape.tile === 4 ? kernels.wino4U : kernels.winoU;
    const transform = (): void => {
      for (let ob = 0; ob < blocks; ob++) makeU(source + ob * srcPanel, u + ob * panel, cs, shape.uXi);
    };
    if (shape.stored) transform();
    placeBias(heap, action, bias);
    const [n, , h, w] = layout.buffers[action.input].shape;
    const placement = {
      input: at(action.input),
      output: at(action.output),
      residual: action.residual === undefined ? 0 : at(action.residual),
      weights,
      bias,
      zero,
      shared: sharedScratch,
      u,
      scratch: winogradScratch,
      blockDescs,
    };
    writeWinogradDescs(words, desc, placement, { m, c, h, w, window: win, relu: action.relu }, shape);
    const rows = n * shape.th;
    const work = n * win.oh * win.ow * m * c * 9;
    if (shape.stored) return () => splitter.wino(desc, rows, work, shape.tile);
    if (!shape.wide) {
      return () => {
        transform();
        splitter.wino(desc, rows, work, shape.tile);
      };
    }
    return () => {
      for (let start = 0; start < rows; start += shape.passRows) {
        const end = Math.min(rows, start + shape.passRows);
        words[desc / 4 + WinoWide.passStart] = start;
        words[desc / 4 + WinoWide.passEnd] = end;
        // Both halves of the pass are split when the conv's work is worth it.
        const passWork = (work * (end - start)) / rows;
        splitter.winoPassIn(desc, start, end, passWork, shape.tile);
        splitter.winoBlocks(desc, blocks, passWork, shape.tile);
      }
    };
  };
}

/** The depthwise conv: weights packed `[kh][kw][Cs]`, a `PoolDesc` descriptor with the conv's fields. */
function depthwiseConv(action: ConvAction, { layout, memory }: StepPlanning, ceiling?: number): StepBuilder {
  const [m, , kh, kw] = action.weight.shape;
  const cs = channelStride(m);
  const desc = memory.take(POOL_DESC_WORDS);
  const weights = memory.takeWeights(kh * kw * cs);
  const bias = memory.takeWeights(cs);
  return ({ heap, words, at, splitter }) => {
    // weights[(ky·kw + kx)·Cs + c] = W[c, 0, ky, kx]
    const base = weights / 4;
    heap.fill(0, base, base + kh * kw * cs);
    for (let c = 0; c < m; c++) for (let k = 0; k < kh * kw; k++) heap[base + k * cs + c] = action.weight.data[c * kh * kw + k];
    placeBias(heap, action, bias);
    const [n, , h, w] = layout.buffers[action.input].shape;
    const win = action.window;
    const fields: [keyof typeof PoolDesc, number][] = [
      ["input", at(action.input)], ["inImage", h * w * cs * 4], ["height", h], ["width", w], ["inPixel", cs * 4],
      ["output", at(action.output)], ["outImage", win.oh * win.ow * cs * 4], ["outPixel", cs * 4], ["oh", win.oh], ["ow", win.ow],
      ["kh", kh], ["kw", kw], ["sh", win.sh], ["sw", win.sw], ["padTop", win.padTop], ["padLeft", win.padLeft],
      ["quads", cs / 4], ["average", 0], ["dh", win.dh], ["dw", win.dw], ["weights", weights], ["bias", bias],
      ["residual", action.residual === undefined ? 0 : at(action.residual)], ["resImage", win.oh * win.ow * cs * 4], ["resPixel", cs * 4],
      ["flags", epilogueFlags(action, ceiling)],
    ];
    for (const [name, value] of fields) words[desc / 4 + PoolDesc[name]] = value;
    heap[desc / 4 + PoolDesc.ceiling] = ceiling ?? Infinity;
    const rows = n * win.oh;
    const work = n * win.oh * win.ow * m * kh * kw;
    return () => splitter.depthwise(desc, rows, work);
  };
}
