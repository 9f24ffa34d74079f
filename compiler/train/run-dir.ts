/**
 * The run directory of `nnc train` (`-o RUN/`): what it holds and how it is written.
 *
 * - `model.safetensors`: every parameter and buffer by its nnc name, in declaration order (what
 *   `nnc params` lists), loadable by PyTorch and by `nnc compile --weights`;
 * - `optimizer.safetensors`: the optimizer's state, `optim.<param>.<slot>`, with the steps and
 *   epochs done in the metadata, so that `--resume RUN/` continues where the run stopped;
 * - `log.csv`: one row per epoch;
 * - `curves.svg`: the loss and accuracy curves.
 *
 * A run never replaces a file it did not write itself unless asked to (`--force`).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ParamInfo } from "../check/model.js";
import type { Tensor } from "../../runtime/index.js";
import { readSafetensorsFile, writeSafetensors, type SafetensorsTensor } from "../../runtime/weights/safetensors.js";
import type { EpochRecord } from "./trainer.js";
import { curvesSvg } from "./curves.js";

/** The files a run writes, by role. */
export const RUN_FILES = {
  model: "model.safetensors",
  optimizer: "optimizer.safetensors",
  log: "log.csv",
  curves: "curves.svg",
} as const;

/** The columns of `log.csv`. */
export const LOG_HEADER = "epoch,train_loss,train_accuracy,held_out_loss,held_out_accuracy,lr,seconds,examples_per_second";

/** A run directory that cannot be used as asked: `nnc: error: <message>`, exit 2. */
export class RunDirError extends Error {
  override readonly name = "RunDirError";
}

/**
 * Makes `dir` ready for a new run: created if missing; refused when it is not a directory or
 * already holds one of the run's files, unless `force`.
 */
export function prepareRunDir(dir: string, force: boolean): void {
  const path = resolve(dir);
  if (existsSync(path) && !statSync(path).isDirectory()) throw new RunDirError(`-o ${dir}: not a directory`);
  if (!force) {
    for (const file of Object.values(RUN_FILES)) {
      if (existsSync(join(path, file))) throw new RunDirError(`${join(dir, file)} already exists; pass --force to overwrite it, or choose another -o directory`);
    }
  }
  mkdirSync(path, { recursive: true });
}

/** Everything a checkpoint of the run holds. */
export interface RunState {
  readonly params: readonly ParamInfo[];
  readonly values: ReadonlyMap<string, Tensor>;
  readonly optimizer: Readonly<Record<string, Float32Array>>;
  /** Optimizer steps and complete epochs so far. */
  readonly steps: number;
  readonly epochs: number;
  readonly records: readonly EpochRecord[];
  /** Metadata for the model file (model name, source, seed). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Writes the run's four files; each goes to a temporary name first, so an interrupted write leaves the old one. */
export function writeRun(dir: string, state: RunState): void {
  const tensors = state.params.map((p) => ({ name: p.name, shape: p.shape, data: state.values.get(p.name)!.data }));
  atomicWrite(join(dir, RUN_FILES.model), writeSafetensors(tensors, state.metadata));
  const slots = Object.entries(state.optimizer).map(([name, data]) => ({ name, shape: [data.length], data }));
  atomicWrite(join(dir, RUN_FILES.optimizer), writeSafetensors(slots, { steps: String(state.steps), epochs: String(state.epochs) }));
  atomicWrite(join(dir, RUN_FILES.log), logCsv(state.records));
  atomicWrite(join(dir, RUN_FILES.curves), curvesSvg(state.records));
}

/** A run read back for `--resume`: its weights, optimizer state, progress and log. */
export interface SavedRun {
  readonly weights: ReadonlyMap<string, SafetensorsTensor>;
  readonly optimizer: Record<string, Float32Array>;
  readonly steps: number;
  readonly epochs: number;
  readonly records: EpochRecord[];
}

/** Reads a run directory written by {@link writeRun}; throws `RunDirError` when a file is missing or malformed. */
export function readRun(dir: string): SavedRun {
  const read = (file: string): Uint8Array => {
    try {
      return readFileSync(resolve(join(dir, file)));
    } catch {
      throw new RunDirError(`--resume ${dir}: cannot read ${join(dir, file)}; is it a directory written by nnc train?`);
    }
  };
  try {
    const model = readSafetensorsFile(read(RUN_FILES.model));
    const optimizer = readSafetensorsFile(read(RUN_FILES.optimizer));
    const slots = Object.fromEntries([...optimizer.tensors].map(([name, t]) => [name, t.data]));
    const records = parseLogCsv(new TextDecoder().decode(read(RUN_FILES.log)));
    return { weights: model.tensors, optimizer: slots, steps: Number(optimizer.metadata.steps ?? 0), epochs: Number(optimizer.metadata.epochs ?? records.length), records };
  } catch (error) {
    if (error instanceof RunDirError) throw error;
    throw new RunDirError(`--resume ${dir}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `log.csv`: the header and one row per epoch (an accuracy without classes is left empty). */
export function logCsv(records: readonly EpochRecord[]): string {
  const cell = (value: number, digits: number) => (Number.isNaN(value) ? "" : value.toFixed(digits));
  const rows = records.map((r) =>
    [r.epoch, cell(r.trainLoss, 6), cell(r.trainAccuracy, 4), cell(r.heldOutLoss, 6), cell(r.heldOutAccuracy, 4), r.lr.toPrecision(6), cell(r.seconds, 2), cell(r.examplesPerSecond, 1)].join(","),
  );
  return [LOG_HEADER, ...rows].join("\n") + "\n";
}

/** Reads `log.csv` back (for `--resume`). */
export function parseLogCsv(text: string): EpochRecord[] {
  const [header, ...rows] = text.trim().split("\n");
  if (header !== LOG_HEADER) throw new Error(`log.csv does not start with the header ${LOG_HEADER}`);
  return rows.map((row) => {
    const n = row.split(",").map((cell) => (cell === "" ? NaN : Number(cell)));
    return { epoch: n[0], trainLoss: n[1], trainAccuracy: n[2], heldOutLoss: n[3], heldOutAccuracy: n[4], lr: n[5], seconds: n[6], examplesPerSecond: n[7] };
  });
}

function atomicWrite(path: string, contents: string | Uint8Array): void {
  const temporary = `${path}.partial`;
  writeFileSync(resolve(temporary), contents);
  renameSync(resolve(temporary), resolve(path));
}
