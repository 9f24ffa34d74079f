/**
 * What the normalizers share: their `eps`, `momentum` and `affine` arguments, the shape rule
 * (a rank they take, a static channel count, per-channel parameters read from axis 1), and the
 * per-channel constants their ONNX forms broadcast.
 *
 * Parameters come in the order PyTorch lists them; buffers (`running_*`) are marked as such so
 * that learnable counts match PyTorch's `parameters()`.
 */
import type { Keyword } from "./torch-forms.js";
import { perSample } from "./dims.js";
import { channelShape } from "./onnx-shapes.js";
import { checkRank, isFailure, perChannel, staticDim } from "./rules.js";
import type { ArgSpec, Attrs, LayerOperator, LayerReference, LeafParam, OnnxContext, RuleFailure, Shape, TorchForm } from "./types.js";

/** The `eps` argument with its default. */
export const epsArg = (value: number): ArgSpec => ({
  name: "eps",
  type: "float",
  default: value,
  min: 0,
  minExclusive: true,
  doc: "added to the variance for numerical stability, > 0",
});

/** The `momentum` argument with its default. */
export const momentumArg = (value: number): ArgSpec => ({
  name: "momentum",
  type: "float",
  default: value,
  min: 0,
  max: 1,
  doc: "running statistics update: running = (1 - momentum) * running + momentum * batch, in [0, 1]",
});

export const AFFINE_ARG: ArgSpec = { name: "affine", type: "bool", default: true, doc: "learn a per-channel scale (weight) and shift (bias)" };

/** Statistics computed per sample at inference cost about five operations per element. */
export const STATISTICS_FLOPS = 5;
/** Running statistics fold into a scale and a shift at inference. */
export const FOLDED_FLOPS = 2;

/** `weight` and `bias`, or nothing for `affine: false`. */
export const affinePair = (attrs: Attrs, c: number): LeafParam[] =>
  attrs.affine === false ? [] : [perChannel("weight", c), perChannel("bias", c)];

/** What a normalizer's shape rule needs to know. */
export interface NormalizerSpec {
  readonly name: string;
  readonly doc: string;
  readonly args: readonly ArgSpec[];
  /** The ranks it takes. */
  readonly ranks: readonly number[];
  /** Its parameters and buffers, in order, for `c` channels. */
  readonly leaves: (attrs: Attrs, c: number) => readonly LeafParam[];
  readonly flopsPerElement: number;
  /** A rule beyond rank and a static channel count (group divisibility). */
  readonly extra?: (attrs: Attrs, c: number) => RuleFailure | undefined;
  readonly lower: LayerOperator["lower"];
  /** How a generated PyTorch module writes it. */
  readonly torch: TorchForm;
  readonly example?: LayerOperator["example"];
  readonly reference: LayerReference;
}

/** The eps (and momentum) keywords of a normalizer's PyTorch module, omitted where they are `eps`/`momentum`'s PyTorch defaults. */
export function statsKeywords(attrs: Attrs, eps = 1e-5, momentum?: number): Keyword[] {
  const out: Keyword[] = [["eps", attrs.eps, eps, "float"]];
  if (momentum !== undefined) out.push(["momentum", attrs.momentum, momentum, "float"]);
  return out;
}

/** A normalizer layer from its spec. */
export function normalizer(spec: NormalizerSpec): LayerOperator {
  return {
    name: spec.name,
    doc: spec.doc,
    family: "normalizer",
    inputs: 1,
    args: spec.args,
    infer: (attrs, [x]: readonly Shape[]) => {
      const rank = checkRank(spec.name, x, spec.ranks);
      if (rank) return rank;
      const c = staticDim(spec.name, x, 1, "channel count");
      if (isFailure(c)) return c;
      const refused = spec.extra?.(attrs, c);
      if (refused) return refused;
      return { shape: x, params: spec.leaves(attrs, c), flops: spec.flopsPerElement * perSample(x) };
    },
    lower: spec.lower,
    torch: spec.torch,
    example: spec.example,
    reference: spec.reference,
  };
}

/** A per-channel ONNX constant `[C]` computed by `f`, shaped to broadcast against input 0. */
export function channelConstant(e: OnnxContext, suffix: string, channels: number, f: (c: number) => number): string {
  const data = Float32Array.from({ length: channels }, (_, c) => f(c));
  return e.floatConstant(suffix, channelShape(channels, e.shape(0).length), data);
}

/** Input `index` (a `[C]` constant) reshaped to broadcast against input 0. */
export function broadcastParam(e: OnnxContext, index: number, suffix: string): string {
  const t = e.constant(index);
  return channelConstant(e, suffix, t.data.length, (c) => t.data[c]);
}
