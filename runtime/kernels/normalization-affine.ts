/**
 * The per-channel affine `y = x·s + t` of an inference batch normalization or batch
 * renormalization, from its parameters and running statistics:
 *
 *   s = γ / σ,  t = β − μ·s,  where σ = sqrt(running_var + ε) (batch normalization)
 *                                   or σ = running_std (batch renormalization, no ε),
 *
 * in double precision, as `batchNormalization` and `batchRenorm` compute it, rounded once to
 * float32. The inference passes compute it at load time: `normalization-to-affine` writes the
 * affine as `Mul` and `Add` over these two tensors, and where it folds into the conv or dense
 * layer before it, `foldAffine` (fold-affine.ts) computes the folded weight and bias directly.
 */
import { type Tensor } from "../tensor.js";

/** Attributes of {@link normalizationAffine} and `foldAffine`. */
export interface AffineAttributes {
  /** Present: `spread` is the running variance and σ = sqrt(spread + ε). Absent: `spread` is σ. */
  epsilon?: number;
}

/** Attributes of {@link normalizationAffine}. */
export interface NormalizationAffineAttributes extends AffineAttributes {
  /** The rank of the normalized input, which `s` and `t` broadcast against as `[1, C, 1, ...]` (default 4). */
  rank?: number;
}

/** A per-channel affine in double precision. */
export interface ChannelAffine {
  readonly scale: Float64Array;
  readonly shift: Float64Array;
}

/**
 * `s` and `t` for `channels` channels. `mean` and `spread` undefined mean no statistics (μ = 0,
 * σ = 1): the affine is `scale`, `shift` as given. Every tensor holds one value per channel,
 * whatever its shape (`[C]`, or `[1, C, 1, 1]` for an affine already shaped to broadcast).
 */
export function channelAffine(
  channels: number,
  scale: Tensor | undefined,
  shift: Tensor | undefined,
  mean: Tensor | undefined,
  spread: Tensor | undefined,
  attributes: AffineAttributes,
  op: string,
): ChannelAffine {
  const values = (t: Tensor | undefined, what: string): Float32Array | undefined => {
    if (t !== undefined && t.data.length !== channels) throw new Error(`${op}: ${what} needs ${channels} values, got shape [${t.shape.join(", ")}]`);
    return t?.data;
  };
  const gamma = values(scale, "scale");
  const beta = values(shift, "shift");
  const mu = values(mean, "mean");
  const sigma = values(spread, "spread");
  const epsilon = attributes.epsilon;
  const result = { scale: new Float64Array(channels), shift: new Float64Array(channels) };
  for (let c = 0; c < channels; c++) {
    const deviation = sigma === undefined ? 1 : epsilon === undefined ? sigma[c] : Math.sqrt(sigma[c] + epsilon);
    result.scale[c] = (gamma?.[c] ?? 1) / deviation;
    result.shift[c] = (beta?.[c] ?? 0) - (mu?.[c] ?? 0) * result.scale[c];
  }
  return result;
}

/**
 * `[s, t]` of a normalization with parameters `scale` (γ) and `bias` (β, both undefined for
 * `affine: false`) and running statistics `runningMean` and `spread` (the running variance with
 * `epsilon`, the running standard deviation without), each `[1, C, 1, ...]` of `rank` dimensions.
 */
export function normalizationAffine(
  scale: Tensor | undefined,
  bias: Tensor | undefined,
  runningMean: Tensor,
  spread: Tensor,
  attributes: NormalizationAffineAttributes = {},
): [scale: Tensor, shift: Tensor] {
  const channels = runningMean.data.length;
  const affine = channelAffine(channels, scale, bias, runningMean, spread, attributes, "normalizationAffine");
  const shape = Array.from({ length: attributes.rank ?? 4 }, (_, axis) => (axis === 1 ? channels : 1));
  return [
    { shape: [...shape], data: Float32Array.from(affine.scale) },
    { shape, data: Float32Array.from(affine.shift) },
  ];
}
