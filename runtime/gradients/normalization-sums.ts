/**
 * The arithmetic the normalizers' backward kernels share. A normalizer ends in
 * `y = scale · (x − μ) · inv + shift` over statistic groups, so its input gradient is, per run of
 * values that share their coefficients (a bin: one channel over the batch, or one (sample,
 * channel) plane),
 *
 *     dx = a · dy + b · x + c,
 *
 * and every coefficient comes from four sums per bin: the count, the mean, the sum of squared
 * deviations, `Σ dy` and `Σ dy · (x − mean)`. One pass over `x` and `dy` gathers them (in double,
 * shifted by the bin's first value so that a large mean next to a small spread loses nothing),
 * and a second pass writes `dx`.
 *
 * For `x̂ = (x − μ_g) · inv_g` over a group g of m values and `y = s_k · x̂ + …` (s_k per bin):
 *
 *     dx = inv_g · (s_k · dy − S1 / m − x̂ · S2 / m),  S1 = Σ_g s · dy,  S2 = Σ_g s · dy · x̂,
 *
 * and the scale's gradient is `Σ dy · x̂` per bin ({@link standardizedBackward}).
 */
import type { ChannelLayout, Moments } from "../moments.js";
import { pointwiseHeap } from "../linalg/wasm-products.js";
import { assertShape, overwrittenFloats, type Tensor } from "../tensor.js";

/** The attribute every backward kernel gets: a 0/1 flag per forward input, 1 where its gradient is returned. */
export interface GradientAttributes {
  wants: readonly number[];
}

/** Per-bin sums of one pass over `x` and `dy`. */
export interface BinMoments {
  /** Values per bin. */
  readonly count: number;
  readonly mean: Float64Array;
  /** `Σ (x − mean)²`. */
  readonly m2: Float64Array;
  /** `Σ dy`. */
  readonly dy: Float64Array;
  /** `Σ dy · (x − mean)`. */
  readonly dyc: Float64Array;
}

/** `dx = a · dy + b · x + c`, one coefficient triple per bin. */
export interface Coefficients {
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly c: Float64Array;
}

/** Checks that the output gradient `dy` is shaped like the forward input `x`. */
export function checkGradient(dy: Tensor, x: Tensor, op: string): void {
  assertShape(dy, x.shape, `${op}: output gradient`);
}

/**
 * The sums of every bin in one pass: per channel over the batch (`perSample` false, the bins of
 * batch statistics) or per (sample, channel) plane (true); for a large tensor the plane sums run
 * in WebAssembly (`ProductHeap.planeSums`), each in its plane's order, so the results are the same.
 */
export function binMoments(x: Float32Array, dy: Float32Array, layout: ChannelLayout, perSample: boolean): BinMoments {
  const { n, c, inner } = layout;
  const bins = perSample ? n * c : c;
  const count = perSample ? inner : n * inner;
  const mean = new Float64Array(bins);
  const m2 = new Float64Array(bins);
  const sumDy = new Float64Array(bins);
  const dyc = new Float64Array(bins);
  // The shift of each bin is its first value: plane k starts at k·inner, and so does channel k's first plane.
  const shift = new Float64Array(bins);
  for (let k = 0; k < bins; k++) shift[k] = x[k * inner];
  // Four sums per plane, from the plane's first value, then added to their bin plane by plane.
  const planes = scratch(0, 4 * n * c);
  const heap = pointwiseHeap(x.length);
  if (heap !== undefined) {
    const origins = scratch(1, n * c);
    for (let p = 0, k = 0; p < n * c; p++, k = k + 1 === bins ? 0 : k + 1) origins[p] = shift[k];
    heap.planeSums("moments", [x, dy], inner, origins, planes);
  } else {
    for (let plane = 0; plane < n * c; plane++) {
      const origin = shift[perSample ? plane : plane % c];
      let s1 = 0;
      let s2 = 0;
      let g1 = 0;
      let g2 = 0;
      for (let i = plane * inner, end = i + inner; i < end; i++) {
        const v = x[i] - origin;
        const g = dy[i];
        s1 += v;
        s2 += v * v;
        g1 += g;
        g2 += g * v;
      }
      planes.set([s1, s2, g1, g2], 4 * plane);
    }
  }
  for (let plane = 0, k = 0; plane < n * c; plane++, k = k + 1 === bins ? 0 : k + 1) {
    mean[k] += planes[4 * plane];
    m2[k] += planes[4 * plane + 1];
    sumDy[k] += planes[4 * plane + 2];
    dyc[k] += planes[4 * plane + 3];
  }
  for (let k = 0; k < bins; k++) {
    const offset = mean[k] / count;
    m2[k] = Math.max(0, m2[k] - mean[k] * offset);
    dyc[k] -= offset * sumDy[k];
    mean[k] = shift[k] + offset;
  }
  return { count, mean, m2, dy: sumDy, dyc };
}

/**
 * Float64 scratch `k` of at least `length` values (zeros or a previous call's values, which
 * every user overwrites), kept between calls: a step's normalizers would otherwise allocate tens
 * of kilobytes each, outside V8's heap.
 */
function scratch(k: 0 | 1, length: number): Float64Array {
  if (scratches[k].length < length) scratches[k] = new Float64Array(length);
  return scratches[k].subarray(0, length);
}
const scratches = [new Float64Array(0), new Float64Array(0)];

/**
 * Mean and biased variance of `groups` groups of bins, bin k in group `groupOf(k)` (every group
 * the same number of bins): the pooled moments of its bins.
 */
export function pooledMoments(m: BinMoments, groups: number, groupOf: (bin: number) => number): Moments {
  const mean = new Float64Array(groups);
  const variance = new Float64Array(groups);
  const members = new Float64Array(groups);
  for (let k = 0; k < m.mean.length; k++) {
    const g = groupOf(k);
    mean[g] += m.mean[k];
    members[g] += 1;
  }
  for (let g = 0; g < groups; g++) mean[g] /= members[g];
  for (let k = 0; k < m.mean.length; k++) {
    const g = groupOf(k);
    const d = m.mean[k] - mean[g];
    variance[g] += m.m2[k] + m.count * d * d;
  }
  for (let g = 0; g < groups; g++) variance[g] /= members[g] * m.count;
  return { mean, variance };
}

/** `1 / sqrt(variance + epsilon)` of every group. */
export function inverseStd(variance: Float64Array, epsilon: number): Float64Array {
  return variance.map((v) => 1 / Math.sqrt(v + epsilon));
}

/** What {@link standardizedBackward} returns: the input's coefficients and `Σ dy · x̂` per bin. */
export interface StandardizedGradient {
  readonly coefficients: Coefficients;
  readonly dotNormalized: Float64Array;
}

/**
 * The backward of `y_k = scale(k) · (x − μ_g) · inv_g + …` for bins grouped by `groupOf`, with the
 * groups' means and inverse standard deviations (see the header).
 */
export function standardizedBackward(
  m: BinMoments,
  stats: { readonly mean: Float64Array; readonly inv: Float64Array },
  groupOf: (bin: number) => number,
  scale: (bin: number) => number,
): StandardizedGradient {
  const bins = m.mean.length;
  const groups = stats.mean.length;
  const dotNormalized = new Float64Array(bins);
  const s1 = new Float64Array(groups);
  const s2 = new Float64Array(groups);
  const members = new Float64Array(groups);
  for (let k = 0; k < bins; k++) {
    const g = groupOf(k);
    dotNormalized[k] = stats.inv[g] * (m.dyc[k] + (m.mean[k] - stats.mean[g]) * m.dy[k]);
    s1[g] += scale(k) * m.dy[k];
    s2[g] += scale(k) * dotNormalized[k];
    members[g] += 1;
  }
  const coefficients = newCoefficients(bins);
  for (let k = 0; k < bins; k++) {
    const g = groupOf(k);
    const inv = stats.inv[g];
    const count = members[g] * m.count;
    coefficients.a[k] = inv * scale(k);
    coefficients.b[k] = (-inv * inv * s2[g]) / count;
    coefficients.c[k] = (-inv * s1[g]) / count - coefficients.b[k] * stats.mean[g];
  }
  return { coefficients, dotNormalized };
}

/** Zeroed coefficients for `bins` bins. */
export function newCoefficients(bins: number): Coefficients {
  return { a: new Float64Array(bins), b: new Float64Array(bins), c: new Float64Array(bins) };
}

/**
 * The second pass: `dx = a · dy + b · x + c` with the coefficients of each value's bin; a large
 * tensor in WebAssembly (`ProductHeap.planewise`), to the same bits.
 */
export function writeInputGradient(dy: Tensor, x: Tensor, layout: ChannelLayout, perSample: boolean, coefficients: Coefficients): Tensor {
  const { n, c, inner } = layout;
  // Every element is written: a pooled buffer needs no zero fill.
  const dx = overwrittenFloats(x.data.length);
  const [g, v] = [dy.data, x.data];
  const { a, b, c: offset } = coefficients;
  const heap = pointwiseHeap(dx.length);
  if (heap !== undefined) {
    heap.planewise("gradientAffine", [g, v], dx, inner, [a, b, offset], perSample ? n * c : c);
    return { shape: [...x.shape], data: dx };
  }
  for (let plane = 0; plane < n * c; plane++) {
    const k = perSample ? plane : plane % c;
    const [ak, bk, ck] = [a[k], b[k], offset[k]];
    const end = (plane + 1) * inner;
    let i = plane * inner;
    // Four at a time: fewer loop tests and bounds checks per value.
    for (; i + 4 <= end; i += 4) {
      dx[i] = ak * g[i] + bk * v[i] + ck;
      dx[i + 1] = ak * g[i + 1] + bk * v[i + 1] + ck;
      dx[i + 2] = ak * g[i + 2] + bk * v[i + 2] + ck;
      dx[i + 3] = ak * g[i + 3] + bk * v[i + 3] + ck;
    }
    for (; i < end; i++) dx[i] = ak * g[i] + bk * v[i] + ck;
  }
  return { shape: [...x.shape], data: dx };
}

/** A `[channels]` tensor of the per-bin `values` summed by channel (bin k is channel k mod `channels`). */
export function channelTotals(values: ArrayLike<number>, channels: number): Tensor {
  const sums = new Float64Array(channels);
  for (let k = 0; k < values.length; k++) sums[k % channels] += values[k];
  return { shape: [channels], data: Float32Array.from(sums) };
}

/**
 * The gradients a backward node returns: `gradients[i]` (computed only then) for each forward
 * input i whose `wants` flag is 1, in input order.
 */
export function wantedGradients(op: string, wants: readonly number[], gradients: readonly (() => Tensor)[]): Tensor[] {
  const result: Tensor[] = [];
  wants.forEach((flag, i) => {
    if (flag !== 1) return;
    const gradient = gradients[i];
    if (gradient === undefined) throw new Error(`${op}: forward input ${i} has no gradient`);
    result.push(gradient());
  });
  return result;
}
