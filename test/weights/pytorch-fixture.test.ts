/**
 * Files written from PyTorch by scripts/make_weights_fixtures.py: a small `state_dict` stored in
 * F32, F16, BF16 and F64 with an I64 `num_batches_tracked`, once with its header in declaration
 * order and once sorted as `safetensors.torch.save_file` sorts it, with an `order` metadata key.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { matchWeights } from "../../compiler/weights/match.js";
import { readSafetensors } from "../../runtime/weights/safetensors.js";
import { torchFixtureModel } from "./models.js";

const dir = new URL("../fixtures/weights/", import.meta.url);

interface Expected {
  readonly order: string[];
  readonly tensors: Record<string, { dtype: string; shape: number[]; values: number[] }>;
}

const expected = JSON.parse(readFileSync(new URL("torch-expected.json", dir), "utf8")) as Expected;

describe.each(["torch-declared.safetensors", "torch-sorted.safetensors"])("%s", (fixture) => {
  const file = readSafetensors(new Uint8Array(readFileSync(new URL(fixture, dir))));

  it("reads every tensor in the state_dict's order, converted to float32 exactly", () => {
    expect([...file.keys()]).toEqual(expected.order);
    for (const [name, want] of Object.entries(expected.tensors)) {
      const got = file.get(name)!;
      expect(got.dtype, name).toBe(want.dtype);
      expect(got.shape, name).toEqual(want.shape);
      expect(got.data, name).toEqual(new Float32Array(want.values));
    }
  });

  it("stores the dtypes the fixture script chose", () => {
    expect(Object.fromEntries([...file].map(([name, t]) => [name, t.dtype]))).toEqual({
      "0.weight": "F32",
      "1.weight": "F32",
      "1.bias": "BF16",
      "1.running_mean": "F64",
      "1.running_var": "F32",
      "1.num_batches_tracked": "I64",
      "4.weight": "F16",
      "4.bias": "F32",
    });
    expect(file.get("1.num_batches_tracked")!.data).toEqual(new Float32Array([1]));
  });

  it("matches the nnc model by order, ignoring num_batches_tracked", () => {
    const model = torchFixtureModel();
    const { weights, problems } = matchWeights(model.params, file, "order");
    expect(problems).toEqual([]);
    expect(weights.get("batch0.running_mean")).toEqual(new Float32Array(expected.tensors["1.running_mean"].values));
    expect(weights.get("dense0.weight")).toEqual(new Float32Array(expected.tensors["4.weight"].values));
  });

  it("does not match the nnc model by name, and says so for every parameter", () => {
    const { problems } = matchWeights(torchFixtureModel().params, file, "name");
    expect(problems.filter((p) => p.kind === "missing")).toHaveLength(7);
    expect(problems.filter((p) => p.kind === "unexpected").map((p) => p.name)).toEqual(expected.order.filter((n) => !n.endsWith("num_batches_tracked")));
  });
});
