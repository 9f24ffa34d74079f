import { describe, expect, it } from "vitest";
import { add, div, mul, reshape, sqrt, sub, tensor } from "../../runtime/index.js";

const t = (shape: number[], values: number[]) => tensor(shape, Float32Array.from(values));

describe("broadcasting element-wise kernels", () => {
  it("scale per channel: [2,2,1,2] · [1,2,1,1]", () => {
    const x = t([2, 2, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
    const s = t([1, 2, 1, 1], [10, 100]);
    const y = mul(x, s);
    expect(y.shape).toEqual([2, 2, 1, 2]);
    expect([...y.data]).toEqual([10, 20, 300, 400, 50, 60, 700, 800]);
  });
  it("shift rows of a feature batch and broadcast both ways", () => {
    expect([...add(t([2, 3], [1, 2, 3, 4, 5, 6]), t([3], [10, 20, 30])).data]).toEqual([11, 22, 33, 14, 25, 36]);
    const outer = sub(t([2, 1], [1, 2]), t([1, 3], [1, 2, 3]));
    expect(outer.shape).toEqual([2, 3]);
    expect([...outer.data]).toEqual([0, -1, -2, 1, 0, -1]);
  });
  it("divides by a scalar and takes roots", () => {
    expect([...div(t([3], [2, 4, 8]), t([], [2])).data]).toEqual([1, 2, 4]);
    expect([...sqrt(t([2], [4, 9])).data]).toEqual([2, 3]);
  });
  it("reshapes as a view, inferring -1", () => {
    const x = t([2, 3], [1, 2, 3, 4, 5, 6]);
    const y = reshape(x, [3, -1]);
    expect(y.shape).toEqual([3, 2]);
    expect(y.data).toBe(x.data);
    expect(() => reshape(x, [4, -1])).toThrow(/cannot view/);
  });
});
