/**
 * The training loop of `nnc train`, in-process: each epoch shuffles the training set with the
 * run's seed, runs the training-step graph on each batch (forward in training mode, loss,
 * gradients), writes the new running statistics back, lets the optimizer update the learnable
 * parameters, and then evaluates the held-out set with the forward graph in inference mode
 * (running statistics, no dropout).
 *
 * Everything random comes from the seed (the order of the examples and dropout's masks), so one
 * seed gives one run. A loss that is not finite stops the run at its step (`NonFiniteLoss`),
 * before the optimizer sees its gradients.
 */
import { executeGraph } from "../ir/execute.js";
import type { Graph } from "../ir/graph.js";
import type { TrainingGraph } from "./training-graph.js";
import { streamKey } from "../weights/random.js";
import { count, gather, type Examples, type TrainingData } from "./data.js";
import { BufferPool, createRandom, trainingLoss, type LossSettings, type RandomSource, type Tensor } from "../../runtime/index.js";
import type { ParameterUpdate } from "../../runtime/train/index.js";

/** How to train. */
export interface TrainerSettings {
  readonly epochs: number;
  readonly batch: number;
  readonly seed: number;
  readonly loss: LossSettings;
  /** The epoch to start from (after a resumed run's completed epochs), 0 for a new run. */
  readonly firstEpoch?: number;
}

/** One row of the log: the epoch's training and held-out figures. */
export interface EpochRecord {
  readonly epoch: number;
  readonly trainLoss: number;
  /** Fraction of examples whose largest output is their class (NaN where the loss has no classes). */
  readonly trainAccuracy: number;
  readonly heldOutLoss: number;
  readonly heldOutAccuracy: number;
  /** The learning rate at the end of the epoch. */
  readonly lr: number;
  readonly seconds: number;
  readonly examplesPerSecond: number;
}

/** Where a run stands after a step, for a progress bar. */
export interface StepProgress {
  readonly epoch: number;
  /** Steps done in this epoch, and how many it has. */
  readonly step: number;
  readonly steps: number;
  /** Running means over the epoch so far. */
  readonly loss: number;
  readonly accuracy: number;
  readonly examplesPerSecond: number;
}

/** What the loop reports while it runs; `shouldStop` is asked after every step (Ctrl-C). */
export interface TrainerEvents {
  onStep?(progress: StepProgress): void;
  onEpoch?(record: EpochRecord): void;
  onEvaluating?(epoch: number): void;
  shouldStop?(): boolean;
}

/** A loss that is NaN or infinite: the run stops at `step` (counted from 1 over the whole run). */
export class NonFiniteLoss extends Error {
  override readonly name = "NonFiniteLoss";
  constructor(
    readonly step: number,
    readonly loss: number,
  ) {
    super(`the loss became ${loss} at step ${step}`);
  }
}

/** How a run ended: every epoch done, or stopped early (the epochs in `records` are the complete ones). */
export interface TrainingOutcome {
  readonly records: readonly EpochRecord[];
  readonly stopped: boolean;
}

/** Examples per held-out forward: large enough to be quick, small enough to keep memory modest. */
const EVALUATION_BATCH = 500;

/** The training loop over one model; `params` holds every parameter and buffer by name and is updated in place. */
export class Trainer {
  /** The learnable parameters the optimizer updates: the same tensors as in `params`. */
  private readonly weights: Record<string, Tensor>;
  private readonly logits: string | undefined;
  private stepsDone = 0;
  /** The step's buffers, reused from one step to the next. */
  private readonly pool = new BufferPool();

  constructor(
    private readonly step: TrainingGraph,
    private readonly forward: Graph,
    private readonly params: Map<string, Tensor>,
    private readonly update: ParameterUpdate,
    private readonly settings: TrainerSettings,
  ) {
    this.weights = Object.fromEntries(step.gradients.map((g) => [g.param, params.get(g.param)!]));
    // The loss node reads the logits before a final softmax or log_softmax as its third input.
    this.logits = step.graph.producer(step.loss)?.inputs[2];
  }

  /** Runs the epochs; yields to the event loop between steps so that a signal can ask it to stop. */
  async run(data: TrainingData, events: TrainerEvents = {}): Promise<TrainingOutcome> {
    const { epochs, batch, seed } = this.settings;
    const first = this.settings.firstEpoch ?? 0;
    const records: EpochRecord[] = [];
    for (let epoch = first + 1; epoch <= epochs; epoch++) {
      const started = performance.now();
      // Each epoch draws from its own streams, so a resumed run repeats what an unbroken one does.
      const indices = shuffled(count(data.train), createRandom(streamKey(seed, `order ${epoch}`)));
      const dropout = createRandom(streamKey(seed, `dropout ${epoch}`));
      const steps = Math.ceil(indices.length / batch);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let s = 0; s < steps; s++) {
        const examples = gather(data.train, indices.slice(s * batch, (s + 1) * batch));
        const { loss, output } = this.trainStep(examples, dropout);
        const n = count(examples);
        lossSum += loss * n;
        correct += correctCount(output, examples.y);
        seen += n;
        const elapsed = (performance.now() - started) / 1000;
        events.onStep?.({ epoch, step: s + 1, steps, loss: lossSum / seen, accuracy: correct / seen, examplesPerSecond: seen / elapsed });
        await new Promise((resolve) => setImmediate(resolve));
        if (events.shouldStop?.()) return { records, stopped: true };
      }
      const seconds = (performance.now() - started) / 1000;
      events.onEvaluating?.(epoch);
      const heldOut = this.evaluate(data.heldOut);
      const record: EpochRecord = {
        epoch,
        trainLoss: lossSum / seen,
        trainAccuracy: this.hasClasses() ? correct / seen : NaN,
        heldOutLoss: heldOut.loss,
        heldOutAccuracy: heldOut.accuracy,
        lr: this.update.lr,
        seconds,
        examplesPerSecond: seen / seconds,
      };
      records.push(record);
      events.onEpoch?.(record);
    }
    return { records, stopped: false };
  }

  /** One step on one batch: the loss before the update and the model's output. */
  private trainStep(examples: Examples, random: RandomSource): { loss: number; output: Tensor } {
    const result = executeGraph(this.step.graph, this.params, [examples.x, examples.y], { training: true, random, loss: this.settings.loss, pool: this.pool });
    this.stepsDone++;
    const loss = result.outputs[0].data[0];
    if (!Number.isFinite(loss)) throw new NonFiniteLoss(this.stepsDone, loss);
    for (const [buffer, value] of result.updated) this.params.set(buffer, value);
    const gradients = Object.fromEntries(this.step.gradients.map((g, k) => [g.param, result.outputs[2 + k]]));
    this.update.step(this.weights, gradients);
    this.pool.giveBack(result.outputs.slice(2));
    return { loss, output: result.outputs[1] };
  }

  /** The mean loss and accuracy of the forward graph in inference mode over `set`. */
  evaluate(set: Examples): { loss: number; accuracy: number } {
    const outputs = this.logits === undefined ? [this.step.output] : [this.step.output, this.logits];
    const graph = this.forward.with({ outputs });
    let lossSum = 0;
    let correct = 0;
    const n = count(set);
    for (let start = 0; start < n; start += EVALUATION_BATCH) {
      const indices = Array.from({ length: Math.min(EVALUATION_BATCH, n - start) }, (_, k) => start + k);
      const examples = gather(set, indices);
      const [output, logits] = executeGraph(graph, this.params, [examples.x]).outputs;
      const [loss] = trainingLoss(output, examples.y, logits, this.settings.loss);
      lossSum += loss.data[0] * indices.length;
      correct += correctCount(output, examples.y);
    }
    return { loss: lossSum / n, accuracy: this.hasClasses() ? correct / n : NaN };
  }

  /** Whether accuracy means something: cross-entropy, or mse on `[N, C]` targets (argmax against argmax). */
  private hasClasses(): boolean {
    const shape = this.forward.value(this.step.output).shape;
    return shape.length === 2 && (this.settings.loss.loss === "cross_entropy" || Number(shape[1]) > 1);
  }
}

/** A permutation of 0..n−1 (Fisher–Yates) drawn from `random`. */
export function shuffled(n: number, random: RandomSource): number[] {
  const indices = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j], indices[i]];
  }
  return indices;
}

/**
 * How many rows of `output` `[N, C]` have their largest value at the target's class: the label
 * for class labels `[N]`, the target's own largest entry for targets shaped like the output.
 */
export function correctCount(output: Tensor, target: Tensor): number {
  if (output.shape.length !== 2) return 0;
  const [n, c] = output.shape;
  let correct = 0;
  for (let row = 0; row < n; row++) {
    const predicted = argmax(output.data, row * c, c);
    const wanted = target.shape.length === 1 ? target.data[row] : argmax(target.data, row * c, c);
    if (predicted === wanted) correct++;
  }
  return correct;
}

function argmax(data: Float32Array, offset: number, length: number): number {
  let best = 0;
  for (let k = 1; k < length; k++) if (data[offset + k] > data[offset + best]) best = k;
  return best;
}
