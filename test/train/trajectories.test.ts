/**
 * Training trajectories against PyTorch (`scripts/torch_trajectories.py`) through the IR
 * executor: examples/resnet20.nn, norm_zoo.nn (every normalizer) and nfnet.nn start from
 * `nnc init --seed 0` and take 20 steps on the fixture's batches with SGD + momentum + weight
 * decay, Adam, and SGD + momentum under adaptive gradient clipping that leaves the classifier
 * alone. Every step's loss must match PyTorch's (float64) within 1e-4 relative, and every
 * parameter and running statistic at the end within 2e-4 (see `trajectory-support.ts` for the
 * measures, and the two resnet20 runs where PyTorch's own float32 run strays further), with the
 * products summing by a multiply and an add and, where the engine has relaxed SIMD, by fused
 * multiply-adds (`setTrainingFma`). The generated module's `trainStep` is held to the same runs
 * in `train-module.test.ts`.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { trainingGraph } from "../../compiler/train/training-graph.js";
import { initialWeights } from "../../compiler/weights/init.js";
import { enableRelaxedSimd, ParameterUpdate, setTrainingFma, validateUpdateSettings, type Tensor } from "../../runtime/index.js";
import { lossMismatch, mismatches, RUNS, trajectory } from "./trajectory-support.js";

const host = { readFile: (p: string) => readFileSync(p, "utf8") };

// Both ways the products may sum: a multiply and an add per step, and fused multiply-adds
// (relaxed SIMD, which `nnc train` uses on Intel cores; turned on here as it does in Node 20).
const fusable = enableRelaxedSimd();
if (!fusable) console.log("trajectories.test.ts: the fused multiply-add runs are skipped: this engine has no relaxed SIMD, not even behind a flag");

afterAll(() => {
  setTrainingFma(false);
});

describe.each(RUNS)("trajectory %s", (run) => {
  it.each(fusable ? [false, true] : [false])("matches PyTorch step by step through the IR executor (fused multiply-adds: %s)", (fused) => {
    expect(setTrainingFma(fused)).toBe(true);
    const { example, settings, batches, losses: expected, final, tolerance } = trajectory(run);
    const model = checkSource(`examples/${example}.nn`, readFileSync(`examples/${example}.nn`, "utf8"), host).models[0] as CheckedModel;
    const training = trainingGraph(lowerModel(model));
    const init = initialWeights(model, 0);
    const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: [...p.shape] as number[], data: init.get(p.name)! }]));
    const trainable = training.gradients.map((g) => ({ name: g.param, shape: params.get(g.param)!.shape }));
    const update = new ParameterUpdate(trainable, validateUpdateSettings({ ...settings, agcExclude: training.classifier }));
    const weights = Object.fromEntries(params);
    const losses: number[] = [];
    for (const { x, y } of batches) {
      const result = executeGraph(training.graph, params, [x, y], { training: true });
      losses.push(result.outputs[0].data[0]);
      for (const [buffer, value] of result.updated) params.get(buffer)!.data.set(value.data);
      update.step(weights, Object.fromEntries(training.gradients.map((g, k) => [g.param, result.outputs[2 + k]])));
    }
    expect(lossMismatch(losses, expected, tolerance.loss)).toBeUndefined();
    expect(mismatches((name) => params.get(name)!.data, final, tolerance.tensors)).toEqual([]);
  });
});
