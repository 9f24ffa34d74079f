/**
 * Initial weights for `nnc init` and for compiling without `--weights` (docs/codegen.md, "Weights"),
 * following PyTorch's default initialization of each module:
 *
 * - `conv` and `dense` weights: `kaiming_uniform_(a=√5)`, which is U(−b, b) with
 *   b = gain·√(3/fan_in) = √(1/3)·√(3/fan_in) = 1/√fan_in, where fan_in = in/groups × kh × kw
 *   (or in for dense), read off the weight's shape `[out, fan_in...]`;
 * - their biases: U(−1/√fan_in, 1/√fan_in) with the weight's fan_in; scaled-WS gains: 1;
 * - normalizers: weight 1, bias 0, running_mean 0, running_var and running_std 1, FRN tau 0,
 *   switchable mean_weight and var_weight 1 (docs/operators.md lists each layer's);
 * - `prelu` weight: 0.25;
 * - `scale` weight: its `init` argument (`torch.full`).
 *
 * Random values come from `Random`, one stream per parameter keyed by seed and name: they are
 * reproducible by seed, but not PyTorch's stream (see random.ts).
 */
import type { CheckedModel, LayerInstance, ParamInfo } from "../check/model.js";
import { Random, streamKey } from "./random.js";
import { LAYERS } from "../../runtime/ops/index.js";
import { writeSafetensors } from "../../runtime/weights/safetensors.js";
import { WeightsError } from "../../runtime/weights/weights-error.js";

/** The constant initial value of each normalizer leaf, as PyTorch's modules start them. */
const NORMALIZER_VALUES: Readonly<Record<string, number>> = {
  weight: 1,
  bias: 0,
  running_mean: 0,
  running_var: 1,
  running_std: 1,
  tau: 0,
  mean_weight: 1,
  var_weight: 1,
};

/** PyTorch's `nn.PReLU` default. */
const PRELU_INIT = 0.25;

/**
 * Initial values of every parameter and buffer of `model`, by name, in declaration order.
 * `seed` is a non-negative integer; equal seeds give equal values.
 */
export function initialWeights(model: CheckedModel, seed: number): Map<string, Float32Array> {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new WeightsError(`the seed must be a non-negative integer, got ${seed}`);
  const owners = new Map<string, LayerInstance>();
  for (const layer of model.layers) for (const p of layer.params) owners.set(p.name, layer);
  const weights = new Map<string, Float32Array>();
  for (const param of model.params) {
    const layer = owners.get(param.name);
    if (!layer) throw new WeightsError(`cannot initialize \`${param.name}\`: no layer of the model declares it`, param.name);
    weights.set(param.name, initialValue(layer, param, seed));
  }
  return weights;
}

/**
 * The bytes of the safetensors file `nnc init` writes: `initialWeights` in declaration order,
 * with the model's name and the seed in the metadata (and the `order` key the writer adds).
 */
export function initialWeightsFile(model: CheckedModel, seed: number): Uint8Array {
  const weights = initialWeights(model, seed);
  const tensors = model.params.map((p) => ({ name: p.name, shape: p.shape, data: weights.get(p.name)! }));
  return writeSafetensors(tensors, { generator: "nnc init", model: model.name, seed: String(seed) });
}

function initialValue(layer: LayerInstance, param: ParamInfo, seed: number): Float32Array {
  const leaf = param.name.slice(param.name.lastIndexOf(".") + 1);
  const size = param.shape.reduce((a, b) => a * b, 1);
  if (layer.kind === "conv" || layer.kind === "dense") {
    if (leaf === "gain") return new Float32Array(size).fill(1);
    if (leaf === "weight" || leaf === "bias") return uniform(size, bound(fanIn(layer)), new Random(streamKey(seed, param.name)));
  }
  if (layer.kind === "prelu" && leaf === "weight") return new Float32Array(size).fill(PRELU_INIT);
  if (layer.kind === "scale" && leaf === "weight") return new Float32Array(size).fill(Number(layer.attrs.init));
  if (LAYERS.get(layer.kind)?.family === "normalizer" && Object.hasOwn(NORMALIZER_VALUES, leaf)) return new Float32Array(size).fill(NORMALIZER_VALUES[leaf]);
  throw new WeightsError(`cannot initialize \`${param.name}\`: no initial value is defined for \`${leaf}\` of a ${layer.kind} layer`, param.name);
}

/** in/groups × kh × kw for conv, in for dense: every dimension of the weight after the first. */
function fanIn(layer: LayerInstance): number {
  const weight = layer.params.find((p) => p.name.endsWith(".weight"));
  if (!weight) throw new WeightsError(`cannot initialize layer \`${layer.path}\`: a ${layer.kind} layer without a weight has no fan_in`);
  return weight.shape.slice(1).reduce((a, b) => a * b, 1);
}

/** 1/√fan_in; PyTorch uses 0 when fan_in is 0 rather than dividing by zero. */
function bound(fanIn: number): number {
  return fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
}

/** U(−b, b) samples. */
function uniform(size: number, b: number, random: Random): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (2 * random.nextUnit() - 1) * b;
  return out;
}
