/**
 * A per-channel normalization of a blocked rank-4 value (`ChannelNorm`): y = x·a + b per sample
 * and channel (then max(y, τ) for FRN), on the `channel_affine` kernel
 * (`runtime/wasm/norm-kernels.ts`). A batch norm's a and b are constants. A group norm's come
 * from `row_moments` sums — per row and channel, the mean first, then squares about it — added
 * up here in double precision per (sample, group): a = γ / √(σ² + ε), b = β − μ·a. FRN takes
 * ν² = mean(x²) per (sample, channel): a = γ / √(ν² + ε), b = β. Two passes, so values far from
 * zero keep exact statistics.
 *
 * A channel norm (`pixel`, ConvNeXt's) has statistics per pixel instead, over the pixel's
 * channels, which are contiguous in the blocked layout: the `pixel_norm` kernel reduces each
 * pixel's quads, then writes (x − μ)/√(σ² + ε)·γ + β, with a lane mask that keeps the padded
 * channels out of the sums and writes them as 0. One call over every pixel, on the calling thread.
 */
import { channelStride } from "../layout.js";
import type { ActionOf, WasmStep } from "./wasm-step.js";

/** A normalization over a blocked input: per-row sums, then per sample each channel's centre, scale, shift and floor. */
export const normStep: WasmStep<ActionOf<"norm">> = (action, { layout, memory }) => {
  if (layout.buffers[action.input].form !== "blocked") return undefined;
  const [n, c, h, w] = layout.buffers[action.input].shape;
  const cs = channelStride(c);
  const norm = action.norm;
  if (norm.form === "pixel") {
    // The lane mask (i32), then γ and β, each one channel row (padding: 0).
    const maskAt = memory.take(cs);
    const affineAt = memory.takeWeights(2 * cs);
    return ({ heap, words, kernels, at }) => {
      const [mask, gamma, beta] = [maskAt / 4, affineAt / 4, affineAt / 4 + cs];
      for (let ch = 0; ch < cs; ch++) {
        words[mask + ch] = ch < c ? -1 : 0;
        heap[gamma + ch] = ch < c ? (norm.scale?.data[ch] ?? 1) : 0;
        heap[beta + ch] = ch < c ? (norm.bias?.data[ch] ?? 0) : 0;
      }
      const [input, output] = [at(action.input), at(action.output)];
      return () => kernels.pixelNorm(input, output, n * h * w, cs * 4, cs / 4, maskAt, affineAt, affineAt + cs * 4, c, norm.epsilon);
    };
  }
  const sumsAt = memory.take(n * h * cs);
  const coefAt = memory.take(4 * n * cs);
  memory.needZeroRow(cs);
  return ({ heap, kernels, at, zero }) => {
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
};
