/**
 * The graph of one training step: the model's lowered graph (training forms of normalizers and
 * dropout, no inference pass), a loss node, and the backward nodes of reverse mode
 * (`gradients.ts`). Its inputs are the model's and then the target; its outputs are the loss,
 * the model's output, and the gradient of every learnable parameter that the loss reaches, in
 * declaration order. New running statistics are node outputs marked `updates`, as in a training
 * forward.
 *
 * The loss node (`TrainingLoss`) reads the model's output, the target and — when the model ends
 * in `softmax` or `log_softmax` over the classes — the logits before that layer. The loss itself is
 * chosen when the step runs (cross-entropy or mean squared error, through the `loss` kernel
 * argument), so one graph serves both: cross-entropy on a model ending in softmax or log_softmax
 * is computed on those logits, which is the negative log-likelihood of the model's probabilities
 * without a second softmax, and passes no gradient through the final layer; mean squared error
 * is always on the output. The node returns the loss and the gradients of the output and of the
 * logits, the seeds of reverse mode.
 *
 * Last, each relu that only it reads fuses into the batch norm or residual sum before it
 * (`fuse-relu.ts`), one pass over memory fewer a relu.
 */
import { freshName, Graph, type IrValue } from "../ir/graph.js";
import { fuseTrainingRelu } from "./fuse-relu.js";
import { differentiate } from "./gradients.js";

/** The name of the target input of a training graph. */
export const TARGET = "target";

/** A training step as a graph, and where its results are. */
export interface TrainingGraph {
  readonly graph: Graph;
  /** The loss value (shape `[1]`). */
  readonly loss: string;
  /** The model's output. */
  readonly output: string;
  /** The target input's name. */
  readonly target: string;
  /** Each learnable parameter the loss reaches, with its gradient value, in declaration order. */
  readonly gradients: readonly { readonly param: string; readonly grad: string }[];
  /** Learnable parameters the loss does not reach: no gradient, and no update. */
  readonly unreached: readonly string[];
  /** With `inputGradients`: the gradient of each model input, by input name. */
  readonly inputGradients: ReadonlyMap<string, string>;
  /**
   * The final classifier's learnable parameters: those of the last layer with learnable
   * parameters before the output, which adaptive gradient clipping leaves alone by default.
   */
  readonly classifier: readonly string[];
}

/** Options of {@link trainingGraph}. */
export interface TrainingGraphOptions {
  /** Also compute the gradients of the model inputs (for checks against autograd). */
  readonly inputGradients?: boolean;
}

/** Operators after which cross-entropy is taken on the node's input, the logits. */
const PROBABILITIES = new Set(["Softmax", "LogSoftmax"]);

/** Builds the training step of `forward`, a lowered graph (no pass run) with one output. */
export function trainingGraph(forward: Graph, options: TrainingGraphOptions = {}): TrainingGraph {
  if (forward.outputs.length !== 1) {
    throw new TrainingGraphError(`${forward.name} returns ${forward.outputs.length} tensors; training needs a model with one output`);
  }
  const output = forward.outputs[0];
  const values = new Map<string, IrValue>(forward.values);
  const fresh = (base: string): string => freshName(values, base);
  const target = fresh(TARGET);
  values.set(target, { name: target, shape: ["N"], kind: "input", target: true });

  const last = forward.producer(output);
  const logits = last !== undefined && PROBABILITIES.has(last.op) && Number(last.attrs.axis ?? 1) === 1 ? last.inputs[0] : undefined;
  const loss = fresh("loss");
  const outputGrad = fresh(`${output}.grad`);
  const names = [loss, outputGrad];
  values.set(loss, { name: loss, shape: [1], kind: "node" });
  values.set(outputGrad, { name: outputGrad, shape: forward.value(output).shape, kind: "node" });
  const seeds = new Map([[output, outputGrad]]);
  if (logits !== undefined) {
    const logitsGrad = fresh(`${logits}.grad`);
    values.set(logitsGrad, { name: logitsGrad, shape: forward.value(logits).shape, kind: "node" });
    names.push(logitsGrad);
    seeds.set(logits, logitsGrad);
  }
  const lossNode = {
    name: loss,
    op: "TrainingLoss",
    inputs: logits === undefined ? [output, target] : [output, target, logits],
    outputs: names,
    attrs: {},
    origins: last?.origins ?? [],
    notes: [],
  };
  const withLoss = new Graph(forward.name, [...forward.inputs, target], [loss, output], values, [...forward.nodes, lossNode]);
  const result = differentiate(withLoss, { seeds, inputGradients: options.inputGradients });

  const gradients = [...result.gradients]
    .filter(([name]) => forward.value(name).kind === "param")
    .map(([param, grad]) => ({ param, grad }));
  const inputGradients = new Map([...result.gradients].filter(([name]) => forward.value(name).kind === "input"));
  const graph = fuseTrainingRelu(result.graph.with({ outputs: [loss, output, ...gradients.map((g) => g.grad), ...inputGradients.values()] }));
  return { graph, loss, output, target, gradients, unreached: result.unreached, inputGradients, classifier: classifierOf(forward) };
}

/**
 * The final classifier's learnable parameters: a walk back from the output, level by level,
 * through the nodes that produce each value; the first level whose nodes read learnable
 * parameters (directly or through a constant node, such as weight standardization) gives them
 * all — two heads summed at the output both count.
 */
export function classifierOf(forward: Graph): string[] {
  const learnable = (name: string) => forward.values.get(name)?.kind === "param" && !forward.value(name).buffer;
  const paramsOf = (value: string): string[] => {
    if (learnable(value)) return [value];
    const producer = forward.producer(value);
    if (producer === undefined || !forward.isConstantNode(producer)) return [];
    return producer.inputs.filter((i) => i !== "").flatMap(paramsOf);
  };
  let frontier = [...forward.outputs];
  const seen = new Set(frontier);
  while (frontier.length > 0) {
    const nodes = [...new Set(frontier.map((v) => forward.producer(v)).filter((n) => n !== undefined))];
    const found = nodes.flatMap((n) => n.inputs.filter((i) => i !== "").flatMap(paramsOf));
    if (found.length > 0) return [...new Set(found)];
    frontier = nodes.flatMap((n) => n.inputs).filter((v) => v !== "" && !seen.has(v));
    for (const v of frontier) seen.add(v);
  }
  return [];
}

/** A model that cannot be trained as asked (several outputs). */
export class TrainingGraphError extends Error {
  override readonly name = "TrainingGraphError";
}

/** The gradients of a graph's one output seeded by an input: what the checks against autograd run. */
export interface SeededGradients {
  /** Inputs: the model's, then `seed` (the output's gradient); outputs: the model's output, then each gradient of `gradients`. */
  readonly graph: Graph;
  readonly seed: string;
  /** The gradient of each model input and learnable parameter that the output depends on, by name. */
  readonly gradients: ReadonlyMap<string, string>;
}

/**
 * The backward graph of `forward` (one output) for a given output gradient, fed as the extra input
 * `seed`: `y·seed` summed is the implied loss, so the results are what `y.backward(seed)` leaves in
 * PyTorch's `.grad`, for the model inputs as well as the parameters.
 */
export function seededGradients(forward: Graph): SeededGradients {
  if (forward.outputs.length !== 1) throw new TrainingGraphError(`${forward.name} returns ${forward.outputs.length} tensors; expected one`);
  const output = forward.outputs[0];
  const values = new Map<string, IrValue>(forward.values);
  const seed = freshName(values, `${output}.seed`);
  values.set(seed, { name: seed, shape: forward.value(output).shape, kind: "input" });
  const seeded = new Graph(forward.name, [...forward.inputs, seed], forward.outputs, values, forward.nodes);
  const result = differentiate(seeded, { seeds: new Map([[output, seed]]), inputGradients: true });
  const gradients = new Map([...result.gradients].filter(([name]) => name !== seed));
  return { graph: result.graph.with({ outputs: [output, ...gradients.values()] }), seed, gradients };
}
