/**
 * GroupNormalization: the channels of `[N, C, H, W]` are split into `groups` runs of C/groups
 * consecutive channels; each (sample, group) is normalised by its mean and biased variance over
 * its channels and H, W, then scaled and shifted per channel. `nn.GroupNorm(groups, C)`, and ONNX
 * `GroupNormalization` from opset 21 (whose earlier opset-18 form had per-group affine).
 */
import { applyScaleShift, channelLayout, channelParameter, runMoments } from "../moments.js";
import { outputTensor, type Tensor } from "../tensor.js";

/** Attributes of {@link groupNormalization}. */
export interface GroupNormalizationAttributes {
  /** Number of channel groups; must divide C (default 32, the `group` layer's). */
  groups?: number;
  /** Added to the variance before the square root (default 1e-5). */
  epsilon?: number;
}

/**
 * Group-normalises `x` `[N, C, H, W]`; `scale` and `bias` are `[C]` (undefined means γ = 1,
 * β = 0). Returns a new tensor, in `out` when a buffer is passed.
 */
export function groupNormalization(
  x: Tensor,
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  attributes: GroupNormalizationAttributes = {},
  out?: Float32Array,
): Tensor {
  const layout = channelLayout(x, [4], "groupNormalization");
  const { n, c, inner } = layout;
  const groups = attributes.groups ?? 32;
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) {
    throw new Error(`groupNormalization: groups ${groups} must divide the ${c} channels`);
  }
  const gamma = channelParameter(scale, c, "groupNormalization: scale");
  const beta = channelParameter(bias, c, "groupNormalization: bias");
  const epsilon = attributes.epsilon ?? 1e-5;
  const perGroup = c / groups;
  // The channels of one group are contiguous in NCHW, so each (sample, group) is one run.
  const group = runMoments(x.data, n * groups, perGroup * inner);
  const a = new Float64Array(n * c);
  const b = new Float64Array(n * c);
  for (let k = 0; k < n * c; k++) {
    const ch = k % c;
    const g = Math.floor(k / perGroup);
    a[k] = (gamma?.[ch] ?? 1) / Math.sqrt(group.variance[g] + epsilon);
    b[k] = (beta?.[ch] ?? 0) - group.mean[g] * a[k];
  }
  const y = outputTensor(x.shape, out, "groupNormalization");
  applyScaleShift(x.data, layout, a, b, true, y.data);
  return y;
}
