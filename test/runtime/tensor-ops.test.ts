/**
 * Channel-wise and structural kernels against PyTorch (fixtures maxout_*, softmax_*,
 * log_softmax_*, standardize, add, concat_*, slice_*, channel_shuffle_*), plus their shape errors.
 */
import { describe, expect, it } from "vitest";
import { add, channelShuffle, concat, logSoftmax, maxout, slice, softmax, standardize, tensor, type SliceAttributes } from "../../runtime/index.js";
import { casesOf, expectClose, output, randomTensor } from "./fixtures.js";

describe("channel-wise kernels against PyTorch", () => {
  it.each(casesOf("maxout").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(maxout(c.inputs.x, { pieces: c.attributes.pieces as number }), output(c, "y"), c.name);
  });
  it.each(casesOf("softmax").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(softmax(c.inputs.x), output(c, "y"), c.name);
  });
  it.each(casesOf("log_softmax").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(logSoftmax(c.inputs.x), output(c, "y"), c.name);
  });
  it.each(casesOf("standardize").map((c) => [c.name, c] as const))("%s", (_, c) => {
    const attributes = c.attributes as { mean: number[]; std: number[] };
    expectClose(standardize(c.inputs.x, attributes), output(c, "y"), c.name);
  });
  it.each(casesOf("add").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(add(c.inputs.a, c.inputs.b), output(c, "y"), c.name);
  });
  it.each(casesOf("concat").map((c) => [c.name, c] as const))("%s", (_, c) => {
    const parts = Object.keys(c.inputs).sort().map((key) => c.inputs[key]);
    expectClose(concat(parts, { axis: c.attributes.axis as number }), output(c, "y"), c.name);
  });
  it.each(casesOf("slice").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(slice(c.inputs.x, c.attributes as unknown as SliceAttributes), output(c, "y"), c.name);
  });
  it.each(casesOf("channel_shuffle").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(channelShuffle(c.inputs.x, { groups: c.attributes.groups as number }), output(c, "y"), c.name);
  });
});

describe("channel-wise properties", () => {
  it("softmax stays finite for huge logits and sums to one", () => {
    const y = softmax(tensor([1, 3], new Float32Array([1000, 1000, -1000])));
    expect([...y.data]).toEqual([0.5, 0.5, 0]);
    expect(logSoftmax(tensor([1, 2], new Float32Array([0, -200]))).data[1]).toBeCloseTo(-200, 4);
  });
  it("slice copies runs of any axes, in a given buffer too", () => {
    const x = tensor([2, 3, 4], Float32Array.from({ length: 24 }, (_, i) => i));
    expect([...slice(x, { starts: [1, 2], ends: [3, 4], axes: [1, 2] }).data]).toEqual([6, 7, 10, 11, 18, 19, 22, 23]);
    const out = new Float32Array(14).fill(-1);
    const y = slice(x, { starts: [1], ends: [2], axes: [0] }, out);
    expect(y.shape).toEqual([1, 3, 4]);
    expect([...out]).toEqual([...Array.from({ length: 12 }, (_, i) => 12 + i), -1, -1]);
  });
  it("channel_shuffle is its own inverse with C/groups groups", () => {
    const x = randomTensor([2, 12, 2, 3], 1);
    const y = channelShuffle(x, { groups: 3 });
    expect([...channelShuffle(y, { groups: 4 }).data]).toEqual([...x.data]);
    expect([...y.data.subarray(6, 12)]).toEqual([...x.data.subarray(4 * 6, 5 * 6)]);
  });
  it("concat accepts a negative axis", () => {
    const a = randomTensor([2, 3], 1);
    const b = randomTensor([2, 1], 2);
    expect(concat([a, b], { axis: -1 }).shape).toEqual([2, 4]);
  });
});

describe("shape errors", () => {
  it("add refuses shapes that do not broadcast", () => {
    expect(() => add(randomTensor([2, 3], 1), randomTensor([3, 2], 2))).toThrow(/add: shapes \[2, 3\] and \[3, 2\] do not broadcast/);
  });
  it("concat needs agreeing dimensions off the axis", () => {
    expect(() => concat([randomTensor([2, 3, 4, 4], 1), randomTensor([2, 3, 5, 4], 2)])).toThrow(/except on axis 1/);
  });
  it("maxout needs pieces dividing the channels", () => {
    expect(() => maxout(randomTensor([2, 5], 1), { pieces: 2 })).toThrow(/pieces 2 must divide the 5 channels/);
  });
  it("slice needs a range inside the axis", () => {
    expect(() => slice(randomTensor([2, 4], 1), { starts: [2], ends: [5], axes: [1] })).toThrow(/cannot take 2..5 of axis 1 of \[2, 4\]/);
    expect(() => slice(randomTensor([2, 4], 1), { starts: [3], ends: [3], axes: [1] })).toThrow(/cannot take 3..3/);
  });
  it("channel_shuffle needs groups dividing the channels", () => {
    expect(() => channelShuffle(randomTensor([2, 6, 2, 2], 1), { groups: 4 })).toThrow(/groups 4 must divide the 6 channels/);
  });
  it("standardize needs one mean and std per channel", () => {
    expect(() => standardize(randomTensor([1, 3, 2, 2], 1), { mean: [0, 0], std: [1, 1] })).toThrow(/needs 3 means and stds/);
  });
  it("tensor rejects data of the wrong length", () => {
    expect(() => tensor([2, 3], new Float32Array(5))).toThrow(/needs 6 values, got 5/);
  });
});
