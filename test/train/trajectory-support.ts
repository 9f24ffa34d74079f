/**
 * The PyTorch training trajectories (`scripts/torch_trajectories.py`) as tests read them: the
 * fixture's settings, losses and final tensors, its batches regenerated from the same sfc32 stream,
 * and the relative deviation both trajectory tests hold nnc to.
 */
import { readdirSync, readFileSync } from "node:fs";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { trainingGraph } from "../../compiler/train/training-graph.js";
import { initialWeights } from "../../compiler/weights/init.js";
import { createRandom, ParameterUpdate, validateUpdateSettings, type BufferPool, type Tensor } from "../../runtime/index.js";
import { readSafetensorsFile } from "../../runtime/weights/safetensors.js";

const DIR = "test/fixtures/trajectories";

/** Every run, as `<example>-<run>`. */
export const RUNS = readdirSync(DIR).filter((f) => f.endsWith(".safetensors")).map((f) => f.slice(0, -".safetensors".length)).sort();

/**
 * The reference is PyTorch in float64 (from the same float32 weights and data). A final tensor
 * passes when |ours − torch| ≤ tolerance · max(max |torch| over the tensor, FLOOR); the loss of
 * every step when |ours − torch| ≤ tolerance · max |torch loss|. The tolerance is 1e-4 for losses
 * and 2e-4 for tensors, or, where that is larger, twice the farthest that PyTorch's own float32
 * runs stray from float64 (the fixture records the farthest of four runs that sum in different
 * orders: resnet20 with SGD and Adam, where ReLU kinks at batch 4 make float32 rounding grow to
 * 1e-2). Twice: which side of a kink a unit falls on depends on the order of each float32 sum, so
 * the distance of any float32 run is one draw of a heavy-tailed spread, and nnc's products sum in
 * float32 in an order of their own (resnet20-adam: PyTorch's four runs 1.1e-4 to 1.1e-3, nnc's
 * 1.0e-3 to 2.0e-3 as the order of its conv products changed). The floor of 1 makes the check
 * absolute for tensors whose values are all small: a normalizer's bias starts at 0 and its gradient is a sum that nearly cancels (a conv and
 * a normalizer follow it), so its few 1e-4s carry float32 rounding of a few 1e-6 — per tensor,
 * PyTorch's float32 run misses its float64 run by 2e-3 on norm_zoo's batch-norm biases.
 */
export const LOSS_TOLERANCE = 1e-4;
export const TENSOR_TOLERANCE = 2e-4;
/** The float32 spread allowed, as a multiple of the farthest PyTorch float32 run (above). */
const STRAY_FACTOR = 2;
const FLOOR = 1;

/** One run of the fixtures. */
export interface Trajectory {
  readonly example: string;
  readonly settings: { readonly optimizer: unknown; readonly agc?: number };
  readonly batches: readonly { readonly x: Tensor; readonly y: Tensor }[];
  /** PyTorch's loss at each step. */
  readonly losses: Float32Array;
  /** PyTorch's parameters and running statistics after the last step, by nnc name. */
  readonly final: ReadonlyMap<string, Float32Array>;
  /** The tolerances this run is held to (see {@link LOSS_TOLERANCE}). */
  readonly tolerance: { readonly loss: number; readonly tensors: number };
}

/** Reads run `run` (`resnet20-sgd`). */
export function trajectory(run: string): Trajectory {
  const file = readSafetensorsFile(readFileSync(`${DIR}/${run}.safetensors`));
  const meta = file.metadata;
  const final = new Map([...file.tensors].map(([name, t]) => [name, t.data]));
  const losses = final.get("trajectory.loss")!;
  final.delete("trajectory.loss");
  return {
    example: run.slice(0, run.lastIndexOf("-")),
    settings: JSON.parse(meta.settings!) as Trajectory["settings"],
    batches: batches(Number(meta.data_seed), Number(meta.steps), [Number(meta.batch), 3, 32, 32]),
    losses,
    final,
    tolerance: {
      loss: Math.max(LOSS_TOLERANCE, STRAY_FACTOR * Number(meta.float32_loss_stray)),
      tensors: Math.max(TENSOR_TOLERANCE, STRAY_FACTOR * Number(meta.float32_tensor_stray)),
    },
  };
}

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

/** The worst deviation of `actual` from `expected`, relative to the larger of max |expected| and `floor`. */
export function deviation(actual: Float32Array, expected: Float32Array, floor = FLOOR): { worst: number; index: number } {
  let scale = floor;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]) / scale;
    if (d > worst) [worst, index] = [d, i];
  }
  return { worst, index };
}

/** One line per tensor of `expected` that `actual` misses by more than `tolerance`. */
export function mismatches(actual: (name: string) => Float32Array, expected: ReadonlyMap<string, Float32Array>, tolerance: number): string[] {
  const failures: string[] = [];
  for (const [name, want] of expected) {
    const got = actual(name);
    const { worst, index } = deviation(got, want);
    if (worst > tolerance) failures.push(`${name}[${index}]: ${got[index]} vs ${want[index]} (${worst.toExponential(2)})`);
  }
  return failures;
}

/** A message for the worst step of a loss sequence, or undefined when every step is within `tolerance`. */
export function lossMismatch(losses: readonly number[], expected: Float32Array, tolerance: number): string | undefined {
  const { worst, index } = deviation(Float32Array.from(losses), expected, 0);
  return worst > tolerance ? `loss at step ${index}: ${losses[index]} vs ${expected[index]} (${worst.toExponential(2)})` : undefined;
}

/**
 * The first `count` steps of run `run` on the IR executor (through `pool` when given), from the
 * seed-0 weights: each step's outputs (copied) and the final parameters (copied). `onStep` gets
 * each step's results as the executor returned them, once the step's update is done.
 */
export function executorSteps(run: string, count: number, pool: BufferPool | undefined, onStep?: (outputs: Tensor[]) => void) {
  const { example, settings, batches } = trajectory(run);
  const source = `examples/${example}.nn`;
  const model = checkSource(source, readFileSync(source, "utf8"), { readFile: (p: string) => readFileSync(p, "utf8") }).models[0] as CheckedModel;
  const training = trainingGraph(lowerModel(model));
  const init = initialWeights(model, 0);
  const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: [...p.shape] as number[], data: init.get(p.name)! }]));
  const update = new ParameterUpdate(
    training.gradients.map((g) => ({ name: g.param, shape: params.get(g.param)!.shape })),
    validateUpdateSettings({ ...settings, agcExclude: training.classifier }),
  );
  const weights = Object.fromEntries(params);
  const outputs: Float32Array[][] = [];
  for (const { x, y } of batches.slice(0, count)) {
    const result = executeGraph(training.graph, params, [x, y], { training: true, pool });
    outputs.push(result.outputs.map((t) => t.data.slice()));
    for (const [buffer, value] of result.updated) params.get(buffer)!.data.set(value.data);
    update.step(weights, Object.fromEntries(training.gradients.map((g, k) => [g.param, result.outputs[2 + k]])));
    onStep?.(result.outputs);
  }
  return { outputs, params: new Map([...params].map(([name, t]) => [name, t.data.slice()])) };
}
