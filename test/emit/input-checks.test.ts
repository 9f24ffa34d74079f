/**
 * What a generated module says before any kernel runs when it is given the wrong thing: a
 * symbolic size that two inputs (or two axes of one input) disagree on, input data of another
 * array type, and a checkpoint that does not fit, summed up on one line before the list of
 * parameters. Each module is compiled from source, imported, and called.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initialWeights } from "../../compiler/weights/init.js";
import { writeSafetensors } from "../../runtime/weights/safetensors.js";
import { compileOk, importModule, RUNTIME_SOURCE, tempDir, type GeneratedModel, type LoadedModule } from "./support.js";

/** Two image inputs that share N, H and W (a square one, S by S, for the second model). */
const TWO_INPUTS = `model Pair(a: [N, 3, H, W], b: [N, 3, H, W]) {
  return (a, b) -> concat -> conv(4, 3, pad: 1) -> global_avgpool -> flatten
}

model Square(x: [N, 2, S, S]) {
  return x -> global_avgpool -> flatten
}
`;

async function compiled(name: string, model: string): Promise<{ module: LoadedModule; weights: Map<string, Float32Array>; dir: string }> {
  const dir = tempDir(`input-checks-${name}`);
  const path = join(dir, `${name}.nn`);
  writeFileSync(path, TWO_INPUTS);
  const result = await compileOk({ path, text: TWO_INPUTS, model, runtimeModule: RUNTIME_SOURCE });
  const weights = initialWeights(result.check.models[0], 1);
  return { module: await importModule(result, dir), weights, dir };
}

function tensor(shape: number[]) {
  return { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) };
}

describe("forward's input checks", () => {
  it("a symbolic size shared by two inputs must agree, before any kernel runs", async () => {
    const { module, weights } = await compiled("pair", "Pair");
    for (const engine of ["wasm", "ts"]) {
      const model: GeneratedModel = await module.load(Object.fromEntries(weights), { engine });
      expect((model.forward(tensor([2, 3, 8, 8]), tensor([2, 3, 8, 8])) as { shape: number[] }).shape).toEqual([2, 4]);
      expect(() => model.forward(tensor([2, 3, 8, 8]), tensor([3, 3, 8, 8]))).toThrow(
        "Pair.forward: input b: dimension N is 3 on axis 0, but 2 in input a's axis 0; every use of N must have one size (shape [N, 3, H, W], got [3, 3, 8, 8])",
      );
      expect(() => model.forward(tensor([2, 3, 8, 8]), tensor([2, 3, 8, 6]))).toThrow(/input b: dimension W is 6 on axis 3, but 8 in input a's axis 3/);
      model.close?.();
    }
  });

  it("a name used twice in one input's shape means one size", async () => {
    const { module } = await compiled("square", "Square");
    const model = await module.load({});
    expect((model.forward(tensor([1, 2, 5, 5])) as { shape: number[] }).shape).toEqual([1, 2]);
    expect(() => model.forward(tensor([1, 2, 5, 4]))).toThrow(
      "Square.forward: input x: dimension S is 4 on axis 3, but 5 in input x's axis 2; every use of S must have one size (shape [N, 2, S, S], got [1, 2, 5, 4])",
    );
    model.close?.();
  });

  it("names the array type of input data that is not a Float32Array", async () => {
    const { module } = await compiled("types", "Square");
    const model = await module.load({});
    expect(() => model.forward({ shape: [1, 2, 2, 2], data: new Float64Array(8) })).toThrow(
      "Square.forward: input x: expected Float32Array, got Float64Array as data (Float32Array.from(values) converts it)",
    );
    expect(() => model.forward({ shape: [1, 2, 2, 2], data: [0, 0, 0, 0, 0, 0, 0, 0] })).toThrow(/input x: expected Float32Array, got a plain array as data/);
    expect(() => model.forward(new Float32Array(8))).toThrow(/input x: expected a tensor \{ shape, data: Float32Array \} of shape \[N, 2, S, S\], got Float32Array/);
    model.close?.();
  });
});

describe("load's checkpoint errors", () => {
  it("start with one line that names the file and counts missing, unexpected and mis-shaped tensors", async () => {
    const { module, weights, dir } = await compiled("checkpoint", "Pair");
    const tensors = new Map([...weights].map(([name, data]) => [name, { shape: [data.length], data }]));
    tensors.delete("conv0.bias");
    tensors.set("conv0.weight", { shape: [4, 6, 1, 9], data: weights.get("conv0.weight")! });
    tensors.set("conv9.weight", { shape: [1], data: new Float32Array(1) });
    tensors.set("conv9.bias", { shape: [1], data: new Float32Array(1) });
    const path = join(dir, "wrong.safetensors");
    writeFileSync(path, writeSafetensors([...tensors].map(([name, t]) => ({ name, ...t }))));
    const message = await module.load(path).then(
      () => "",
      (e: Error) => e.message,
    );
    const [summary, ...details] = message.split("\n");
    expect(summary).toBe(`cannot load Pair from ${path}: 1 missing, 2 unexpected, 1 mis-shaped (the model has 2 parameters and buffers, the checkpoint 3 tensors)`);
    expect(details).toEqual([
      "  model parameter `conv0.weight` has shape [4,6,3,3], but the weights give shape [4,6,1,9]",
      "  model parameter `conv0.bias` [4] is missing",
      "  weight `conv9.weight` matches no parameter of the model",
      "  weight `conv9.bias` matches no parameter of the model",
    ]);
    const bad = Object.fromEntries(weights);
    bad["conv0.bias"] = new Float32Array(3);
    await expect(module.load(bad)).rejects.toThrow(
      "cannot load Pair from a record of weights: 0 missing, 0 unexpected, 1 mis-shaped (the model has 2 parameters and buffers, the checkpoint 2 tensors)\n  model parameter `conv0.bias` has shape [4], but the weights give 3 values",
    );
  });
});
