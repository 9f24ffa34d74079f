/**
 * A grouped conv that is not depthwise (RegNet's and ResNeXt's: `groups` filters, each reading
 * `C / groups` input channels and writing `M / groups` outputs) on the direct conv kernel
 * (`conv_rows`, `runtime/wasm/conv-kernel.ts`), run once per group (and kernel column, see
 * {@link groupedConv}).
 *
 * In the blocked layout a pixel's channels lie side by side, so a group's input and output
 * channels are a sub-range of every pixel: group g's descriptor is the whole conv's with the
 * input, output, bias and residual pointers moved to the group's first channel, the pixel, row
 * and image strides unchanged, and `icQuads` (the channels the kernel reduces over) the group's
 * input width. Its weights are packed as an ungrouped conv of `M / groups` outputs over
 * `C / groups` inputs, one panel set per group.
 *
 * The kernel reduces over whole quads of input channels and writes whole blocks of 8 output
 * channels, and a group's panels are packed over its channel stride; so a conv takes this path
 * only where each group reads a channel-stride's worth of channels (4 or a multiple of 8) and
 * writes a multiple of 8 ({@link groupedConvFits}). Other grouped convs keep the TypeScript step.
 */
import { CONV_DESC_WORDS, ConvDesc, ConvFlags, CONV_NR } from "../../wasm/conv-kernel.js";
import { channelStride, packConvWeight, packedConvFloats } from "../layout.js";
import type { ActionOf, StepBuilder, StepPlanning } from "./wasm-step.js";

type ConvAction = ActionOf<"conv">;

/**
 * Whether a conv of weight `[M, C / group, kh, kw]` in `group` groups runs on {@link groupedConv}:
 * more than one group, not depthwise, each group's inputs a whole channel stride (4 or a multiple
 * of 8) and its outputs a multiple of 8.
 */
export function groupedConvFits(weightShape: readonly number[], group: number): boolean {
  if (group <= 1 || weightShape.length !== 4) return false;
  const [m, cg] = weightShape;
  const mg = m / group;
  return cg > 1 && channelStride(cg) === cg && Number.isInteger(mg) && mg % CONV_NR === 0;
}

/**
 * The grouped conv: per group, `ConvDesc`s over the group's channel sub-range and its packed
 * weights, run by the splitter one group after another; `ceiling`: the max of a relu6-like
 * `Clip` run in the epilogue.
 *
 * Where the kernel is wider than one column and undilated, the kernel's tiles that touch no edge
 * read a row of taps as one run of `kw·C` consecutive floats, which holds only where a pixel has
 * no other channels than those it reduces over. A group's conv therefore runs as `kw` passes of
 * one kernel column each (its input window moved right by a column each time): the first adds
 * the bias and the fused residual, each later one adds onto the output (as its residual), and
 * the last applies relu and the ceiling.
 */
export function groupedConv(action: ConvAction, { layout, memory, counts }: StepPlanning, ceiling?: number): StepBuilder {
  const [m, cg, kh, kw] = action.weight.shape;
  const groups = action.group;
  const mg = m / groups;
  const c = cg * groups;
  const win = action.window;
  const columns = kw > 1 && win.dw === 1 ? kw : 1;
  const tapW = kw / columns;
  const perPass = packedConvFloats(mg, cg, kh, tapW);
  const passes = groups * columns;
  const descs = memory.take(passes * CONV_DESC_WORDS);
  const weights = memory.takeWeights(passes * perPass);
  const bias = memory.takeWeights(channelStride(m));
  const zeroBias = columns > 1 ? memory.takeWeights(mg) : bias;
  memory.needZeroRow(channelStride(c));
  counts["of which grouped"] = (counts["of which grouped"] ?? 0) + 1;
  return ({ heap, words, at, zero, splitter }) => {
    // Pass (g, j) computes group g's outputs over kernel columns [j·tapW, (j + 1)·tapW).
    const part = new Float32Array(mg * cg * kh * tapW);
    const data = action.weight.data;
    for (let g = 0; g < groups; g++) {
      for (let j = 0; j < columns; j++) {
        for (let o = 0; o < mg; o++) {
          for (let ch = 0; ch < cg; ch++) {
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < tapW; kx++) {
                part[((o * cg + ch) * kh + ky) * tapW + kx] = data[(((g * mg + o) * cg + ch) * kh + ky) * kw + j * tapW + kx];
              }
            }
          }
        }
        packConvWeight(part, mg, cg, kh, tapW, heap, weights / 4 + (g * columns + j) * perPass);
      }
    }
    heap.fill(0, bias / 4, bias / 4 + channelStride(m));
    if (action.bias !== undefined) heap.set(action.bias.data, bias / 4);
    if (columns > 1) heap.fill(0, zeroBias / 4, zeroBias / 4 + mg);
    const [n, , h, w] = layout.buffers[action.input].shape;
    const csIn = channelStride(c) * 4;
    const csOut = channelStride(m) * 4;
    const flags = ceiling !== undefined ? ConvFlags.relu | ConvFlags.ceiling : action.relu ? ConvFlags.relu : 0;
    const residual = action.residual === undefined ? undefined : at(action.residual);
    for (let g = 0; g < groups; g++) {
      const output = at(action.output) + g * mg * 4;
      for (let j = 0; j < columns; j++) {
        const desc = descs + (g * columns + j) * CONV_DESC_WORDS * 4;
        const first = j === 0;
        const last = j === columns - 1;
        const fields: [keyof typeof ConvDesc, number][] = [
          ["input", at(action.input) + g * cg * 4],
          ["inImage", h * w * csIn],
          ["inRow", w * csIn],
          ["inPixel", csIn],
          ["height", h],
          ["width", w],
          ["icQuads", cg / 4],
          ["kh", kh],
          ["kw", tapW],
          ["sh", win.sh],
          ["sw", win.sw],
          ["dh", win.dh],
          ["dw", win.dw],
          ["padTop", win.padTop],
          ["padLeft", win.padLeft - j * tapW * win.dw],
          ["weights", weights + (g * columns + j) * perPass * 4],
          ["panel", kh * tapW * cg * 4 * CONV_NR],
          ["bias", first ? bias + g * mg * 4 : zeroBias],
          ["output", output],
          ["outImage", win.oh * win.ow * csOut],
          ["outPixel", csOut],
          ["residual", !first ? output : residual === undefined ? 0 : residual + g * mg * 4],
          ["resImage", win.oh * win.ow * csOut],
          ["resPixel", csOut],
          ["oh", win.oh],
          ["ow", win.ow],
          ["flags", last ? flags : 0],
          ["zero", zero],
          ["rowsPerChunk", Math.max(1, Math.ceil(48 / win.ow))],
        ];
        for (const [name, value] of fields) words[desc / 4 + ConvDesc[name]] = value;
        heap[desc / 4 + ConvDesc.ceiling] = last ? (ceiling ?? Infinity) : Infinity;
      }
    }
    const rows = n * win.oh;
    const blocks = mg / CONV_NR;
    const work = n * win.oh * win.ow * mg * cg * kh * tapW;
    return () => {
      for (let d = 0; d < passes; d++) splitter.conv(descs + d * CONV_DESC_WORDS * 4, rows, blocks, work);
    };
  };
}
