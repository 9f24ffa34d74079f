/**
 * Matching a checkpoint's tensors to a model's parameters (docs/operators.md, "Parameter names"; docs/codegen.md, "Weights").
 *
 * By name, each model parameter takes the tensor of the same dotted name. By order
 * (`--weights-match order`, for checkpoints whose names differ, such as a PyTorch `state_dict`),
 * the checkpoint's tensors in declaration order pair with the model's parameters in declaration
 * order; the checkpoint's order is the one `readSafetensors` gives (its `order` metadata, else its
 * header's key order). Either way every shape is checked and every value must be finite, and
 * PyTorch's `num_batches_tracked` buffers are skipped, and so is the optimizer state that a
 * training module's `state()` saves (`optim.<parameter>.<slot>`, `optim.step`).
 *
 * Matching never throws: it returns the weights it could match and a list of problems, each with
 * a message naming the parameter, so that a caller can report all of them at once.
 */
import type { ParamInfo } from "../check/model.js";
import { isIgnoredBuffer, type SafetensorsTensor } from "../../runtime/weights/safetensors.js";
import { valueProblem } from "../../runtime/weights/values.js";
import { isOptimizerState } from "../../runtime/model-support.js";

/** How checkpoint tensors find their model parameters. */
export type MatchMode = "name" | "order";

/** What can be wrong with a checkpoint. */
export type WeightProblemKind = "missing" | "unexpected" | "shape" | "non-finite" | "invalid-statistic" | "count";

/** One problem found while matching; `message` is a complete sentence for the user. */
export interface WeightProblem {
  readonly kind: WeightProblemKind;
  /** The model parameter concerned (for `unexpected`, the checkpoint tensor's name). */
  readonly name: string;
  /** The checkpoint tensor concerned, when it is known and differs from `name`. */
  readonly tensor?: string;
  readonly message: string;
}

/** The outcome of matching: the weights by nnc name, and every problem found. */
export interface WeightMatch {
  /** Every parameter whose tensor matched cleanly; incomplete whenever `problems` is not empty. */
  readonly weights: Map<string, Float32Array>;
  readonly problems: WeightProblem[];
}

/** Matches a checkpoint to the model's parameters (`params` in declaration order). */
export function matchWeights(
  params: readonly ParamInfo[],
  file: ReadonlyMap<string, SafetensorsTensor>,
  mode: MatchMode,
): WeightMatch {
  const names = new Set(params.map((p) => p.name));
  const tensors = [...file].filter(([name]) => !isIgnoredBuffer(name) && !isOptimizerState(name, names));
  return mode === "name" ? matchByName(params, new Map(tensors)) : matchByOrder(params, tensors);
}

function matchByName(params: readonly ParamInfo[], file: ReadonlyMap<string, SafetensorsTensor>): WeightMatch {
  const weights = new Map<string, Float32Array>();
  const problems: WeightProblem[] = [];
  for (const param of params) {
    const tensor = file.get(param.name);
    if (!tensor) {
      problems.push({ kind: "missing", name: param.name, message: `model parameter \`${param.name}\` ${shapeText(param.shape)} is missing from the checkpoint` });
      continue;
    }
    if (!sameShape(param.shape, tensor.shape)) {
      problems.push({
        kind: "shape",
        name: param.name,
        message: `model parameter \`${param.name}\` has shape ${shapeText(param.shape)}, but the checkpoint's tensor has shape ${shapeText(tensor.shape)}`,
      });
      continue;
    }
    const bad = nonFinite(param.name, undefined, tensor.data);
    if (bad) problems.push(bad);
    else weights.set(param.name, tensor.data);
  }
  const names = new Set(params.map((p) => p.name));
  for (const [name, tensor] of file) {
    if (names.has(name)) continue;
    problems.push({ kind: "unexpected", name, message: `checkpoint tensor \`${name}\` ${shapeText(tensor.shape)} matches no model parameter` });
  }
  return { weights, problems };
}

/**
 * Pairs in order. Once one pair's shapes differ, the lists are out of step and every later pair
 * would differ too, so only the first shape mismatch is reported.
 */
function matchByOrder(params: readonly ParamInfo[], tensors: readonly (readonly [string, SafetensorsTensor])[]): WeightMatch {
  const weights = new Map<string, Float32Array>();
  const problems: WeightProblem[] = [];
  if (params.length !== tensors.length) problems.push(countProblem(params, tensors));
  const pairs = Math.min(params.length, tensors.length);
  for (let i = 0; i < pairs; i++) {
    const param = params[i];
    const [tensorName, tensor] = tensors[i];
    if (!sameShape(param.shape, tensor.shape)) {
      problems.push({
        kind: "shape",
        name: param.name,
        tensor: tensorName,
        message:
          `model parameter \`${param.name}\` ${shapeText(param.shape)} pairs with checkpoint tensor \`${tensorName}\` ${shapeText(tensor.shape)}: ` +
          `the shapes differ (parameter ${i + 1} of ${params.length} in declaration order)`,
      });
      break;
    }
    const bad = nonFinite(param.name, tensorName, tensor.data);
    if (bad) problems.push(bad);
    else weights.set(param.name, tensor.data);
  }
  return { weights, problems };
}

/** Names the first unpaired parameter or tensor, where a user starts looking. */
function countProblem(params: readonly ParamInfo[], tensors: readonly (readonly [string, SafetensorsTensor])[]): WeightProblem {
  const extraParams = params.length > tensors.length;
  const name = extraParams ? params[tensors.length].name : tensors[params.length][0];
  const left = Math.abs(params.length - tensors.length);
  const rest = left === 1 ? "has" : `and ${left - 1} more after it have`;
  const first = extraParams ? `model parameter \`${name}\`` : `checkpoint tensor \`${name}\``;
  return {
    kind: "count",
    name,
    message:
      `the model has ${plural(params.length, "parameter")} but the checkpoint has ${plural(tensors.length, "tensor")} (not counting num_batches_tracked); ` +
      `matching by order, ${first} ${rest} no partner`,
  };
}

function nonFinite(name: string, tensorName: string | undefined, data: Float32Array): WeightProblem | undefined {
  const from = tensorName !== undefined && tensorName !== name ? ` (checkpoint tensor \`${tensorName}\`)` : "";
  const problem = valueProblem(name, data, from);
  if (problem === undefined) return undefined;
  return { kind: problem.kind, name, ...(from ? { tensor: tensorName } : {}), message: problem.message };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}
