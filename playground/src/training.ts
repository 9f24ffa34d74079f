/**
 * "Train" on the digit pad: LeNet trained in the page on the MNIST digits of the `mnist`
 * package, by `nnc train`'s own loop (`compiler/train/trainer.ts`) with its defaults: Adam at
 * 0.002, batches of 16, a cosine schedule, seed 0, cross-entropy, the fixed split (every fifth
 * digit held out). The digits come packed by the build (`packMnist`), exactly as the package
 * holds them, so one step here is one step of `nnc train --data mnist-sample`.
 */
import type { CheckedModel } from "../../compiler/check/model.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { fixedSplit, type TrainingData } from "../../compiler/train/data.js";
import { Trainer, type EpochRecord, type StepProgress } from "../../compiler/train/trainer.js";
import { trainingGraph } from "../../compiler/train/training-graph.js";
import { initialWeights } from "../../compiler/weights/init.js";
import type { Tensor } from "../../runtime/index.js";
import { ParameterUpdate } from "../../runtime/train/index.js";
import { writeSafetensors } from "../../runtime/weights/safetensors.js";

/** `nnc train`'s defaults. */
export const TRAIN_DEFAULTS = { batch: 16, lr: 0.002, seed: 0 } as const;

const SIDE = 28;

/**
 * The packed digits: `u32 count`, `u32 table size`, the table of the distinct pixel values
 * (`f32`), the labels (`u8` each), then every pixel as an index into the table (`u8`).
 */
export function unpackMnist(bytes: Uint8Array): TrainingData {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const total = view.getUint32(0, true);
  const tableSize = view.getUint32(4, true);
  const table = new Float32Array(tableSize);
  for (let i = 0; i < tableSize; i++) table[i] = view.getFloat32(8 + 4 * i, true);
  const labelsAt = 8 + 4 * tableSize;
  const pixelsAt = labelsAt + total;
  const x = { shape: [total, 1, SIDE, SIDE], data: new Float32Array(total * SIDE * SIDE) };
  const y = { shape: [total], data: new Float32Array(total) };
  for (let i = 0; i < total; i++) y.data[i] = bytes[labelsAt + i];
  for (let i = 0; i < x.data.length; i++) x.data[i] = table[bytes[pixelsAt + i]];
  const { train, heldOut } = fixedSplit({ x, y });
  return { train, heldOut, description: `mnist: ${train.x.shape[0]} train, ${heldOut.x.shape[0]} held out (every 5th digit)` };
}

/** The digits of the `mnist` package (each digit's `data` array, 0 to 9) packed for {@link unpackMnist}. */
export function packMnist(digits: readonly (readonly number[])[]): Uint8Array {
  const pixels = SIDE * SIDE;
  const values = [...new Set(digits.flat())].sort((a, b) => a - b);
  if (values.length > 256) throw new Error(`the digits have ${values.length} distinct pixel values; the packing holds 256`);
  const index = new Map(values.map((v, i) => [v, i]));
  const total = digits.reduce((sum, d) => sum + d.length / pixels, 0);
  const bytes = new Uint8Array(8 + 4 * values.length + total + total * pixels);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, total, true);
  view.setUint32(4, values.length, true);
  values.forEach((v, i) => view.setFloat32(8 + 4 * i, v, true));
  let label = 8 + 4 * values.length;
  let pixel = label + total;
  digits.forEach((data, digit) => {
    for (let k = 0; k < data.length / pixels; k++) bytes[label++] = digit;
    for (const v of data) bytes[pixel++] = index.get(v)!;
  });
  return bytes;
}

/** What a run reports while it goes. */
export interface TrainingEvents {
  /** After each step: the epoch's running mean loss and accuracy, as `nnc train`'s progress bar shows. */
  onStep(progress: StepProgress): void;
  onEpoch(record: EpochRecord): void;
  shouldStop(): boolean;
}

/** Trains `model` on `data` for `epochs` (seed-0 initial weights); returns the weights as a checkpoint. */
export async function trainModel(model: CheckedModel, data: TrainingData, epochs: number, events: TrainingEvents): Promise<{ checkpoint: Uint8Array; stopped: boolean }> {
  const forward = lowerModel(model);
  const step = trainingGraph(forward);
  const initial = initialWeights(model, TRAIN_DEFAULTS.seed);
  const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: [...p.shape] as number[], data: Float32Array.from(initial.get(p.name)!) }]));
  const stepsPerEpoch = Math.ceil(data.train.x.shape[0] / TRAIN_DEFAULTS.batch);
  const learnable = model.params.filter((p) => !p.buffer).map((p) => ({ name: p.name, shape: [...p.shape] as number[] }));
  const update = new ParameterUpdate(learnable, {
    optimizer: { name: "adam", lr: TRAIN_DEFAULTS.lr },
    schedule: { name: "cosine", totalSteps: epochs * stepsPerEpoch, warmupSteps: 0 },
  });
  const trainer = new Trainer(step, forward, params, update, {
    epochs,
    batch: TRAIN_DEFAULTS.batch,
    seed: TRAIN_DEFAULTS.seed,
    loss: { loss: "cross_entropy", labelSmoothing: 0 },
  });
  const outcome = await trainer.run(data, {
    onStep: (progress) => events.onStep(progress),
    onEpoch: (record) => events.onEpoch(record),
    shouldStop: () => events.shouldStop(),
  });
  const tensors = model.params.map((p) => ({ name: p.name, shape: p.shape, data: params.get(p.name)!.data }));
  return { checkpoint: writeSafetensors(tensors, { source: "the nnc playground's Train", model: model.name }), stopped: outcome.stopped };
}
