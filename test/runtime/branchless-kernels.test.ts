/**
 * The kernels that select without branching (relu and its backward on bit patterns, the 2×2
 * stride-2 max pool and its backward on comparisons turned into 0 or 1) against the plain
 * comparisons they replace, bit for bit, on every special float32: ±0, ±∞, NaNs of both signs,
 * subnormals and the extremes; max pool's other windows against the same scan.
 */
import { describe, expect, it } from "vitest";
import { createRandom, maxPool, maxPoolBackward, relu, reluBackward } from "../../runtime/index.js";
import type { Tensor } from "../../runtime/index.js";

/** Bit patterns of the special values, then ordinary ones. */
const SPECIAL_BITS = [
  0x00000000, 0x80000000, // ±0
  0x7f800000, 0xff800000, // ±∞
  0x7fc00000, 0xffc00000, 0x7fc12345, 0xffc12345, // quiet NaNs of both signs, with payloads
  0x00000001, 0x80000001, 0x007fffff, 0x807fffff, // smallest and largest subnormals
  0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff, // smallest normals, largest finite values
  0x3f800000, 0xbf800000, 0x40490fdb, 0xc0490fdb, // ±1, ±π
];

/** A float32 array holding these bit patterns. */
function fromBits(bits: readonly number[]): Float32Array {
  return new Float32Array(Int32Array.from(bits, (b) => b | 0).buffer);
}

/** The bit patterns of a tensor's values, as unsigned hex, for messages that show ±0 and NaN payloads. */
function hexBits(t: Tensor | Float32Array): string[] {
  const data = t instanceof Float32Array ? t : t.data;
  return Array.from(new Uint32Array(data.buffer, data.byteOffset, data.length), (b) => b.toString(16).padStart(8, "0"));
}

const values = fromBits(SPECIAL_BITS);

describe("relu and its backward select bits as the comparisons did", () => {
  it("relu: x > 0 ? x : 0 (−0 and every NaN give +0)", () => {
    const want = values.map((v) => (v > 0 ? v : 0));
    expect(hexBits(relu({ shape: [values.length], data: values }))).toEqual(hexBits(want));
  });

  it("relu in place", () => {
    const data = values.slice();
    relu({ shape: [data.length], data }, data);
    expect(hexBits(data)).toEqual(hexBits(values.map((v) => (v > 0 ? v : 0))));
  });

  it("reluBackward: y <= 0 ? 0 : g for every pair of special y and g", () => {
    const n = values.length;
    const y = new Float32Array(n * n);
    const g = new Float32Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        y[i * n + j] = values[i];
        g[i * n + j] = values[j];
      }
    }
    // The copy of g through a float32 store keeps a quiet NaN's payload and sign, as the kernel's bit copy does.
    const want = new Float32Array(n * n);
    for (let k = 0; k < n * n; k++) want[k] = y[k] <= 0 ? 0 : g[k];
    const [dx] = reluBackward({ shape: [n, n], data: g }, { shape: [n, n], data: y });
    expect(hexBits(dx)).toEqual(hexBits(want));
  });
});

/** A pool's window: kernel, stride, pads `[top, left, bottom, right]`, ceil mode. */
interface PoolCase {
  shape: [number, number, number, number];
  kernel: [number, number];
  strides: [number, number];
  pads: [number, number, number, number];
  ceil: boolean;
}

/**
 * The reference scan of every window of `x` (the kernels' loop before the 2×2 path): each
 * window's clipped taps in row-major order from −∞, a tap taken when strictly greater or NaN
 * (the first tap always, for the backward's index). Returns the maxima and their input indices.
 */
function scanWindows(x: Float32Array, { shape: [n, c, h, w], kernel, strides, pads, ceil }: PoolCase): { values: Float32Array; at: number[] } {
  const size = (length: number, k: number, s: number, head: number, tail: number): number => {
    const extent = length + head + tail - k;
    const out = (ceil ? Math.ceil(extent / s) : Math.floor(extent / s)) + 1;
    return ceil && (out - 1) * s >= length + head ? out - 1 : out;
  };
  const oh = size(h, kernel[0], strides[0], pads[0], pads[2]);
  const ow = size(w, kernel[1], strides[1], pads[1], pads[3]);
  const values = new Float32Array(n * c * oh * ow);
  const at: number[] = [];
  for (let plane = 0; plane < n * c; plane++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        let best = -Infinity;
        let index = -1;
        const top = oy * strides[0] - pads[0];
        const left = ox * strides[1] - pads[1];
        for (let iy = Math.max(0, top); iy < Math.min(h, top + kernel[0]); iy++) {
          for (let ix = Math.max(0, left); ix < Math.min(w, left + kernel[1]); ix++) {
            const i = plane * h * w + iy * w + ix;
            if (x[i] > best || Number.isNaN(x[i]) || index < 0) {
              best = x[i];
              index = i;
            }
          }
        }
        values[at.length] = best;
        at.push(index);
      }
    }
  }
  return { values, at };
}

/** Values with many ties (±0 after a relu, repeated numbers), the special values, and now and then a NaN. */
function tiedValues(count: number, seed: number, nanRate: number): Float32Array {
  const random = createRandom(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const u = random();
    if (u < nanRate) data[i] = random() < 0.5 ? NaN : fromBits([0xffc00000])[0];
    else if (u < 0.3) data[i] = random() < 0.5 ? 0 : -0;
    else if (u < 0.4) data[i] = values[Math.floor(random() * values.length)];
    else if (u < 0.55) data[i] = Math.floor(random() * 3) - 1;
    else data[i] = random() * 2 - 1;
  }
  return data;
}

describe("max pool's 2×2 stride-2 path picks what the scan picks", () => {
  const pairs = (shape: PoolCase["shape"], ceil = false): PoolCase => ({ shape, kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], ceil });
  const cases: [string, PoolCase][] = [
    ["even sizes", pairs([2, 3, 6, 8])],
    ["odd sizes (the last row and column unread)", pairs([2, 2, 7, 5])],
    ["ceil mode on even sizes", pairs([1, 3, 4, 6], true)],
    ["ceil mode on odd sizes (clipped windows: the scan)", pairs([1, 2, 5, 7], true)],
    ["padding (the scan)", { ...pairs([1, 2, 6, 6]), pads: [1, 1, 1, 1] }],
    ["3×3 stride 2 (the scan)", { ...pairs([1, 2, 7, 7]), kernel: [3, 3] }],
    ["2×2 stride 1 (the scan, overlapping windows)", { ...pairs([1, 2, 5, 6]), strides: [1, 1] }],
  ];

  it.each(cases)("%s: the maxima and dx, bit for bit, with NaNs, infinities and tied zeros", (_, pool) => {
    const attributes = { kernelShape: pool.kernel, strides: pool.strides, pads: pool.pads, ceilMode: pool.ceil };
    const backwardAttributes = { kernel_shape: pool.kernel, strides: pool.strides, pads: pool.pads, ceil_mode: pool.ceil ? 1 : 0 };
    const count = pool.shape.reduce((a, b) => a * b, 1);
    for (let seed = 1; seed <= 20; seed++) {
      const x = { shape: [...pool.shape], data: tiedValues(count, seed, seed % 2 === 0 ? 0.05 : 0) };
      const { values: want, at } = scanWindows(x.data, pool);
      const y = maxPool(x, attributes);
      expect(hexBits(y), `seed ${seed}`).toEqual(hexBits(want));
      const dy = { shape: y.shape, data: tiedValues(want.length, 100 + seed, 0) };
      const wantDx = new Float32Array(count);
      at.forEach((i, o) => (wantDx[i] += dy.data[o]));
      const [dx] = maxPoolBackward(dy, x, backwardAttributes);
      expect(hexBits(dx), `seed ${seed}`).toEqual(hexBits(wantDx));
    }
  });

  it("a window of −0 then +0 keeps −0; of −∞ alone keeps −∞ and sends dx to its first tap", () => {
    const x = { shape: [1, 1, 2, 4], data: fromBits([0x80000000, 0x00000000, 0xff800000, 0xff800000, 0x00000000, 0x80000000, 0xff800000, 0xff800000]) };
    expect(hexBits(maxPool(x, { kernelShape: 2 }))).toEqual(["80000000", "ff800000"]);
    const [dx] = maxPoolBackward({ shape: [1, 1, 1, 2], data: new Float32Array([3, 5]) }, x, { kernel_shape: [2, 2] });
    expect(Array.from(dx.data)).toEqual([3, 0, 5, 0, 0, 0, 0, 0]);
  });
});
