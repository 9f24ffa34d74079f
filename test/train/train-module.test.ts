/**
 * The generated train-mode module: `trainStep` follows PyTorch's trajectories (one run per
 * example, the same fixtures as `trajectories.test.ts`), `gradients()` names every trainable
 * parameter, and `state()` — parameters, running statistics and optimizer state — resumes a run
 * exactly: ten steps, a save, a fresh `load` and ten more equal twenty straight, bit for bit.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { initialWeights } from "../../compiler/weights/init.js";
import { compileOk, importModule, RUNTIME_SOURCE, tempDir, type TensorLike } from "../emit/support.js";
import { lossMismatch, mismatches, trajectory } from "./trajectory-support.js";

interface TrainModel {
  trainStep(x: TensorLike, target: TensorLike): { loss: number; output: TensorLike };
  gradients(): Record<string, Float32Array>;
  state(): Record<string, Float32Array>;
}

interface TrainModule {
  load(source: unknown, options?: object): Promise<TrainModel>;
  TRAINABLE: readonly string[];
  CLASSIFIER: readonly string[];
}

const host = { readFile: (p: string) => readFileSync(p, "utf8") };

async function compileTrain(example: string, standalone = false): Promise<{ module: TrainModule; init: Record<string, Float32Array> }> {
  const result = await compileOk({ path: `examples/${example}.nn`, mode: "train", standalone, runtimeModule: RUNTIME_SOURCE });
  const module = (await importModule(result, tempDir(`train-${example}`))) as unknown as TrainModule;
  const model = checkSource(`examples/${example}.nn`, readFileSync(`examples/${example}.nn`, "utf8"), host).models[0] as CheckedModel;
  return { module, init: Object.fromEntries(initialWeights(model, 0)) };
}

describe("a train-mode module's trainStep", () => {
  // The last with --standalone: the runtime it needs is inlined, none is imported.
  it.each([
    ["resnet20-sgd", false],
    ["norm_zoo-adam", false],
    ["nfnet-agc", false],
    ["nfnet-sgd", true],
  ] as const)("follows PyTorch's trajectory %s (standalone: %s)", async (run, standalone) => {
    const { example, settings, batches, losses: expected, final, tolerance } = trajectory(run);
    const { module, init } = await compileTrain(example, standalone);
    const model = await module.load(init, settings);
    const losses = batches.map(({ x, y }) => model.trainStep(x, y).loss);
    expect(lossMismatch(losses, expected, tolerance.loss)).toBeUndefined();
    const state = model.state();
    expect(mismatches((name) => state[name], final, tolerance.tensors)).toEqual([]);
  });

  it("resumes exactly from state(), optimizer included, and reports gradients by name", async () => {
    const { settings, batches } = trajectory("nfnet-adam");
    const { module, init } = await compileTrain("nfnet");
    const straight = await module.load(init, settings);
    for (const { x, y } of batches) straight.trainStep(x, y);

    const first = await module.load(init, settings);
    for (const { x, y } of batches.slice(0, 10)) first.trainStep(x, y);
    const saved = first.state();
    expect(Object.keys(saved).filter((k) => k.startsWith("optim."))).toContain("optim.step");
    expect(Object.keys(first.gradients()).sort()).toEqual([...module.TRAINABLE].sort());
    const resumed = await module.load(saved, settings);
    for (const { x, y } of batches.slice(10)) resumed.trainStep(x, y);
    const [a, b] = [resumed.state(), straight.state()];
    expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
    const differing = Object.keys(b).filter((name) => a[name].length !== b[name].length || a[name].some((v, i) => !Object.is(v, b[name][i])));
    expect(differing).toEqual([]);
  });

  it("names the final classifier, which AGC leaves alone by default", async () => {
    const { module } = await compileTrain("nfnet");
    expect(module.CLASSIFIER).toEqual(["dense0.weight", "dense0.bias"]);
  });
});
