/**
 * Every layer's gradient against PyTorch autograd (`scripts/torch_grad_fixtures.py`, fixtures in
 * test/fixtures/grad/). Each case is a tiny model with random, non-trivial parameters, run for one
 * step in training mode (batch statistics):
 *
 * - a seeded case builds `seededGradients` and feeds the fixture's seed as the output's gradient,
 *   which is PyTorch's `y.backward(seed)`;
 * - a loss case builds `trainingGraph` (with the inputs' gradients) and runs it with the fixture's
 *   loss and target, which is PyTorch's `loss.backward()`.
 *
 * The output, the loss, the gradient of every model input and learnable parameter, and every new
 * running statistic must match the fixture within 1e-4 of the reference tensor's largest magnitude
 * (absolute floor 1e-7; see `support.ts`), and nnc must compute gradients for exactly the tensors
 * that PyTorch gives a `.grad`. A last test holds the fixtures to the registry: every layer of the
 * language appears in some case.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { CheckedModel } from "../../compiler/check/model.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { seededGradients, trainingGraph } from "../../compiler/train/training-graph.js";
import type { LossSettings, Tensor } from "../../runtime/index.js";
import { LAYER_LIST } from "../../runtime/ops/index.js";
import { expectClose, loweredModel, tensorOf, type StoredTensor } from "./support.js";

/** One fixture file (see the script's header). */
interface GradientCase {
  readonly case: string;
  readonly source: string;
  readonly inputs: Record<string, StoredTensor>;
  readonly params: Record<string, StoredTensor>;
  readonly seed?: StoredTensor;
  readonly loss?: { loss: LossSettings["loss"]; labelSmoothing?: number; target: StoredTensor; value: StoredTensor };
  readonly output: StoredTensor;
  readonly gradients: Record<string, StoredTensor>;
  readonly running: Record<string, StoredTensor>;
}

const DIR = new URL("../fixtures/grad/", import.meta.url);
const CASES: readonly GradientCase[] = readdirSync(DIR)
  .filter((file) => file.endsWith(".json"))
  .sort()
  .map((file) => JSON.parse(readFileSync(new URL(file, DIR), "utf8")) as GradientCase);

/** What one run gave: the output, the loss (loss cases), gradients and running statistics by name. */
interface Run {
  readonly output: Tensor;
  readonly loss?: Tensor;
  readonly gradients: ReadonlyMap<string, Tensor>;
  readonly running: ReadonlyMap<string, Tensor>;
}

/** The fixture's parameters, after checking that they are the model's, by name and shape. */
function parameters(model: CheckedModel, fixture: GradientCase): Map<string, Tensor> {
  const stored = Object.entries(fixture.params).map(([name, t]) => [name, t.shape]);
  expect(stored, "the fixture's parameters are the model's, by nnc name").toEqual(model.params.map((p) => [p.name, p.shape]));
  return new Map(Object.entries(fixture.params).map(([name, t]) => [name, tensorOf(t)]));
}

function modelInputs(graph: Graph, fixture: GradientCase): Tensor[] {
  expect(Object.keys(fixture.inputs), "model inputs").toEqual(graph.inputs);
  return graph.inputs.map((name) => tensorOf(fixture.inputs[name]));
}

function runSeeded(forward: Graph, params: Map<string, Tensor>, fixture: GradientCase): Run {
  const seeded = seededGradients(forward);
  const inputs = [...modelInputs(forward, fixture), tensorOf(fixture.seed!)];
  const { outputs, updated } = executeGraph(seeded.graph, params, inputs, { training: true });
  const gradients = new Map([...seeded.gradients.keys()].map((name, k) => [name, outputs[1 + k]]));
  return { output: outputs[0], gradients, running: updated };
}

function runLoss(forward: Graph, params: Map<string, Tensor>, fixture: GradientCase): Run {
  const { loss, target, labelSmoothing } = fixture.loss!;
  const step = trainingGraph(forward, { inputGradients: true });
  const labels = loss === "cross_entropy" ? { shape: target.shape, data: Int32Array.from(target.data) } : tensorOf(target);
  const inputs = [...modelInputs(forward, fixture), labels as Tensor];
  const { outputs, updated } = executeGraph(step.graph, params, inputs, { training: true, loss: { loss, labelSmoothing } });
  const named = [...step.gradients.map((g) => g.param), ...step.inputGradients.keys()];
  return { loss: outputs[0], output: outputs[1], gradients: new Map(named.map((name, k) => [name, outputs[2 + k]])), running: updated };
}

describe("gradients match PyTorch autograd", () => {
  it("has fixtures", () => expect(CASES.length).toBeGreaterThan(50));

  for (const fixture of CASES) {
    it(fixture.case, () => {
      const { model, graph } = loweredModel(fixture.source, `${fixture.case}.nn`);
      const params = parameters(model, fixture);
      const run = fixture.loss === undefined ? runSeeded(graph, params, fixture) : runLoss(graph, params, fixture);

      expectClose("output", run.output, tensorOf(fixture.output));
      if (fixture.loss !== undefined) expectClose("loss", run.loss, tensorOf(fixture.loss.value));
      expect([...run.gradients.keys()].sort(), "the tensors with a gradient").toEqual(Object.keys(fixture.gradients).sort());
      for (const [name, expected] of Object.entries(fixture.gradients)) expectClose(`gradient of ${name}`, run.gradients.get(name), tensorOf(expected));
      expect([...run.running.keys()].sort(), "the running statistics updated").toEqual(Object.keys(fixture.running).sort());
      for (const [name, expected] of Object.entries(fixture.running)) expectClose(`new ${name}`, run.running.get(name), tensorOf(expected));
    });
  }

  it("covers every layer of the language", () => {
    const covered = new Set(CASES.flatMap((fixture) => loweredModel(fixture.source).model.layers.map((layer) => layer.kind)));
    const missing = LAYER_LIST.map((layer) => layer.name).filter((name) => !covered.has(name));
    expect(missing, "layers without a gradient case in test/fixtures/grad").toEqual([]);
  });
});
