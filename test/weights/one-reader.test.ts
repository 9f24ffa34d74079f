/**
 * A generated module's `load()` and `nnc compile --weights` read checkpoints with the same
 * reader and check their values with the same rules: every malformation the adversarial run found
 * `load()` accepting (overlapping or aliased data, duplicate names — one behind a JSON escape —
 * trailing bytes, bad `__metadata__`) is refused by both with the same message, and so are
 * impossible running statistics.
 */
import { describe, expect, it } from "vitest";
import { loadWeights, readSafetensorsTensors } from "../../runtime/index.js";
import { readSafetensorsFile, writeSafetensors } from "../../runtime/weights/safetensors.js";
import { matchWeights } from "../../compiler/weights/match.js";
import { concatBytes, f32Bytes, rawFile } from "./raw-file.js";

const entry = (shape: number[], begin: number, end: number) => ({ dtype: "F32", shape, data_offsets: [begin, end] });

/** Each malformed file, with the message both readers give. */
const MALFORMED: readonly (readonly [string, Uint8Array, RegExp])[] = [
  ["overlapping data", rawFile({ a: entry([2], 0, 8), b: entry([2], 4, 12) }, f32Bytes([1, 2, 3])), /overlap tensor `a`/],
  ["aliased data", rawFile({ a: entry([2], 0, 8), b: entry([2], 0, 8) }, f32Bytes([1, 2])), /overlap tensor `a`/],
  ["a duplicate name", rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32Bytes([1, 2])), /`a` appears twice/],
  ["a duplicate behind a JSON escape", rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32Bytes([1, 2])), /`a` appears twice/],
  ["trailing bytes", rawFile({ a: entry([1], 0, 4) }, concatBytes(f32Bytes([1]), new Uint8Array(4))), /4 bytes after the last tensor/],
  ["bad __metadata__", rawFile({ __metadata__: { order: 3 }, a: entry([1], 0, 4) }, f32Bytes([1])), /`__metadata__` value `order` must be a string/],
];

describe("one reader of checkpoints", () => {
  it.each(MALFORMED)("%s: refused by load() and by compile --weights, with one message", (_, bytes, message) => {
    let compilerMessage = "";
    try {
      readSafetensorsFile(bytes);
    } catch (e) {
      compilerMessage = (e as Error).message;
    }
    expect(compilerMessage).toMatch(message);
    expect(() => readSafetensorsTensors(bytes)).toThrow(compilerMessage);
  });

  it("refuses a negative running variance and a non-positive running deviation, naming the tensor", async () => {
    const parameters = [
      ["bn.running_var", [3]],
      ["rn.running_std", [2]],
    ] as const;
    const bytes = writeSafetensors([
      { name: "bn.running_var", shape: [3], data: Float32Array.of(1, -0.5, 2) },
      { name: "rn.running_std", shape: [2], data: Float32Array.of(1, 0) },
    ]);
    const error = await loadWeights("M", parameters.map(([n, s]) => [n, [...s]] as const), bytes).then(
      () => "",
      (e: Error) => e.message,
    );
    const variance = "model parameter `bn.running_var` has the value -0.5 at flat index 1: a running variance must be at least 0";
    const deviation = "model parameter `rn.running_std` has the value 0 at flat index 1: a running standard deviation must be above 0";
    expect(error).toContain(variance);
    expect(error).toContain(deviation);
    const params = parameters.map(([name, shape]) => ({ name, shape: [...shape], buffer: true }));
    const matched = matchWeights(params, readSafetensorsFile(bytes).tensors, "name");
    expect(matched.problems.map((p) => [p.kind, p.message])).toEqual([
      ["invalid-statistic", variance],
      ["invalid-statistic", deviation],
    ]);
  });
});
