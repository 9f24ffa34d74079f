/**
 * Pools, global pools and flatten against PyTorch (fixtures max_pool_*, average_pool_* in floor
 * and ceil mode, adaptive_average_pool_*, global_*, flatten).
 */
import { describe, expect, it } from "vitest";
import {
  adaptiveAveragePool,
  averagePool,
  flatten,
  globalAveragePool,
  globalMaxPool,
  maxPool,
  type IntPair,
  type PadSpec,
} from "../../runtime/index.js";
import { casesOf, expectClose, output, randomTensor, type OpCase } from "./fixtures.js";

function poolAttributes(c: OpCase): { kernelShape: IntPair; strides?: IntPair; pads: PadSpec; ceilMode: boolean } {
  const a = c.attributes;
  return { kernelShape: a.kernel_shape as IntPair, strides: a.strides as IntPair | undefined, pads: a.pads as PadSpec, ceilMode: a.ceil_mode === 1 };
}

describe("pools against PyTorch", () => {
  it.each(casesOf("max_pool").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(maxPool(c.inputs.x, poolAttributes(c)), output(c, "y"), c.name);
  });
  it.each(casesOf("average_pool").map((c) => [c.name, c] as const))("%s (count_include_pad = false)", (_, c) => {
    expectClose(averagePool(c.inputs.x, poolAttributes(c)), output(c, "y"), c.name);
  });
  it.each(casesOf("adaptive_average_pool").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(adaptiveAveragePool(c.inputs.x, { outputSize: c.attributes.output_size as IntPair }), output(c, "y"), c.name);
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
  it("has ceil-mode cases that round up, clip the last window, and drop one that would start in the padding", () => {
    const ceil = [...casesOf("max_pool"), ...casesOf("average_pool")].filter((c) => c.attributes.ceil_mode === 1);
    const floorSize = (c: OpCase, axis: number) => {
      const a = c.attributes as { kernel_shape: number[]; strides: number[]; pads: number[] };
      return Math.floor((c.inputs.x.shape[2 + axis] + 2 * a.pads[axis] - a.kernel_shape[axis]) / a.strides[axis]) + 1;
    };
    expect(ceil.filter((c) => [0, 1].some((axis) => output(c, "y").shape[2 + axis] > floorSize(c, axis))).length).toBeGreaterThanOrEqual(4);
    expect(ceil.filter((c) => c.name.endsWith("_dropped")).length).toBe(3);
  });
  it("gives GoogLeNet's first pool, maxpool(3, stride: 2, ceil_mode) at 112x112, PyTorch's 56x56", () => {
    const [stem] = casesOf("max_pool").filter((c) => c.name === "max_pool_googlenet_stem_112");
    expect(output(stem, "y").shape).toEqual([1, 1, 56, 56]);
    expect(maxPool(stem.inputs.x, poolAttributes(stem)).shape).toEqual([1, 1, 56, 56]);
    expect(maxPool(stem.inputs.x, { ...poolAttributes(stem), ceilMode: false }).shape).toEqual([1, 1, 55, 55]);
  });
  it("averages a ceil-mode window clipped at the edge over the values it covers", () => {
    const x = { shape: [1, 1, 1, 3], data: new Float32Array([1, 2, 6]) };
    expect([...averagePool(x, { kernelShape: [1, 2], ceilMode: true }).data]).toEqual([1.5, 6]);
  });
  it("splits adaptive bins as PyTorch, overlapping where the size does not divide", () => {
    const x = { shape: [1, 1, 1, 5], data: new Float32Array([1, 2, 3, 4, 5]) };
    // Bins [0, 2), [1, 4), [3, 5).
    expect([...adaptiveAveragePool(x, { outputSize: [1, 3] }).data]).toEqual([1.5, 3, 4.5]);
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
