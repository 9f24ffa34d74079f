/** Pools, global pools and flatten against PyTorch (fixtures max_pool_*, average_pool_*, global_*, flatten). */
import { describe, expect, it } from "vitest";
import { averagePool, flatten, globalAveragePool, globalMaxPool, maxPool, type IntPair, type PadSpec } from "../../runtime/index.js";
import { casesOf, expectClose, output, randomTensor, type OpCase } from "./fixtures.js";

function poolAttributes(c: OpCase): { kernelShape: IntPair; strides?: IntPair; pads: PadSpec } {
  const a = c.attributes;
  return { kernelShape: a.kernel_shape as IntPair, strides: a.strides as IntPair | undefined, pads: a.pads as PadSpec };
}

describe("pools against PyTorch", () => {
  it.each(casesOf("max_pool").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(maxPool(c.inputs.x, poolAttributes(c)), output(c, "y"), c.name);
  });
  it.each(casesOf("average_pool").map((c) => [c.name, c] as const))("%s (count_include_pad = false)", (_, c) => {
    expectClose(averagePool(c.inputs.x, poolAttributes(c)), output(c, "y"), c.name);
  });
  it.each([
    ["global_average_pool", globalAveragePool],
    ["global_max_pool", globalMaxPool],
    ["flatten", flatten],
  ] as const)("%s", (op, kernel) => {
    for (const c of casesOf(op)) expectClose(kernel(c.inputs.x), output(c, "y"), c.name);
  });
});

describe("pool properties", () => {
  it("never lets zero padding win a max over negative values", () => {
    const x = { shape: [1, 1, 2, 2], data: new Float32Array([-4, -3, -2, -1]) };
    expect([...maxPool(x, { kernelShape: 2, strides: 1, pads: 1 }).data]).toEqual([-4, -3, -3, -2, -1, -1, -2, -1, -1]);
  });
  it("divides a corner window by the real values it covers", () => {
    const x = { shape: [1, 1, 2, 2], data: new Float32Array([1, 2, 3, 4]) };
    expect([...averagePool(x, { kernelShape: 2, strides: 1, pads: 1 }).data]).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });
  it("propagates NaN through max pools", () => {
    const x = { shape: [1, 1, 2, 2], data: new Float32Array([1, Number.NaN, 3, 2]) };
    expect(maxPool(x, { kernelShape: 2 }).data[0]).toBeNaN();
    expect(globalMaxPool(x).data[0]).toBeNaN();
  });
  it("rejects padding beyond half the kernel", () => {
    expect(() => maxPool(randomTensor([1, 1, 4, 4], 1), { kernelShape: 2, pads: 2 })).toThrow(/at most half/);
  });
  it("flattens without copying", () => {
    const x = randomTensor([2, 3, 2, 2], 1);
    const y = flatten(x);
    expect(y.shape).toEqual([2, 12]);
    expect(y.data).toBe(x.data);
  });
});
