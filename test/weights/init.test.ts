import { describe, expect, it } from "vitest";
import { initialWeights, initialWeightsFile } from "../../compiler/weights/init.js";
import { readSafetensorsFile } from "../../runtime/weights/safetensors.js";
import { WeightsError } from "../../runtime/weights/weights-error.js";
import { layer, model } from "./models.js";

/** One layer of every kind that has parameters, with fan_in values that tell them apart. */
const zoo = model([
  layer("conv", "conv0", { weight: [64, 3, 3, 3], bias: [64] }),
  layer("conv", "grouped", { weight: [64, 8, 5, 1] }),
  layer("conv", "scaled", { weight: [32, 64, 1, 1], gain: [32] }),
  layer("dense", "dense0", { weight: [100, 400], bias: [100] }),
  layer("prelu", "prelu0", { weight: [16] }),
  layer("batch", "batch0", { weight: [8], bias: [8], running_mean: [8], running_var: [8] }),
  layer("batch_renorm", "renorm0", { weight: [8], bias: [8], running_mean: [8], running_std: [8] }),
  layer("layer", "layer0", { weight: [8], bias: [8] }),
  layer("instance", "instance0", { weight: [8], bias: [8] }),
  layer("group", "group0", { weight: [8], bias: [8] }),
  layer("frn", "frn0", { weight: [8], bias: [8], tau: [8] }),
  layer("channel_norm", "channel0", { weight: [8], bias: [8] }),
  layer("switchable", "switch0", { weight: [8], bias: [8], mean_weight: [3], var_weight: [3], running_mean: [8], running_var: [8] }),
  layer("relu", "relu0", {}),
]);

function stats(data: Float32Array): { min: number; max: number; mean: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of data) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, max, mean: sum / data.length };
}

describe("initialWeights", () => {
  const weights = initialWeights(zoo, 0);

  it("covers every parameter, in declaration order, with its shape's size", () => {
    expect([...weights.keys()]).toEqual(zoo.params.map((p) => p.name));
    for (const p of zoo.params) expect(weights.get(p.name)!.length, p.name).toBe(p.shape.reduce((a, b) => a * b, 1));
  });

  it.each([
    ["conv0.weight", 27],
    ["conv0.bias", 27],
    ["grouped.weight", 40],
    ["scaled.weight", 64],
    ["dense0.weight", 400],
    ["dense0.bias", 400],
  ])("draws %s from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in %i", (name, fanIn) => {
    const bound = 1 / Math.sqrt(fanIn);
    const { min, max, mean } = stats(weights.get(name)!);
    expect(min).toBeGreaterThanOrEqual(-bound);
    expect(max).toBeLessThanOrEqual(bound);
    // With at least 64 samples the extremes come near the bound and the mean near 0.
    expect(max).toBeGreaterThan(0.8 * bound);
    expect(min).toBeLessThan(-0.8 * bound);
    expect(Math.abs(mean)).toBeLessThan(0.25 * bound);
  });

  it("gives a uniform spread: variance near b²/3", () => {
    const data = weights.get("dense0.weight")!;
    const b = 1 / Math.sqrt(400);
    const variance = data.reduce((s, v) => s + v * v, 0) / data.length;
    expect(variance / (b * b / 3)).toBeCloseTo(1, 1);
  });

  it.each([
    ["scaled.gain", 1],
    ["prelu0.weight", 0.25],
    ["batch0.weight", 1],
    ["batch0.bias", 0],
    ["batch0.running_mean", 0],
    ["batch0.running_var", 1],
    ["renorm0.running_std", 1],
    ["layer0.weight", 1],
    ["instance0.bias", 0],
    ["group0.weight", 1],
    ["frn0.tau", 0],
    ["channel0.weight", 1],
    ["channel0.bias", 0],
    ["switch0.mean_weight", 1],
    ["switch0.var_weight", 1],
    ["switch0.running_var", 1],
  ])("sets %s to %d", (name, value) => {
    expect([...weights.get(name)!].every((v) => v === value)).toBe(true);
  });

  it("is reproducible by seed, and different seeds differ", () => {
    expect(initialWeights(zoo, 0)).toEqual(weights);
    const other = initialWeights(zoo, 1);
    expect(other.get("conv0.weight")).not.toEqual(weights.get("conv0.weight"));
    expect(other.get("batch0.weight")).toEqual(weights.get("batch0.weight"));
    const big = initialWeights(zoo, 2 ** 40);
    expect(big.get("conv0.weight")).not.toEqual(weights.get("conv0.weight"));
  });

  it("gives each parameter its own stream, independent of the layers before it", () => {
    const alone = initialWeights(model([zoo.layers[3]]), 0);
    expect(alone.get("dense0.weight")).toEqual(weights.get("dense0.weight"));
    expect(weights.get("conv0.bias")!.slice(0, 8)).not.toEqual(weights.get("conv0.weight")!.slice(0, 8));
  });

  it("rejects a seed that is not a non-negative integer", () => {
    expect(() => initialWeights(zoo, -1)).toThrow("the seed must be a non-negative integer, got -1");
    expect(() => initialWeights(zoo, 1.5)).toThrow(WeightsError);
  });

  it("refuses a parameter it has no rule for, naming it", () => {
    const odd = model([layer("maxout", "maxout0", { weight: [4] })]);
    expect(() => initialWeights(odd, 0)).toThrow("cannot initialize `maxout0.weight`: no initial value is defined for `weight` of a maxout layer");
  });
});

describe("initialWeightsFile", () => {
  it("writes the initial weights in declaration order with the seed in the metadata", () => {
    const file = readSafetensorsFile(initialWeightsFile(zoo, 7));
    expect([...file.tensors.keys()]).toEqual(zoo.params.map((p) => p.name));
    expect(file.metadata).toMatchObject({ generator: "nnc init", model: "Test", seed: "7" });
    const weights = initialWeights(zoo, 7);
    for (const [name, t] of file.tensors) {
      expect(t.data, name).toEqual(weights.get(name));
      expect(t.shape, name).toEqual(zoo.params.find((p) => p.name === name)!.shape);
    }
  });

  it("writes the same bytes for the same seed", () => {
    const [a, b] = [initialWeightsFile(zoo, 3), initialWeightsFile(zoo, 3)];
    expect(Buffer.compare(a, b)).toBe(0);
  });
});
