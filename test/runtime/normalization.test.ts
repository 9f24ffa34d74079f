/**
 * The normalizers against PyTorch modules (batch, layer, instance, group, channel_norm) and
 * against the formulas of docs/operators.md written out in Python (batch_renorm, frn, switchable): inference
 * output, and for one training forward the output and the running statistics after it.
 */
import { describe, expect, it } from "vitest";
import {
  batchNormalization,
  batchNormalizationTraining,
  batchRenorm,
  batchRenormTraining,
  channelNormalization,
  filterResponseNormalization,
  groupNormalization,
  instanceNormalization,
  layerNormalization,
  switchableNormalization,
  switchableNormalizationTraining,
  type Tensor,
} from "../../runtime/index.js";
import { casesOf, expectClose, output, randomTensor, type OpCase } from "./fixtures.js";

const each = (op: string): [string, OpCase][] => casesOf(op).map((c) => [c.name, c]);
const num = (c: OpCase, key: string): number => c.attributes[key] as number;

/** Copies of every input, to check afterwards that no kernel wrote into one. */
function snapshot(c: OpCase): Map<string, Float32Array> {
  return new Map(Object.entries(c.inputs).map(([key, t]) => [key, t.data.slice()]));
}
function expectUnchanged(c: OpCase, before: Map<string, Float32Array>): void {
  for (const [key, data] of before) expect(c.inputs[key].data, `${c.name}: input ${key} was modified`).toEqual(data);
}

describe("batch", () => {
  it.each(each("batch"))("%s", (_, c) => {
    const { x, weight, bias, running_mean, running_var } = c.inputs;
    const before = snapshot(c);
    const attributes = { epsilon: num(c, "epsilon"), momentum: num(c, "momentum") };
    expectClose(batchNormalization(x, weight, bias, running_mean, running_var, attributes), output(c, "eval", "y"), `${c.name} eval`);
    const trained = batchNormalizationTraining(x, weight, bias, running_mean, running_var, attributes);
    expectClose(trained[0], output(c, "train", "y"), `${c.name} train`);
    expectClose(trained[1], output(c, "train", "running_mean"), `${c.name} running_mean`);
    expectClose(trained[2], output(c, "train", "running_var"), `${c.name} running_var`);
    expectUnchanged(c, before);
  });
  it("refuses to train on one value per channel", () => {
    const ones = { shape: [2], data: new Float32Array([1, 1]) };
    expect(() => batchNormalizationTraining(randomTensor([1, 2], 1), undefined, undefined, ones, ones)).toThrow(/more than one value per channel/);
  });
  it("names a running statistic of the wrong size", () => {
    const two = { shape: [2], data: new Float32Array(2) };
    expect(() => batchNormalization(randomTensor([2, 3], 1), undefined, undefined, two, two)).toThrow(/running_mean: expected shape \[3\]/);
  });
});

describe("batch_renorm", () => {
  it.each(each("batch_renorm"))("%s", (_, c) => {
    const { x, weight, bias, running_mean, running_std } = c.inputs;
    const before = snapshot(c);
    expectClose(batchRenorm(x, weight, bias, running_mean, running_std), output(c, "eval", "y"), `${c.name} eval`);
    const trained = batchRenormTraining(x, weight, bias, running_mean, running_std, {
      epsilon: num(c, "epsilon"),
      momentum: num(c, "momentum"),
      rmax: num(c, "rmax"),
      dmax: num(c, "dmax"),
    });
    expectClose(trained[0], output(c, "train", "y"), `${c.name} train`);
    expectClose(trained[1], output(c, "train", "running_mean"), `${c.name} running_mean`);
    expectClose(trained[2], output(c, "train", "running_std"), `${c.name} running_std`);
    expectUnchanged(c, before);
  });
});

/** Normalizers without running statistics: one kernel serves both modes. */
describe.each([
  ["layer", (c: OpCase) => layerNormalization(c.inputs.x, c.inputs.weight, c.inputs.bias, { epsilon: num(c, "epsilon") })],
  ["instance", (c: OpCase) => instanceNormalization(c.inputs.x, c.inputs.weight, c.inputs.bias, { epsilon: num(c, "epsilon") })],
  ["group", (c: OpCase) => groupNormalization(c.inputs.x, c.inputs.weight, c.inputs.bias, { groups: num(c, "groups"), epsilon: num(c, "epsilon") })],
  ["frn", (c: OpCase) => filterResponseNormalization(c.inputs.x, c.inputs.weight, c.inputs.bias, c.inputs.tau, { epsilon: num(c, "epsilon") })],
  ["channel_norm", (c: OpCase) => channelNormalization(c.inputs.x, c.inputs.weight, c.inputs.bias, { epsilon: num(c, "epsilon") })],
] as const)("%s", (op, run: (c: OpCase) => Tensor) => {
  it.each(each(op))("%s", (_, c) => {
    const before = snapshot(c);
    const y = run(c);
    expectClose(y, output(c, "eval", "y"), `${c.name} eval`);
    expectClose(y, output(c, "train", "y"), `${c.name} train`);
    expectUnchanged(c, before);
  });
});

describe("switchable", () => {
  it.each(each("switchable"))("%s", (_, c) => {
    const { x, weight, bias, mean_weight, var_weight, running_mean, running_var } = c.inputs;
    const before = snapshot(c);
    const parameters = { scale: weight, bias, meanWeight: mean_weight, varWeight: var_weight };
    const attributes = { epsilon: num(c, "epsilon"), momentum: num(c, "momentum") };
    expectClose(switchableNormalization(x, parameters, running_mean, running_var, attributes), output(c, "eval", "y"), `${c.name} eval`);
    const trained = switchableNormalizationTraining(x, parameters, running_mean, running_var, attributes);
    expectClose(trained[0], output(c, "train", "y"), `${c.name} train`);
    expectClose(trained[1], output(c, "train", "running_mean"), `${c.name} running_mean`);
    expectClose(trained[2], output(c, "train", "running_var"), `${c.name} running_var`);
    expectUnchanged(c, before);
  });
});

describe("normalizer errors", () => {
  it("group needs groups dividing the channels", () => {
    expect(() => groupNormalization(randomTensor([1, 6, 2, 2], 1), undefined, undefined, { groups: 4 })).toThrow(/groups 4 must divide the 6 channels/);
  });
  it("instance, group and channel_norm need rank 4", () => {
    expect(() => instanceNormalization(randomTensor([2, 3], 1), undefined, undefined)).toThrow(/needs rank 4, got \[2, 3\]/);
    expect(() => groupNormalization(randomTensor([2, 4], 1), undefined, undefined, { groups: 2 })).toThrow(/needs rank 4/);
    expect(() => channelNormalization(randomTensor([2, 4], 1), undefined, undefined)).toThrow(/channelNormalization: input needs rank 4/);
  });
  it("switchable needs three mixing logits", () => {
    const c4 = randomTensor([4], 2);
    const two = randomTensor([2], 3);
    expect(() => switchableNormalization(randomTensor([2, 4, 3, 3], 1), { scale: c4, bias: c4, meanWeight: two, varWeight: two }, c4, c4)).toThrow(/mean_weight: expected shape \[3\]/);
  });
});
