/**
 * Folds a per-channel affine `y·s + t` that follows a conv or dense layer into that layer's
 * weight and bias, so that the layer alone computes it:
 *
 *   W' = W·s   (s[k] scales output filter k, axis 0 of W: a conv's `[M, C/g, kh, kw]`, a dense
 *               layer's `[M, F]`)
 *   b' = b·s + t   (t when the layer has no bias)
 *
 * The affine comes as a normalization's parameters and running statistics (`s = γ/σ`,
 * `t = β − μ·s`; see normalization-affine.ts), or, without statistics, as `s` and `t` themselves.
 * Everything is computed in double precision and rounded once to float32. The compiler's
 * `fold-affine-into-conv` pass calls it once per folded layer, at load time.
 */
import { assertRank, type Tensor } from "../tensor.js";
import { channelAffine, type AffineAttributes } from "./normalization-affine.js";

/**
 * `[W', b']` for the layer's `weight` and `bias` (undefined when it has none) and the affine
 * `scale`, `shift` with, for a normalization, its `mean` and `spread` (see {@link AffineAttributes}).
 */
export function foldAffine(
  weight: Tensor,
  bias: Tensor | undefined,
  scale: Tensor | undefined,
  shift: Tensor | undefined,
  mean: Tensor | undefined,
  spread: Tensor | undefined,
  attributes: AffineAttributes = {},
): [weight: Tensor, bias: Tensor] {
  assertRank(weight, [2, 4], "foldAffine: weight");
  const filters = weight.shape[0];
  const affine = channelAffine(filters, scale, shift, mean, spread, attributes, "foldAffine");
  if (bias !== undefined && bias.data.length !== filters) throw new Error(`foldAffine: bias needs ${filters} values, got shape [${bias.shape.join(", ")}]`);
  const perFilter = weight.data.length / filters;
  const folded = new Float32Array(weight.data.length);
  for (let k = 0; k < filters; k++) {
    for (let i = k * perFilter; i < (k + 1) * perFilter; i++) folded[i] = weight.data[i] * affine.scale[k];
  }
  const foldedBias = Float32Array.from({ length: filters }, (_, k) => (bias?.data[k] ?? 0) * affine.scale[k] + affine.shift[k]);
  return [
    { shape: [...weight.shape], data: folded },
    { shape: [filters], data: foldedBias },
  ];
}
