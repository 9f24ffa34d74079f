import { describe, expect, it } from "vitest";
import { matchWeights } from "../../compiler/weights/match.js";
import type { SafetensorsTensor } from "../../runtime/weights/safetensors.js";
import { param } from "./models.js";

/** A checkpoint map of F32 tensors filled with `fill`, in the given order. */
function checkpoint(entries: readonly (readonly [string, readonly number[]])[], fill = 0.5): Map<string, SafetensorsTensor> {
  return new Map(entries.map(([name, shape]) => [name, { dtype: "F32", shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) }]));
}

const params = [param("conv0.weight", [4, 3, 3, 3]), param("batch0.weight", [4]), param("batch0.running_var", [4])];

describe("matchWeights by name", () => {
  it("matches every parameter and ignores num_batches_tracked", () => {
    const file = checkpoint([["batch0.running_var", [4]], ["batch0.num_batches_tracked", []], ["conv0.weight", [4, 3, 3, 3]], ["batch0.weight", [4]]]);
    const { weights, problems } = matchWeights(params, file, "name");
    expect(problems).toEqual([]);
    expect([...weights.keys()]).toEqual(["conv0.weight", "batch0.weight", "batch0.running_var"]);
    expect(weights.get("batch0.weight")).toBe(file.get("batch0.weight")!.data);
  });

  it("reports missing, unexpected and wrongly shaped tensors by name", () => {
    const file = checkpoint([["conv0.weight", [4, 3, 3, 1]], ["batch0.weight", [4]], ["batch0.running_mean", [4]]]);
    const { weights, problems } = matchWeights(params, file, "name");
    expect([...weights.keys()]).toEqual(["batch0.weight"]);
    expect(problems).toEqual([
      {
        kind: "shape",
        name: "conv0.weight",
        message: "model parameter `conv0.weight` has shape [4,3,3,3], but the checkpoint's tensor has shape [4,3,3,1]",
      },
      { kind: "missing", name: "batch0.running_var", message: "model parameter `batch0.running_var` [4] is missing from the checkpoint" },
      { kind: "unexpected", name: "batch0.running_mean", message: "checkpoint tensor `batch0.running_mean` [4] matches no model parameter" },
    ]);
  });

  it("reports NaN and infinite values, naming the parameter", () => {
    const file = checkpoint([["conv0.weight", [4, 3, 3, 3]], ["batch0.weight", [4]], ["batch0.running_var", [4]]]);
    file.get("batch0.weight")!.data[2] = NaN;
    file.get("batch0.running_var")!.data.set([Infinity, 1, -Infinity, 1]);
    const { weights, problems } = matchWeights(params, file, "name");
    expect([...weights.keys()]).toEqual(["conv0.weight"]);
    expect(problems.map((p) => [p.kind, p.name, p.message])).toEqual([
      ["non-finite", "batch0.weight", "model parameter `batch0.weight` has 1 non-finite value, the first NaN at flat index 2"],
      ["non-finite", "batch0.running_var", "model parameter `batch0.running_var` has 2 non-finite values, the first Infinity at flat index 0"],
    ]);
  });
});

describe("matchWeights by order", () => {
  const torchNames: [string, number[]][] = [
    ["layer1.0.conv1.weight", [4, 3, 3, 3]],
    ["layer1.0.bn1.weight", [4]],
    ["layer1.0.bn1.num_batches_tracked", []],
    ["layer1.0.bn1.running_var", [4]],
  ];

  it("pairs tensors with parameters in declaration order, skipping num_batches_tracked", () => {
    const file = checkpoint(torchNames);
    const { weights, problems } = matchWeights(params, file, "order");
    expect(problems).toEqual([]);
    expect([...weights.keys()]).toEqual(params.map((p) => p.name));
    expect(weights.get("batch0.running_var")).toBe(file.get("layer1.0.bn1.running_var")!.data);
  });

  it("reports the first shape mismatch by both names, and only the first", () => {
    const file = checkpoint([["a.weight", [4, 3, 3, 1]], ["b.weight", [5]], ["b.running_var", [5]]]);
    const { weights, problems } = matchWeights(params, file, "order");
    expect(weights.size).toBe(0);
    expect(problems).toEqual([
      {
        kind: "shape",
        name: "conv0.weight",
        tensor: "a.weight",
        message:
          "model parameter `conv0.weight` [4,3,3,3] pairs with checkpoint tensor `a.weight` [4,3,3,1]: the shapes differ (parameter 1 of 3 in declaration order)",
      },
    ]);
  });

  it("reports a count mismatch, naming the first unpaired parameter or tensor", () => {
    const short = matchWeights(params, checkpoint(torchNames.slice(0, 2)), "order");
    expect(short.problems).toEqual([
      {
        kind: "count",
        name: "batch0.running_var",
        message:
          "the model has 3 parameters but the checkpoint has 2 tensors (not counting num_batches_tracked); " +
          "matching by order, model parameter `batch0.running_var` has no partner",
      },
    ]);
    expect([...short.weights.keys()]).toEqual(["conv0.weight", "batch0.weight"]);
    const long = matchWeights(params.slice(0, 1), checkpoint(torchNames), "order");
    expect(long.problems.map((p) => p.message)).toEqual([
      "the model has 1 parameter but the checkpoint has 3 tensors (not counting num_batches_tracked); " +
        "matching by order, checkpoint tensor `layer1.0.bn1.weight` and 1 more after it have no partner",
    ]);
  });

  it("reports non-finite values by both names", () => {
    const file = checkpoint(torchNames);
    file.get("layer1.0.bn1.weight")!.data[0] = -Infinity;
    const { problems } = matchWeights(params, file, "order");
    expect(problems).toEqual([
      {
        kind: "non-finite",
        name: "batch0.weight",
        tensor: "layer1.0.bn1.weight",
        message: "model parameter `batch0.weight` (checkpoint tensor `layer1.0.bn1.weight`) has 1 non-finite value, the first -Infinity at flat index 0",
      },
    ]);
  });
});
