/**
 * `nnc train`: trains a model on the CPU, in-process, and writes the run directory
 * (`compiler/train/run-dir.ts`). The command checks everything it can before the first step —
 * options, the model, the data against the model, the run directory — and reports each problem
 * as `nnc: error: ...` with exit 2. During the run: a progress bar on a terminal, a line per
 * epoch otherwise; a loss that is not finite stops it (exit 1); Ctrl-C finishes the step,
 * saves the run and exits 130.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command, Option } from "commander";
import cliProgress from "cli-progress";
import type { CheckedModel } from "../check/model.js";
import { lowerModel } from "../ir/lower.js";
import { initialWeights } from "../weights/init.js";
import { matchWeights } from "../weights/match.js";
import { DataError, checkData, loadDataFile, loadMnist, loadMnistSample, type TrainingData } from "../train/data.js";
import { prepareRunDir, readRun, RunDirError, writeRun, type SavedRun } from "../train/run-dir.js";
import { NonFiniteLoss, Trainer, type EpochRecord, type StepProgress } from "../train/trainer.js";
import { trainingGraph } from "../train/training-graph.js";
import { ParameterUpdate, validateUpdateSettings, type OptimizerSettings, type ScheduleSettings, type UpdateSettings } from "../../runtime/train/index.js";
import { enableRelaxedSimd, setTrainingFma, setTrainingThreads, trainingFma, trainingThreads, type Tensor } from "../../runtime/index.js";
import { readSafetensorsFile, type SafetensorsTensor } from "../../runtime/weights/safetensors.js";
import { checkPath, printDiagnostics, type ModelOptions } from "./front-end.js";
import { processIo, type CliIo } from "./io.js";
import { UsageError } from "./options.js";

/** The options of `nnc train`, as commander parses them (numbers still as text). */
export interface TrainOptions extends ModelOptions {
  data: string;
  output: string;
  epochs: string;
  batch: string;
  lr?: string;
  optimizer: "sgd" | "adam" | "adamw";
  momentum?: string;
  nesterov?: boolean;
  weightDecay?: string;
  agc?: string;
  clipNorm?: string;
  schedule: "constant" | "step" | "cosine";
  warmup: string;
  loss: "cross_entropy" | "mse";
  labelSmoothing: string;
  seed: string;
  weights?: string;
  resume?: string;
  force?: boolean;
  threads: string;
  fma: "auto" | "on" | "off";
}

/** The default learning rate of each optimizer. */
export const DEFAULT_LR: Readonly<Record<TrainOptions["optimizer"], number>> = { sgd: 0.05, adam: 0.002, adamw: 0.002 };

/** Exit code of a run stopped by Ctrl-C (128 + SIGINT), after saving it. */
export const INTERRUPTED = 130;

/** Adds `train` to `program`; `done` receives its exit code. */
export function registerTrainCommand(program: Command, io: CliIo, setOption: () => Option, done: (code: number) => void): void {
  program
    .command("train")
    .description("train a model on the CPU: progress, held-out evaluation, RUN/model.safetensors, log.csv, curves.svg")
    .argument("<file>", "an .nn file")
    .requiredOption("--data <source>", "`mnist` (60,000 digits to train on, the 10,000 test digits held out), `mnist-sample` (10,000 of the digits, 2,000 held out) or a safetensors file with x and y")
    .requiredOption("-o, --output <dir>", "the run directory")
    .option("--epochs <n>", "passes over the training set", "5")
    .option("--batch <n>", "examples per step", "16")
    .addOption(new Option("--optimizer <name>", "the optimizer").choices(["sgd", "adam", "adamw"]).default("adam"))
    .option("--lr <rate>", "learning rate (default: 0.002 for adam and adamw, 0.05 for sgd)")
    .option("--momentum <m>", "sgd momentum (default 0)")
    .option("--nesterov", "sgd: Nesterov momentum")
    .option("--weight-decay <w>", "weight decay (default 0; adamw: decoupled, default 0.01)")
    .addOption(new Option("--schedule <name>", "learning-rate schedule over the run").choices(["constant", "step", "cosine"]).default("cosine"))
    .option("--warmup <steps>", "linear learning-rate warm-up over this many steps", "0")
    .option("--agc <lambda>", "adaptive gradient clipping with this λ (the final classifier excluded)")
    .option("--clip-norm <c>", "clip the global gradient norm to c")
    .addOption(new Option("--loss <loss>", "the loss").choices(["cross_entropy", "mse"]).default("cross_entropy"))
    .option("--label-smoothing <eps>", "cross-entropy label smoothing in [0, 1)", "0")
    .option("--seed <n>", "initial weights, shuffling and dropout (a non-negative integer)", "0")
    .option("--weights <file>", "start from this checkpoint instead of the seed's initial weights")
    .option("--resume <dir>", "continue a run from its directory (weights, optimizer state, log)")
    .option("--force", "overwrite the files of an earlier run in the -o directory")
    .option("--threads <n>", "threads the training step's large matrix products run on", "1")
    .addOption(
      new Option("--fma <when>", "fused multiply-adds in the products: where they pay (auto: Intel CPUs), wherever the engine has them (on), never (off)")
        .choices(["auto", "on", "off"])
        .default("auto"),
    )
    .addOption(setOption())
    .option("--model <name>", "the model to train (default: the only or the last)")
    .action(async (file: string, opts: TrainOptions) => {
      done(await train(file, opts, io));
    });
}

/** `nnc train`: 0 when every epoch ran, 1 on a check error or a non-finite loss, 2 on bad options (`--set` and `--model` too) or data, 130 when interrupted. */
export async function train(file: string, opts: TrainOptions, io: CliIo): Promise<number> {
  const settings = parseSettings(opts);
  const { result, ok, status } = checkPath(file, io, { set: opts.set, model: opts.model });
  printDiagnostics(io, result, opts);
  const model = result.models[0];
  if (!ok || !model) return status || 1;
  try {
    return await run(model, opts, settings, io);
  } catch (error) {
    if (error instanceof DataError || error instanceof RunDirError) {
      io.stderr(`nnc: error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** The numeric options, checked. */
interface Settings {
  readonly epochs: number;
  readonly batch: number;
  readonly seed: number;
  readonly labelSmoothing: number;
  readonly threads: number;
  /** Warm-up steps of the schedule. */
  readonly warmup: number;
  /** The optimizer and clipping; the schedule is added once the steps per epoch are known. */
  readonly update: UpdateSettings;
}

function parseSettings(opts: TrainOptions): Settings {
  const epochs = integer("--epochs", opts.epochs, 1);
  const labelSmoothing = real("--label-smoothing", opts.labelSmoothing, 0);
  if (labelSmoothing >= 1) throw new UsageError(`--label-smoothing must be in [0, 1), got '${opts.labelSmoothing}'`);
  if (labelSmoothing > 0 && opts.loss !== "cross_entropy") throw new UsageError("--label-smoothing applies to --loss cross_entropy only");
  const sgd = opts.optimizer === "sgd";
  if (!sgd && (opts.nesterov || opts.momentum !== undefined)) throw new UsageError(`--momentum and --nesterov apply to --optimizer sgd only`);
  const optimizer: OptimizerSettings = {
    name: opts.optimizer,
    lr: opts.lr === undefined ? DEFAULT_LR[opts.optimizer] : real("--lr", opts.lr, 0, true),
    ...(opts.weightDecay === undefined ? {} : { weightDecay: real("--weight-decay", opts.weightDecay, 0) }),
    ...(sgd && opts.momentum !== undefined ? { momentum: real("--momentum", opts.momentum, 0) } : {}),
    ...(sgd && opts.nesterov ? { nesterov: true } : {}),
  };
  const update: UpdateSettings = {
    optimizer,
    ...(opts.agc === undefined ? {} : { agc: real("--agc", opts.agc, 0, true) }),
    ...(opts.clipNorm === undefined ? {} : { clipNorm: real("--clip-norm", opts.clipNorm, 0, true) }),
  };
  const warmup = integer("--warmup", opts.warmup, 0);
  // The schedule's length is known once the data is: checked here with a stand-in for it.
  checkUpdateSettings({ ...update, schedule: schedule(opts.schedule, warmup, 1, 1) });
  return { epochs, batch: integer("--batch", opts.batch, 1), seed: Number(opts.seed), labelSmoothing, threads: integer("--threads", opts.threads, 1), warmup, update };
}

/** The learning-rate schedule `name` over a run of `totalSteps`, stepping down tenfold every `stepSize` steps for `step`. */
function schedule(name: TrainOptions["schedule"], warmupSteps: number, totalSteps: number, stepSize: number): ScheduleSettings {
  if (name === "cosine") return { name, totalSteps, warmupSteps };
  if (name === "step") return { name, stepSize, gamma: 0.1, warmupSteps };
  return { name, warmupSteps };
}

/** The optimizer's own check of the settings, as a usage error. */
function checkUpdateSettings(settings: UpdateSettings): void {
  try {
    validateUpdateSettings(settings);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** A decimal integer of at least `min`. */
function integer(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(value) || value < min) throw new UsageError(`${flag} must be an integer of at least ${min}, got '${text}'`);
  return value;
}

/** A finite decimal number of at least `min` (above it when `exclusive`). */
function real(flag: string, text: string, min: number, exclusive = false): number {
  const value = Number(text);
  const fits = exclusive ? value > min : value >= min;
  if (!/^[0-9]*\.?[0-9]+(e-?[0-9]+)?$/i.test(text) || !Number.isFinite(value) || !fits) {
    throw new UsageError(`${flag} must be a number ${exclusive ? "above" : "of at least"} ${min}, got '${text}'`);
  }
  return value;
}

async function run(model: CheckedModel, opts: TrainOptions, settings: Settings, io: CliIo): Promise<number> {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    const what = model.inputs.length !== 1 ? `takes ${model.inputs.length} inputs` : `returns ${model.outputs.length} tensors`;
    throw new DataError(`${model.name} ${what}; nnc train trains a model with one input and one output`);
  }
  const forward = lowerModel(model);
  const step = trainingGraph(forward);
  if (step.unreached.length > 0) io.stderr(`nnc: warning: the loss does not depend on ${step.unreached.join(", ")}: they keep their initial values\n`);

  const data: TrainingData = opts.data === "mnist" ? loadMnist() : opts.data === "mnist-sample" ? loadMnistSample() : loadDataFile(opts.data);
  checkData(data, { input: forward.value(forward.inputs[0]).shape, output: forward.value(step.output).shape, loss: opts.loss });

  const saved = opts.resume === undefined ? undefined : readRun(opts.resume);
  if (saved && saved.epochs >= settings.epochs) throw new RunDirError(`--resume ${opts.resume}: the run has done ${saved.epochs} epochs already; ask for more with --epochs`);
  prepareRunDir(opts.output, opts.force === true || (opts.resume !== undefined && resolve(opts.resume) === resolve(opts.output)));
  const params = startingWeights(model, opts, settings.seed, saved);

  const stepsPerEpoch = Math.ceil(data.train.x.shape[0] / settings.batch);
  const totalSteps = settings.epochs * stepsPerEpoch;
  const stepSize = Math.max(1, Math.floor(settings.epochs / 3)) * stepsPerEpoch;
  const learnable = model.params.filter((p) => !p.buffer).map((p) => ({ name: p.name, shape: [...p.shape] }));
  const update = new ParameterUpdate(learnable, {
    ...settings.update,
    schedule: schedule(opts.schedule, settings.warmup, totalSteps, stepSize),
    ...(settings.update.agc === undefined ? {} : { agcExclude: step.classifier }),
  });
  if (saved) {
    try {
      update.restore(saved.optimizer);
    } catch (error) {
      throw new RunDirError(`--resume ${opts.resume}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const interrupt = interruption();
  io.stdout(`training ${model.name} on ${data.description}; ${plural(settings.epochs, "epoch")} of ${plural(stepsPerEpoch, "step")} (batch ${settings.batch}), ${opts.optimizer} lr ${settings.update.optimizer?.lr}\n`);
  const trainer = new Trainer(step, forward, params, update, {
    epochs: settings.epochs,
    batch: settings.batch,
    seed: settings.seed,
    loss: { loss: opts.loss, labelSmoothing: settings.labelSmoothing },
    firstEpoch: saved?.epochs ?? 0,
  });
  const records: EpochRecord[] = [...(saved?.records ?? [])];
  const progress = progressReporter(io, settings.epochs);
  let outcome;
  const previousThreads = trainingThreads();
  setTrainingThreads(settings.threads);
  // Fused multiply-adds in the products (relaxed SIMD, behind a flag in Node 20) as --fma says.
  const relaxed = enableRelaxedSimd();
  const previousFma = trainingFma();
  if (opts.fma !== "auto") setTrainingFma(opts.fma === "on");
  if (opts.fma === "on" && !relaxed) io.stderr("nnc: warning: --fma on: this JavaScript engine has no fused multiply-add (relaxed SIMD); the products multiply and add\n");
  try {
    outcome = await trainer.run(data, {
      onStep: progress.step,
      onEvaluating: progress.evaluating,
      onEpoch: (record) => {
        records.push(record);
        progress.epoch(record);
      },
      shouldStop: interrupt.requested,
    });
  } catch (error) {
    if (!(error instanceof NonFiniteLoss)) throw error;
    progress.stop();
    const lr = settings.update.optimizer?.lr;
    io.stderr(`nnc: error: ${error.message}; training stopped and nothing was saved. Lower the learning rate (--lr, now ${lr}) or clip the gradients (--agc 0.01 or --clip-norm 1)\n`);
    return 1;
  } finally {
    setTrainingThreads(previousThreads);
    setTrainingFma(previousFma);
    interrupt.release();
    progress.stop();
  }
  const epochs = records.length === 0 ? 0 : records[records.length - 1].epoch;
  writeRun(opts.output, {
    params: model.params,
    values: params,
    optimizer: update.state(),
    steps: update.steps,
    epochs,
    records,
    metadata: { generator: "nnc train", model: model.name, seed: String(settings.seed), epochs: String(epochs) },
  });
  if (outcome.stopped) {
    io.stdout(`interrupted after ${plural(epochs, "complete epoch")} and ${plural(update.steps, "step")}; saved the run to ${opts.output}\n`);
    return INTERRUPTED;
  }
  io.stdout(`wrote ${opts.output} (model.safetensors, optimizer.safetensors, log.csv, curves.svg)\n`);
  return 0;
}

/** The weights to start from: a resumed run's, a `--weights` checkpoint, or `nnc init --seed S`'s. */
function startingWeights(model: CheckedModel, opts: TrainOptions, seed: number, saved: SavedRun | undefined): Map<string, Tensor> {
  let values: ReadonlyMap<string, Float32Array>;
  if (saved) values = matched(model, saved.weights, `--resume ${opts.resume}`);
  else if (opts.weights !== undefined) {
    let file;
    try {
      file = readSafetensorsFile(readFileSync(resolve(opts.weights)));
    } catch (error) {
      throw new DataError(`--weights ${opts.weights}: ${error instanceof Error && !("code" in error) ? error.message : "cannot read the file"}`);
    }
    values = matched(model, file.tensors, `--weights ${opts.weights}`);
  } else values = initialWeights(model, seed);
  return new Map(model.params.map((p) => [p.name, { shape: [...p.shape], data: Float32Array.from(values.get(p.name)!) }]));
}

/** The checkpoint's values by parameter name; its first problem (missing, extra or misshapen tensor) is an error. */
function matched(model: CheckedModel, tensors: ReadonlyMap<string, SafetensorsTensor>, what: string): ReadonlyMap<string, Float32Array> {
  const match = matchWeights(model.params, tensors, "name");
  if (match.problems.length > 0) throw new DataError(`${what}: ${match.problems[0].message}`);
  return match.weights;
}

/** Ctrl-C while training: the first asks the loop to stop after its step; a second ends the process. */
function interruption(): { requested: () => boolean; release: () => void } {
  let requested = false;
  const onSignal = () => {
    if (requested) process.exit(INTERRUPTED);
    requested = true;
  };
  process.on("SIGINT", onSignal);
  return { requested: () => requested, release: () => void process.off("SIGINT", onSignal) };
}

/** A progress bar on a terminal (standard error), else one line per epoch on standard output. */
function progressReporter(io: CliIo, epochs: number) {
  const terminal = io.stderr === processIo.stderr && process.stderr.isTTY === true;
  const bar = terminal
    ? new cliProgress.SingleBar(
        { format: "epoch {epoch}/{epochs} {bar} {value}/{total} | loss {loss} | acc {accuracy} | {speed} ex/s | ETA {eta_formatted}", hideCursor: true, clearOnComplete: true },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let active = false;
  const percent = (x: number) => (Number.isNaN(x) ? "-" : `${(100 * x).toFixed(2)}%`);
  return {
    step(p: StepProgress) {
      if (!bar) return;
      const payload = { epoch: p.epoch, epochs, loss: p.loss.toFixed(4), accuracy: percent(p.accuracy), speed: Math.round(p.examplesPerSecond) };
      if (!active) bar.start(p.steps, p.step, payload);
      else bar.update(p.step, payload);
      active = true;
    },
    evaluating(epoch: number) {
      if (bar && active) bar.update({ epoch, loss: "held-out…" });
    },
    epoch(r: EpochRecord) {
      if (bar && active) bar.stop();
      active = false;
      io.stdout(
        `epoch ${r.epoch}/${epochs}: train loss ${r.trainLoss.toFixed(4)} accuracy ${percent(r.trainAccuracy)} | held-out loss ${r.heldOutLoss.toFixed(4)} accuracy ${percent(r.heldOutAccuracy)} | lr ${Number(r.lr.toPrecision(3))} | ${r.seconds.toFixed(1)} s, ${Math.round(r.examplesPerSecond)} examples/s\n`,
      );
    },
    stop() {
      if (bar && active) bar.stop();
      active = false;
    },
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
