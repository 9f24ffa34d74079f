/**
 * Training trajectories against PyTorch (`scripts/torch_trajectories.py`): examples/resnet20.nn,
 * norm_zoo.nn (every normalizer) and nfnet.nn start from `nnc init --seed 0` and take 20 steps on
 * the fixture's batches (regenerated here from the same sfc32 stream) with SGD + momentum + weight
 * decay, Adam, and SGD + momentum under adaptive gradient clipping that leaves the classifier
 * alone. Every step's loss, and every parameter and running statistic at the end, must match
 * PyTorch's within 1e-4 relative: |ours − torch| ≤ 1e-4 · max(|torch| over the tensor, 1e-3).
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { trainingGraph } from "../../compiler/train/training-graph.js";
import { initialWeights } from "../../compiler/weights/init.js";
import { createRandom, ParameterUpdate, validateUpdateSettings, type Tensor } from "../../runtime/index.js";
import { readSafetensorsFile } from "../../runtime/weights/safetensors.js";

const DIR = "test/fixtures/trajectories";
const RUNS = readdirSync(DIR).filter((f) => f.endsWith(".safetensors")).map((f) => f.slice(0, -".safetensors".length)).sort();
const host = { readFile: (p: string) => readFileSync(p, "utf8") };
const TOLERANCE = 1e-4;

/** The fixture's batches: x uniform in [-1, 1), labels uniform over 10 classes, from one sfc32 stream. */
function batches(seed: number, steps: number, shape: number[]): { x: Tensor; y: Tensor }[] {
  const draw = createRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: steps }, () => {
    const x = new Float32Array(size);
    for (let i = 0; i < size; i++) x[i] = 2 * draw() - 1;
    const y = new Float32Array(shape[0]);
    for (let i = 0; i < shape[0]; i++) y[i] = Math.floor(draw() * 10);
    return { x: { shape, data: x }, y: { shape: [shape[0]], data: y } };
  });
}

/** The worst deviation of `actual` from `expected`, relative to the larger of max |expected| and 1e-3. */
function deviation(actual: Float32Array, expected: Float32Array): { worst: number; index: number } {
  let scale = 1e-3;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]) / scale;
    if (d > worst) [worst, index] = [d, i];
  }
  return { worst, index };
}

describe.each(RUNS)("trajectory %s", (run) => {
  it("matches PyTorch step by step", () => {
    const example = run.slice(0, run.lastIndexOf("-"));
    const fixture = readSafetensorsFile(readFileSync(`${DIR}/${run}.safetensors`));
    const meta = fixture.metadata ?? {};
    const settings = JSON.parse(meta.settings!) as { optimizer: unknown; agc?: number };
    const steps = Number(meta.steps);
    const model = checkSource(`examples/${example}.nn`, readFileSync(`examples/${example}.nn`, "utf8"), host).models[0] as CheckedModel;
    const training = trainingGraph(lowerModel(model));
    const init = initialWeights(model, 0);
    const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: [...p.shape] as number[], data: init.get(p.name)!.slice() }]));
    const trainable = training.gradients.map((g) => ({ name: g.param, shape: params.get(g.param)!.shape }));
    const update = new ParameterUpdate(trainable, validateUpdateSettings({ optimizer: settings.optimizer, agc: settings.agc, agcExclude: training.classifier }));
    const weights = Object.fromEntries(params);
    const losses: number[] = [];
    for (const { x, y } of batches(Number(meta.data_seed), steps, [Number(meta.batch), 3, 32, 32])) {
      const result = executeGraph(training.graph, params, [x, y], { training: true });
      losses.push(result.outputs[0].data[0]);
      for (const [buffer, value] of result.updated) params.get(buffer)!.data.set(value.data);
      const gradients = Object.fromEntries(training.gradients.map((g, k) => [g.param, result.outputs[2 + k]]));
      update.step(weights, gradients);
    }
    const expectedLoss = fixture.tensors.get("trajectory.loss")!.data;
    const lossDeviation = deviation(Float32Array.from(losses), expectedLoss);
    expect(lossDeviation.worst, `loss at step ${lossDeviation.index}: ${losses[lossDeviation.index]} vs ${expectedLoss[lossDeviation.index]}`).toBeLessThanOrEqual(TOLERANCE);
    const failures: string[] = [];
    for (const p of model.params) {
      const expected = fixture.tensors.get(p.name)!.data;
      const { worst, index } = deviation(params.get(p.name)!.data, expected);
      if (worst > TOLERANCE) failures.push(`${p.name}[${index}]: ${params.get(p.name)!.data[index]} vs ${expected[index]} (${worst.toExponential(2)})`);
    }
    expect(failures).toEqual([]);
  });
});
