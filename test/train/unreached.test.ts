/**
 * A parameter no path to the loss reaches (a branch whose result is never used) is a warning,
 * not a crash: the training graph leaves it out, `nnc compile --mode train` warns with its names,
 * and the module's `trainStep` runs and leaves it unchanged.
 */
import { describe, expect, it } from "vitest";
import { compileModel } from "../../compiler/emit/compile-model.js";
import { importModule, RUNTIME_SOURCE, tempDir } from "../emit/support.js";

const SOURCE = `model Dead(x: [N, 4]) {
  a = x -> dense(3)
  return x -> dense(2)
}
`;
const host = { readFile: () => SOURCE };

describe("a parameter the loss does not reach", () => {
  it("is a warning of nnc compile --mode train, and trainStep leaves it unchanged", async () => {
    const result = await compileModel({ path: "dead.nn", text: SOURCE, host, mode: "train", runtimeModule: RUNTIME_SOURCE });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual(["no path from these parameters to the loss, so trainStep leaves them unchanged: dense0.weight, dense0.bias"]);
    const module = (await importModule(result, tempDir("dead"))) as unknown as {
      load(source?: unknown, options?: object): Promise<{ trainStep(x: unknown, y: unknown): { loss: number }; state(): Record<string, Float32Array> }>;
      TRAINABLE: readonly string[];
    };
    expect(module.TRAINABLE).toEqual(["dense1.weight", "dense1.bias"]);
    const model = await module.load(undefined, { optimizer: { name: "sgd", lr: 0.5 } });
    const before = model.state();
    const x = { shape: [2, 4], data: Float32Array.of(1, 2, 3, 4, -1, 0, 1, 2) };
    const { loss } = model.trainStep(x, { shape: [2], data: Int32Array.of(0, 1) });
    expect(Number.isFinite(loss)).toBe(true);
    const after = model.state();
    expect(after["dense0.weight"]).toEqual(before["dense0.weight"]);
    expect(after["dense1.weight"]).not.toEqual(before["dense1.weight"]);
  });
});
