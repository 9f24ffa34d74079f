/**
 * The PyTorch training trajectories (`scripts/torch_trajectories.py`) as tests read them: the
 * fixture's settings, losses and final tensors, its batches regenerated from the same sfc32 stream,
 * and the relative deviation both trajectory tests hold nnc to.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRandom, type Tensor } from "../../runtime/index.js";
import { readSafetensorsFile } from "../../runtime/weights/safetensors.js";

const DIR = "test/fixtures/trajectories";

/** Every run, as `<example>-<run>`. */
export const RUNS = readdirSync(DIR).filter((f) => f.endsWith(".safetensors")).map((f) => f.slice(0, -".safetensors".length)).sort();

/** |ours − torch| ≤ TOLERANCE · max(max |torch| over the tensor, 1e-3). */
export const TOLERANCE = 1e-4;

/** One run of the fixtures. */
export interface Trajectory {
  readonly example: string;
  readonly settings: { readonly optimizer: unknown; readonly agc?: number };
  readonly batches: readonly { readonly x: Tensor; readonly y: Tensor }[];
  /** PyTorch's loss at each step. */
  readonly losses: Float32Array;
  /** PyTorch's parameters and running statistics after the last step, by nnc name. */
  readonly final: ReadonlyMap<string, Float32Array>;
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

/** The worst deviation of `actual` from `expected`, relative to the larger of max |expected| and 1e-3. */
export function deviation(actual: Float32Array, expected: Float32Array): { worst: number; index: number } {
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

/** One line per tensor of `expected` that `actual` misses by more than the tolerance. */
export function mismatches(actual: (name: string) => Float32Array, expected: ReadonlyMap<string, Float32Array>): string[] {
  const failures: string[] = [];
  for (const [name, want] of expected) {
    const got = actual(name);
    const { worst, index } = deviation(got, want);
    if (worst > TOLERANCE) failures.push(`${name}[${index}]: ${got[index]} vs ${want[index]} (${worst.toExponential(2)})`);
  }
  return failures;
}

/** A message for the worst step of a loss sequence, or undefined when every step is within the tolerance. */
export function lossMismatch(losses: readonly number[], expected: Float32Array): string | undefined {
  const { worst, index } = deviation(Float32Array.from(losses), expected);
  return worst > TOLERANCE ? `loss at step ${index}: ${losses[index]} vs ${expected[index]} (${worst.toExponential(2)})` : undefined;
}
