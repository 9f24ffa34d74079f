/**
 * Shared arithmetic of the normalizers. Every normalizer views its input as `[N, C, S]`, with
 * `S` the product of the spatial dimensions (1 for a `[N, F]` feature batch), computes a mean
 * and a variance over some of those axes, and ends in a per-(sample, channel) scale and shift
 * `y = x · a + b`. Statistics are accumulated in double with two passes (mean, then squared
 * deviations), which stays accurate when the mean is large next to the spread.
 */
import { pointwiseHeap } from "./linalg/wasm-products.js";
import { relu } from "./kernels/relu.js";
import { assertShape, sizeOf, type Tensor } from "./tensor.js";

/** An input seen as `[n, c, inner]`. */
export interface ChannelLayout {
  n: number;
  c: number;
  inner: number;
}

/** Means and biased variances, one per reduced group. */
export interface Moments {
  mean: Float64Array;
  variance: Float64Array;
}

/**
 * A training-mode normalizer's results in the order of ONNX's training-mode `BatchNormalization`
 * outputs: the output, then the new running mean and the new running variance (the running
 * standard deviation for batch renormalization). The statistics are new tensors; the ones passed
 * in are left untouched.
 */
export type TrainingResult = [y: Tensor, runningMean: Tensor, runningSpread: Tensor];

/** Views `x` as `[N, C, S]`, checking that its rank is one of `ranks`. */
export function channelLayout(x: Tensor, ranks: readonly number[], op: string): ChannelLayout {
  if (!ranks.includes(x.shape.length)) {
    throw new Error(`${op}: input needs rank ${ranks.join(" or ")}, got [${x.shape.join(", ")}]`);
  }
  if (x.data.length !== sizeOf(x.shape)) {
    throw new Error(`${op}: shape [${x.shape.join(", ")}] does not match its ${x.data.length} values`);
  }
  return { n: x.shape[0], c: x.shape[1], inner: sizeOf(x.shape.slice(2)) };
}

/** Returns the data of a per-channel parameter after checking that it is `[c]`, or undefined. */
export function channelParameter(t: Tensor | undefined, c: number, what: string): Float32Array | undefined {
  if (t === undefined) return undefined;
  assertShape(t, [c], what);
  return t.data;
}

/** Like {@link channelParameter}, for a parameter that must be present. */
export function requiredChannelParameter(t: Tensor | undefined, c: number, what: string): Float32Array {
  if (t === undefined) throw new Error(`${what} is missing`);
  assertShape(t, [c], what);
  return t.data;
}

/**
 * Mean and biased variance of every run of `length` consecutive values, `runs` runs from the
 * start of `data`: per (sample, channel) when `length = S`, per sample when `length = C·S`.
 */
export function runMoments(data: Float32Array, runs: number, length: number): Moments {
  const mean = new Float64Array(runs);
  const variance = new Float64Array(runs);
  for (let r = 0; r < runs; r++) {
    const start = r * length;
    const end = start + length;
    let sum = 0;
    for (let i = start; i < end; i++) sum += data[i];
    const mu = sum / length;
    let squares = 0;
    for (let i = start; i < end; i++) {
      const d = data[i] - mu;
      squares += d * d;
    }
    mean[r] = mu;
    variance[r] = squares / length;
  }
  return { mean, variance };
}

/**
 * Mean and biased variance of every channel over the batch and spatial axes (N, S): per channel,
 * the sum of each sample's plane added sample by sample, then likewise the squared deviations
 * from the mean ({@link writePlaneSums}); for a large tensor the plane sums run in WebAssembly
 * (`ProductHeap.planeSums`), each in its plane's order, so the results are the same.
 */
export function channelMoments(data: Float32Array, layout: ChannelLayout): Moments {
  const { n, c, inner } = layout;
  const count = n * inner;
  const heap = pointwiseHeap(data.length);
  const planes = new Float64Array(n * c);
  /** Each plane's sum (with `centre`, of squared deviations from its channel's), added to its channel sample by sample, over the count. */
  const channelSums = (centre?: Float64Array): Float64Array => {
    if (heap !== undefined) {
      let perPlane: Float64Array | undefined;
      if (centre !== undefined) {
        perPlane = new Float64Array(n * c);
        for (let b = 0; b < n; b++) perPlane.set(centre, b * c);
      }
      heap.planeSums(centre ? "squares" : "sums", [data], inner, perPlane, planes);
    } else {
      for (let b = 0; b < n; b++) writePlaneSums(data, b * c * inner, c, inner, centre, planes, b * c);
    }
    const sums = new Float64Array(c);
    for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) sums[ch] += planes[b * c + ch];
    for (let ch = 0; ch < c; ch++) sums[ch] /= count;
    return sums;
  };
  const mean = channelSums();
  return { mean, variance: channelSums(mean) };
}

/**
 * Writes `sums[at + k]`, for each of the `planes` consecutive planes of `inner` values from
 * `start`, the sum over plane k of its values, or with `centre` of `(value − centre[k])²`, summed
 * in order from the plane's first value. Four planes go through one loop: four independent chains
 * of additions, where one plane at a time waits on each addition's latency. Every chain keeps its
 * order, so the sums are those of one plane at a time.
 */
function writePlaneSums(data: Float32Array, start: number, planes: number, inner: number, centre: Float64Array | undefined, sums: Float64Array, at: number): void {
  let k = 0;
  for (; k + 4 <= planes; k += 4) {
    const from = start + k * inner;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    if (centre === undefined) {
      for (let i = from, end = from + inner; i < end; i++) {
        s0 += data[i];
        s1 += data[i + inner];
        s2 += data[i + 2 * inner];
        s3 += data[i + 3 * inner];
      }
    } else {
      const m0 = centre[k];
      const m1 = centre[k + 1];
      const m2 = centre[k + 2];
      const m3 = centre[k + 3];
      for (let i = from, end = from + inner; i < end; i++) {
        const d0 = data[i] - m0;
        const d1 = data[i + inner] - m1;
        const d2 = data[i + 2 * inner] - m2;
        const d3 = data[i + 3 * inner] - m3;
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
      }
    }
    sums[at + k] = s0;
    sums[at + k + 1] = s1;
    sums[at + k + 2] = s2;
    sums[at + k + 3] = s3;
  }
  for (; k < planes; k++) {
    const from = start + k * inner;
    let sum = 0;
    if (centre === undefined) {
      for (let i = from, end = from + inner; i < end; i++) sum += data[i];
    } else {
      const mu = centre[k];
      for (let i = from, end = from + inner; i < end; i++) {
        const d = data[i] - mu;
        sum += d * d;
      }
    }
    sums[at + k] = sum;
  }
}

/**
 * Writes `dst = x · scale + shift`, with one (scale, shift) pair per channel when `perSample` is
 * false (batch statistics) or per (sample, channel) when true (instance, layer, group statistics);
 * with `withRelu`, relu of each value (`kernels/relu.ts`'s bits). A large tensor runs in WebAssembly
 * (`ProductHeap.planewise`, the relu in the same pass), to the same bits.
 */
export function applyScaleShift(
  src: Float32Array,
  layout: ChannelLayout,
  scale: Float64Array,
  shift: Float64Array,
  perSample: boolean,
  dst: Float32Array,
  withRelu = false,
): void {
  const { n, c, inner } = layout;
  const heap = pointwiseHeap(dst.length);
  if (heap !== undefined) {
    heap.planewise(withRelu ? "scaleShiftRelu" : "scaleShift", [src], dst, inner, [scale, shift], perSample ? n * c : c);
    return;
  }
  for (let plane = 0; plane < n * c; plane++) {
    const k = perSample ? plane : plane % c;
    const a = scale[k];
    const b = shift[k];
    const end = (plane + 1) * inner;
    let i = plane * inner;
    // Four at a time: fewer loop tests and bounds checks per value.
    for (; i + 4 <= end; i += 4) {
      dst[i] = src[i] * a + b;
      dst[i + 1] = src[i + 1] * a + b;
      dst[i + 2] = src[i + 2] * a + b;
      dst[i + 3] = src[i + 3] * a + b;
    }
    for (; i < end; i++) dst[i] = src[i] * a + b;
  }
  if (withRelu) relu({ shape: [dst.length], data: dst }, dst);
}

/** `(1 - momentum) · running + momentum · batch` for every channel, as a new `[C]` tensor. */
export function momentumUpdate(running: Float32Array, batch: ArrayLike<number>, momentum: number): Tensor {
  const updated = new Float32Array(running.length);
  for (let ch = 0; ch < running.length; ch++) updated[ch] = (1 - momentum) * running[ch] + momentum * batch[ch];
  return { shape: [running.length], data: updated };
}
