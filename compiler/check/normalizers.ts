/**
 * The normalizers of SPEC §3.1. Every per-channel parameter is `[C]` with C read from axis 1;
 * parameters come in the order of the SPEC's table, buffers (`running_*`) marked as such so
 * that learnable counts match PyTorch's `parameters()`.
 *
 * `instance`, `group`, `frn` and `switchable` need rank 4 (their statistics are over H and W;
 * SPEC §3.1 requires it for the first three, and switchable mixes in instance statistics);
 * `batch`, `batch_renorm` and `layer` also take `[N, F]`.
 */
import type { AttrValue, Shape } from "./model.js";
import { perSample } from "./dims.js";
import {
  checkRank,
  fail,
  isFailure,
  perChannel,
  staticDim,
  type ArgSpec,
  type LeafParam,
  type OperatorDef,
  type RuleFailure,
  type RuleResult,
} from "./operator-def.js";

type Attrs = Readonly<Record<string, AttrValue>>;

const EPS = (value: number): ArgSpec => ({
  name: "eps",
  type: "float",
  default: value,
  min: 0,
  minExclusive: true,
  doc: "added to the variance for numerical stability, > 0",
});
const MOMENTUM = (value: number): ArgSpec => ({
  name: "momentum",
  type: "float",
  default: value,
  min: 0,
  max: 1,
  doc: "running statistics update: running = (1 - momentum) * running + momentum * batch, in [0, 1]",
});
const AFFINE: ArgSpec = { name: "affine", type: "bool", default: true, doc: "learn a per-channel scale (weight) and shift (bias)" };

/** Statistics computed per sample at inference cost about five operations per element. */
const STATISTICS_FLOPS = 5;
/** Running statistics fold into a scale and a shift at inference. */
const FOLDED_FLOPS = 2;

/**
 * A normalizer with per-channel parameters: `leaves(attrs)` lists them in order, and `extra`
 * adds a rule beyond rank and a static channel count (group divisibility).
 */
function normalizer(
  name: string,
  doc: string,
  args: readonly ArgSpec[],
  ranks: readonly number[],
  leaves: (attrs: Attrs, c: number) => readonly LeafParam[],
  flopsPerElement: number,
  extra?: (attrs: Attrs, c: number) => RuleFailure | undefined,
): OperatorDef {
  return {
    name,
    doc,
    family: "normalizer",
    inputs: 1,
    args,
    infer: (attrs, [x]: readonly Shape[]): RuleResult | RuleFailure => {
      const rank = checkRank(name, x, ranks);
      if (rank) return rank;
      const c = staticDim(name, x, 1, "channel count");
      if (isFailure(c)) return c;
      const refused = extra?.(attrs, c);
      if (refused) return refused;
      return { shape: x, params: leaves(attrs, c), flops: flopsPerElement * perSample(x) };
    },
  };
}

const affinePair = (attrs: Attrs, c: number): LeafParam[] =>
  attrs.affine === false ? [] : [perChannel("weight", c), perChannel("bias", c)];

/** The normalizers, `none` included. */
export const NORMALIZERS: readonly OperatorDef[] = [
  normalizer(
    "batch",
    "batch normalization over N, H, W per channel, as nn.BatchNorm2d / BatchNorm1d",
    [EPS(1e-5), MOMENTUM(0.1), AFFINE],
    [4, 2],
    (attrs, c) => [...affinePair(attrs, c), perChannel("running_mean", c, true), perChannel("running_var", c, true)],
    FOLDED_FLOPS,
  ),
  normalizer(
    "batch_renorm",
    "batch renormalization (Ioffe 2017): batch statistics corrected by clipped r and d",
    [
      EPS(1e-5),
      MOMENTUM(0.01),
      { name: "rmax", type: "float", default: 3, min: 1, doc: "clip of r = sigma_batch / sigma to [1/rmax, rmax], >= 1" },
      { name: "dmax", type: "float", default: 5, min: 0, doc: "clip of d = (mu_batch - mu) / sigma to [-dmax, dmax], >= 0" },
    ],
    [4, 2],
    (_attrs, c) => [
      perChannel("weight", c),
      perChannel("bias", c),
      perChannel("running_mean", c, true),
      perChannel("running_std", c, true),
    ],
    FOLDED_FLOPS,
  ),
  normalizer(
    "layer",
    "layer normalization over all non-batch dims of a sample, as nn.GroupNorm(1, C) / nn.LayerNorm(F)",
    [EPS(1e-5), AFFINE],
    [4, 2],
    affinePair,
    STATISTICS_FLOPS,
  ),
  normalizer(
    "instance",
    "instance normalization over H, W per sample and channel, as nn.InstanceNorm2d",
    [EPS(1e-5), AFFINE],
    [4],
    affinePair,
    STATISTICS_FLOPS,
  ),
  normalizer(
    "group",
    "group normalization over H, W and the channels of a group, as nn.GroupNorm(groups, C)",
    [{ name: "groups", type: "int", default: 32, min: 1, doc: "number of channel groups; must divide C" }, EPS(1e-5)],
    [4],
    (_attrs, c) => [perChannel("weight", c), perChannel("bias", c)],
    STATISTICS_FLOPS,
    (attrs, c) => {
      const g = attrs.groups as number;
      return c % g === 0 ? undefined : fail("E0204", `group(groups: ${g}) needs channels divisible by ${g}, got ${c}`);
    },
  ),
  normalizer(
    "frn",
    "filter response normalization with a thresholded linear unit (Singh & Krishnan 2019)",
    [EPS(1e-6)],
    [4],
    (_attrs, c) => [perChannel("weight", c), perChannel("bias", c), perChannel("tau", c)],
    STATISTICS_FLOPS,
  ),
  normalizer(
    "switchable",
    "switchable normalization (Luo et al. 2018): a learned mix of instance, layer and batch statistics",
    [EPS(1e-5), MOMENTUM(0.1)],
    [4],
    (_attrs, c) => [
      perChannel("weight", c),
      perChannel("bias", c),
      { leaf: "mean_weight", shape: [3], buffer: false },
      { leaf: "var_weight", shape: [3], buffer: false },
      perChannel("running_mean", c, true),
      perChannel("running_var", c, true),
    ],
    STATISTICS_FLOPS,
  ),
  {
    name: "none",
    doc: "no normalization: the identity",
    family: "normalizer",
    inputs: 1,
    args: [],
    infer: (_attrs, [x]) => ({ shape: x, params: [], flops: 0 }),
  },
];
