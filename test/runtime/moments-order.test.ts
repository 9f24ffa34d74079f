/**
 * The normalizers' shared loops (`channelMoments`, `applyScaleShift`, `writeInputGradient`) work
 * on several planes or values per iteration; each sum must still be added in the order of one
 * plane at a time, so that every result equals, exactly, the plain loops written here, on
 * layouts whose channel count is not a multiple of four and whose planes are odd or one value
 * long, with a NaN among the values and a large mean.
 */
import { describe, expect, it } from "vitest";
import { createRandom } from "../../runtime/index.js";
import { applyScaleShift, channelMoments, type ChannelLayout } from "../../runtime/moments.js";
import { writeInputGradient } from "../../runtime/gradients/normalization-sums.js";

/** Exact text of each value (−0 and NaN included), so that equality is exact equality. */
function exact(values: ArrayLike<number>): string[] {
  return Array.from(values, (v) => (Object.is(v, -0) ? "-0" : String(v)));
}

/**
 * `count` values about `centre`, of magnitudes from 2⁻³⁰ to 2³⁰ so that a double sum rounds and
 * its order shows, with a NaN at `nanAt` when given.
 */
function values(count: number, seed: number, centre: number, nanAt?: number): Float32Array {
  const random = createRandom(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = centre + (random() - 0.3) * 2 ** Math.floor(60 * random() - 30);
  if (nanAt !== undefined && nanAt < count) data[nanAt] = NaN;
  return data;
}

/** The per-channel sums one plane at a time: the loops before the four-plane one. */
function referenceMoments(data: Float32Array, { n, c, inner }: ChannelLayout): { mean: Float64Array; variance: Float64Array } {
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      let sum = 0;
      for (let i = (b * c + ch) * inner; i < (b * c + ch + 1) * inner; i++) sum += data[i];
      mean[ch] += sum;
    }
  }
  for (let ch = 0; ch < c; ch++) mean[ch] /= n * inner;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      let squares = 0;
      for (let i = (b * c + ch) * inner; i < (b * c + ch + 1) * inner; i++) squares += (data[i] - mean[ch]) * (data[i] - mean[ch]);
      variance[ch] += squares;
    }
  }
  for (let ch = 0; ch < c; ch++) variance[ch] /= n * inner;
  return { mean, variance };
}

const LAYOUTS: ChannelLayout[] = [
  { n: 3, c: 5, inner: 7 },
  { n: 2, c: 8, inner: 9 },
  { n: 4, c: 13, inner: 1 },
  { n: 2, c: 1, inner: 6 },
  { n: 2, c: 4, inner: 3 },
  { n: 2, c: 6, inner: 49 },
];

describe("the normalizers' loops add in the order of one plane at a time", () => {
  it.each(LAYOUTS)("channelMoments of [%o]", (layout) => {
    const size = layout.n * layout.c * layout.inner;
    for (const [centre, nanAt] of [[0, undefined], [1000, undefined], [0, size - 2]] as const) {
      const data = values(size, size + centre, centre, nanAt);
      const got = channelMoments(data, layout);
      const want = referenceMoments(data, layout);
      expect(exact(got.mean)).toEqual(exact(want.mean));
      expect(exact(got.variance)).toEqual(exact(want.variance));
    }
  });

  it.each(LAYOUTS)("applyScaleShift and writeInputGradient of [%o], per channel and per plane", (layout) => {
    const { n, c, inner } = layout;
    const size = n * c * inner;
    const x = values(size, 1, 0.5, size >> 1);
    const dy = values(size, 2, 0);
    for (const perSample of [false, true]) {
      const bins = perSample ? n * c : c;
      const random = createRandom(bins);
      const [a, b, offset] = [0, 1, 2].map(() => Float64Array.from({ length: bins }, () => random() - 0.25));
      const y = new Float32Array(size);
      applyScaleShift(x, layout, a, b, perSample, y);
      const dx = writeInputGradient({ shape: [size], data: dy }, { shape: [size], data: x }, layout, perSample, { a, b, c: offset });
      const [wantY, wantDx] = [new Float32Array(size), new Float32Array(size)];
      for (let i = 0; i < size; i++) {
        const plane = Math.floor(i / inner);
        const k = perSample ? plane : plane % c;
        wantY[i] = x[i] * a[k] + b[k];
        wantDx[i] = a[k] * dy[i] + b[k] * x[i] + offset[k];
      }
      expect(exact(y)).toEqual(exact(wantY));
      expect(exact(dx.data)).toEqual(exact(wantDx));
    }
  });
});
