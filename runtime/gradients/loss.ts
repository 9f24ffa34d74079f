/**
 * The losses of a training step, with the gradients that seed reverse mode, as
 * `torch.nn.CrossEntropyLoss` and `torch.nn.MSELoss` compute them (mean over the batch).
 *
 * - `cross_entropy`: on logits `[N, C]` and class labels `[N]` (whole numbers, as an `Int32Array`
 *   or a `Float32Array`), with optional label smoothing ε: the target distribution is
 *   `(1 − ε)·onehot + ε/C`, so `loss = mean_n [(1 − ε)(−log p[y]) + ε·mean_c(−log p_c)]` and
 *   `∂loss/∂logits = (softmax − target distribution) / N`.
 * - `mse`: on an output and a target of the same shape, `mean((y − t)²)`, `∂/∂y = 2(y − t)/size`.
 *
 * When a model ends in `softmax` or `log_softmax`, its training graph hands this kernel the
 * logits before that layer too, and cross-entropy is taken on them (the negative log-likelihood
 * of the model's probabilities, never a second softmax); the output's gradient is then zero.
 */
import { freshFloats, sizeOf, type Tensor } from "../tensor.js";

/** Which loss a training step minimises. */
export interface LossSettings {
  readonly loss: "cross_entropy" | "mse";
  /** Cross-entropy's label smoothing ε in [0, 1) (default 0). */
  readonly labelSmoothing?: number;
}

/** A training target: class labels `[N]` or a tensor shaped like the output. */
export interface Target {
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

/**
 * The loss `[1]` and the gradients of `output` and (when given) of `logits`: `[loss, dOutput]`
 * or `[loss, dOutput, dLogits]`.
 */
export function trainingLoss(output: Tensor, target: Target, logits: Tensor | undefined, settings: LossSettings): Tensor[] {
  if (settings.loss === "mse") {
    const [loss, grad] = meanSquaredError(output, target);
    return logits === undefined ? [loss, grad] : [loss, grad, zerosLike(logits)];
  }
  if (settings.loss !== "cross_entropy") throw new Error(`unknown loss ${String(settings.loss)}: use cross_entropy or mse`);
  const [loss, grad] = crossEntropy(logits ?? output, target, settings.labelSmoothing ?? 0);
  return logits === undefined ? [loss, grad] : [loss, zerosLike(output), grad];
}

/** Softmax cross-entropy of `logits` `[N, C]` against class labels: `[loss, dLogits]`. */
export function crossEntropy(logits: Tensor, target: Target, smoothing = 0): [Tensor, Tensor] {
  if (logits.shape.length !== 2) throw new Error(`cross_entropy: the output must be [N, classes], got [${logits.shape.join(", ")}]`);
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`cross_entropy: label smoothing must be in [0, 1), got ${smoothing}`);
  const [n, c] = logits.shape;
  if (target.shape.length !== 1 || target.shape[0] !== n || target.data.length !== n) {
    throw new Error(`cross_entropy: the target must be ${n} class labels, shape [${n}], got [${target.shape.join(", ")}]`);
  }
  const grad = freshFloats(n * c);
  const x = logits.data;
  let total = 0;
  for (let row = 0; row < n; row++) {
    const label = target.data[row];
    if (!Number.isInteger(label) || label < 0 || label >= c) {
      throw new Error(`cross_entropy: label ${label} of example ${row} is not a class in 0..${c - 1}`);
    }
    const base = row * c;
    let max = -Infinity;
    for (let j = 0; j < c; j++) if (x[base + j] > max) max = x[base + j];
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(x[base + j] - max);
    const logSum = Math.log(sum) + max;
    let smoothTerm = 0;
    for (let j = 0; j < c; j++) {
      const logp = x[base + j] - logSum;
      smoothTerm -= logp;
      const wanted = (j === label ? 1 - smoothing : 0) + smoothing / c;
      grad[base + j] = (Math.exp(logp) - wanted) / n;
    }
    total += (1 - smoothing) * (logSum - x[base + label]) + (smoothing * smoothTerm) / c;
  }
  return [{ shape: [1], data: Float32Array.of(total / n) }, { shape: [n, c], data: grad }];
}

/** Mean squared error of `output` against a target of the same shape: `[loss, dOutput]`. */
export function meanSquaredError(output: Tensor, target: Target): [Tensor, Tensor] {
  const same = target.shape.length === output.shape.length && target.shape.every((d, i) => d === output.shape[i]);
  if (!same || target.data.length !== output.data.length) {
    throw new Error(`mse: the target must have the output's shape [${output.shape.join(", ")}], got [${target.shape.join(", ")}]`);
  }
  const size = output.data.length;
  const grad = freshFloats(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    const diff = output.data[i] - target.data[i];
    total += diff * diff;
    grad[i] = (2 * diff) / size;
  }
  return [{ shape: [1], data: Float32Array.of(total / size) }, { shape: [...output.shape], data: grad }];
}

function zerosLike(t: Tensor): Tensor {
  return { shape: [...t.shape], data: freshFloats(sizeOf(t.shape)) };
}
