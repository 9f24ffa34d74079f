/**
 * The operators that keep the spatial layout: activations, `prelu`, `maxout`, the softmaxes,
 * `dropout`, `standardize`, `add`, `concat` and `identity` (SPEC §3). Channel-wise rules read
 * the channel (or feature) count from axis 1.
 */
import type { AttrValue, Shape } from "./model.js";
import { formatShape, perSample, sameShape, sumDims } from "./dims.js";
import {
  checkBatched,
  fail,
  isFailure,
  staticDim,
  type ArgSpec,
  type OperatorDef,
  type RuleFailure,
  type RuleResult,
} from "./operator-def.js";

type Attrs = Readonly<Record<string, AttrValue>>;

/** An operator that maps each element on its own, costing `cost` FLOPs per element. */
function pointwise(name: string, doc: string, args: readonly ArgSpec[], cost: number, family: OperatorDef["family"] = "activation"): OperatorDef {
  return {
    name,
    doc,
    family,
    inputs: 1,
    args,
    infer: (_attrs, [x]) => checkBatched(name, x) ?? { shape: x, params: [], flops: cost * perSample(x) },
  };
}

function preluInfer(attrs: Attrs, [x]: readonly Shape[]): RuleResult | RuleFailure {
  const rank = checkBatched("prelu", x);
  if (rank) return rank;
  if (attrs.shared) return { shape: x, params: [{ leaf: "weight", shape: [1], buffer: false }], flops: perSample(x) };
  const c = staticDim("prelu", x, 1, "channel count");
  if (isFailure(c)) return c;
  return { shape: x, params: [{ leaf: "weight", shape: [c], buffer: false }], flops: perSample(x) };
}

function maxoutInfer(attrs: Attrs, [x]: readonly Shape[]): RuleResult | RuleFailure {
  const rank = checkBatched("maxout", x);
  if (rank) return rank;
  const c = staticDim("maxout", x, 1, "channel count");
  if (isFailure(c)) return c;
  const pieces = attrs.pieces as number;
  if (c % pieces !== 0) return fail("E0204", `maxout(pieces: ${pieces}) needs channels divisible by ${pieces}, got ${c}`);
  const shape = [x[0], c / pieces, ...x.slice(2)];
  return { shape, params: [], flops: (pieces - 1) * perSample(shape) };
}

function standardizeInfer(attrs: Attrs, [x]: readonly Shape[]): RuleResult | RuleFailure {
  const rank = checkBatched("standardize", x);
  if (rank) return rank;
  const c = staticDim("standardize", x, 1, "channel count");
  if (isFailure(c)) return c;
  for (const name of ["mean", "std"]) {
    const list = attrs[name] as readonly number[];
    if (list.length !== c) return fail("E0208", `standardize ${name} has ${list.length} values but the input has ${c} channels`, name);
  }
  return { shape: x, params: [], flops: 2 * perSample(x) };
}

function addInfer(_attrs: Attrs, [a, b]: readonly Shape[]): RuleResult | RuleFailure {
  if (!sameShape(a, b)) return fail("E0202", `add needs operands of equal shape, got ${formatShape(a)} and ${formatShape(b)}`);
  return { shape: a, params: [], flops: perSample(a) };
}

function concatInfer(attrs: Attrs, shapes: readonly Shape[]): RuleResult | RuleFailure {
  const first = shapes[0];
  const rank = first.length;
  const axis = attrs.axis as number;
  const at = axis < 0 ? axis + rank : axis;
  if (at < 1 || at >= rank) {
    return fail("E0203", `concat axis ${axis} is out of range for rank ${rank} (the batch axis 0 cannot be concatenated)`, "axis");
  }
  for (let i = 1; i < shapes.length; i++) {
    const s = shapes[i];
    const differs = s.length !== rank || s.some((d, j) => j !== at && d !== first[j]);
    if (differs) {
      return fail("E0203", `concat along axis ${at} needs every other dimension equal, got ${formatShape(first)} and ${formatShape(s)}`);
    }
  }
  const shape = first.map((d, j) => (j === at ? sumDims(shapes.map((s) => s[j])) : d));
  return { shape, params: [], flops: 0, derived: { axis: at } };
}

const ALPHA = (value: number, doc: string): ArgSpec => ({ name: "alpha", type: "float", default: value, doc });

/** Activations and the other layers that keep the layout. */
export const ELEMENTWISE_OPERATORS: readonly OperatorDef[] = [
  pointwise("relu", "max(x, 0)", [], 1),
  pointwise("sigmoid", "1 / (1 + exp(-x))", [], 1),
  pointwise("tanh", "hyperbolic tangent", [], 1),
  pointwise("gelu", "x * Phi(x), the exact (erf) form", [], 1),
  pointwise("silu", "x * sigmoid(x) (swish)", [], 1),
  pointwise("leaky_relu", "x if x > 0 else alpha * x, as nn.LeakyReLU", [ALPHA(0.01, "slope for negative inputs")], 1),
  pointwise("elu", "x if x > 0 else alpha * (exp(x) - 1), as nn.ELU", [ALPHA(1.0, "scale of the negative part")], 1),
  {
    name: "prelu",
    doc: "leaky ReLU with a learned slope per channel (or one shared), as nn.PReLU; init 0.25",
    family: "activation",
    inputs: 1,
    args: [{ name: "shared", type: "bool", default: false, doc: "one slope for all channels instead of one per channel" }],
    infer: preluInfer,
  },
  {
    name: "maxout",
    doc: "output channel c is the max of input channels c*pieces ... c*pieces+pieces-1",
    family: "activation",
    inputs: 1,
    args: [{ name: "pieces", type: "int", default: 2, min: 1, doc: "input channels per output channel" }],
    infer: maxoutInfer,
  },
  pointwise("softmax", "softmax over axis 1", [], 3),
  pointwise("log_softmax", "log of softmax over axis 1", [], 3),
  pointwise(
    "dropout",
    "inverted dropout in training (scale 1/(1-p)); identity at inference",
    [{ name: "p", type: "float", default: 0.5, min: 0, max: 1, maxExclusive: true, doc: "probability of zeroing an element, in [0, 1)" }],
    0,
    "structure",
  ),
  {
    name: "standardize",
    doc: "fixed per-channel input normalization (x - mean) / std",
    family: "normalizer",
    inputs: 1,
    args: [
      { name: "mean", type: "floats", doc: "one mean per channel" },
      { name: "std", type: "floats", min: 0, minExclusive: true, doc: "one standard deviation per channel, each > 0" },
    ],
    infer: standardizeInfer,
  },
  {
    name: "add",
    doc: "element-wise sum of two tensors of equal shape (also written a + b)",
    family: "structure",
    inputs: 2,
    args: [],
    infer: addInfer,
  },
  {
    name: "concat",
    doc: "concatenation of tensors along an axis, as torch.cat",
    family: "structure",
    inputs: "many",
    args: [{ name: "axis", type: "int", default: 1, doc: "the axis to join along (1 = channels)" }],
    infer: concatInfer,
  },
  pointwise("identity", "returns its input", [], 0, "structure"),
];
