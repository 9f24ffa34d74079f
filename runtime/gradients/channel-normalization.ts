/**
 * The backward kernel of `ChannelNormalization`: layer normalization's backward, per pixel. With
 * `x̂ = (x − μ) · inv` over the C channels of one pixel (biased variance, `inv = 1/sqrt(σ² + eps)`)
 * and `y = γ_c · x̂ + β_c`,
 *
 *     dx = inv · (γ_c dy − S1 / C − x̂ · S2 / C),  S1 = Σ_c γ_c dy,  S2 = Σ_c γ_c dy x̂,
 *     dγ_c = Σ dy · x̂,  dβ_c = Σ dy   (over samples and pixels),
 *
 * as autograd takes them through μ and σ². The statistics are recomputed from `x` as the
 * forward kernel computes them.
 */
import type { BackwardAttributes } from "./attributes.js";
import { pixelStatistics } from "../kernels/channel-normalization.js";
import { channelLayout, requiredChannelParameter } from "../moments.js";
import { freshFloats, type Tensor } from "../tensor.js";
import { checkGradient, wantedGradients } from "./normalization-sums.js";
import type { NormalizationGradientAttributes } from "./normalization.js";

/** `ChannelNormalizationGrad`: gradients of x, γ and β (γ, β undefined for `affine: false`). */
export function channelNormalizationBackward(
  dy: Tensor,
  x: Tensor,
  scale: Tensor | undefined,
  _bias: Tensor | undefined,
  attributes: BackwardAttributes<NormalizationGradientAttributes>,
): Tensor[] {
  const op = "channelNormalizationBackward";
  const { n, c, inner } = channelLayout(x, [4], op);
  checkGradient(dy, x, op);
  const gamma = scale === undefined ? undefined : requiredChannelParameter(scale, c, `${op}: scale`);
  const epsilon = attributes.epsilon ?? 1e-6;
  const wantsX = attributes.wants[0] === 1;
  const dx = freshFloats(wantsX ? x.data.length : 0);
  const [dGamma, dBeta] = [new Float64Array(c), new Float64Array(c)];
  const [src, g] = [x.data, dy.data];
  for (let s = 0; s < n; s++) {
    const { mean, inv } = pixelStatistics(src, s, c, inner, epsilon);
    const s1 = new Float64Array(inner);
    const s2 = new Float64Array(inner);
    for (let ch = 0; ch < c; ch++) {
      const plane = (s * c + ch) * inner;
      const gc = gamma?.[ch] ?? 1;
      let dotNormalized = 0;
      let sum = 0;
      for (let p = 0; p < inner; p++) {
        const normalized = (src[plane + p] - mean[p]) * inv[p];
        const grad = g[plane + p];
        dotNormalized += grad * normalized;
        sum += grad;
        s1[p] += gc * grad;
        s2[p] += gc * grad * normalized;
      }
      dGamma[ch] += dotNormalized;
      dBeta[ch] += sum;
    }
    if (!wantsX) continue;
    for (let ch = 0; ch < c; ch++) {
      const plane = (s * c + ch) * inner;
      const gc = gamma?.[ch] ?? 1;
      for (let p = 0; p < inner; p++) {
        const normalized = (src[plane + p] - mean[p]) * inv[p];
        dx[plane + p] = inv[p] * (gc * g[plane + p] - s1[p] / c - (normalized * s2[p]) / c);
      }
    }
  }
  const perChannel = (sums: Float64Array) => () => ({ shape: [c], data: Float32Array.from(sums) });
  return wantedGradients(op, attributes.wants, [() => ({ shape: [...x.shape], data: dx }), perChannel(dGamma), perChannel(dBeta)]);
}
