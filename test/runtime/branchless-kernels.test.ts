/**
 * The kernels that select values by their bit patterns instead of branching (relu, its backward,
 * the 2×2 max pool and its backward) against the plain comparisons they replace, bit for bit, on
 * every special float32: ±0, ±∞, NaNs of both signs, subnormals and the extremes.
 */
import { describe, expect, it } from "vitest";
import { relu, reluBackward } from "../../runtime/index.js";
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
