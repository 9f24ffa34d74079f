/**
 * Backward kernels of the normalizers in training mode. Each takes the output's gradient `dy`, then
 * the forward node's inputs (`x`, `scale`, `bias`, …), then the node's attributes with `wants`, and
 * returns the gradients of the wanted inputs in input order (see `runtime/ops/gradient.ts`). The
 * statistics are recomputed from `x`: one pass gathers the sums, a second writes `dx`
 * (`normalization-sums.ts`). Running statistics get no gradient.
 *
 * - Batch, instance, layer and group normalization: `x̂ = (x − μ) / sqrt(σ² + eps)` over their
 *   groups (biased variance), `y = γ x̂ + β`, gradients through μ and σ² as autograd takes them.
 * - Batch renormalization: r and d are constants, so `y = γ r x̂ + γ d + β` with batch statistics.
 * - Switchable: through the softmax-mixed means and variances into both mixing logits.
 * - FRN: through `ν² = mean(x²)`; at a tie of the threshold max the gradient is halved between
 *   the two sides, as `torch.maximum` sends it.
 */
import type { BackwardAttributes } from "./attributes.js";
import { channelLayout, requiredChannelParameter, type ChannelLayout } from "../moments.js";
import { freshFloats, type Tensor } from "../tensor.js";
import {
  binMoments,
  channelTotals,
  checkGradient,
  inverseStd,
  newCoefficients,
  pooledMoments,
  standardizedBackward,
  wantedGradients,
  writeInputGradient,
  type GradientAttributes,
} from "./normalization-sums.js";

/** Attributes of the backward kernels of normalizers with an epsilon. */
export interface NormalizationGradientAttributes extends GradientAttributes {
  epsilon?: number;
}

/** Attributes of {@link batchRenormBackward}: the forward node's. */
export interface BatchRenormGradientAttributes extends NormalizationGradientAttributes {
  rmax?: number;
  dmax?: number;
}

/** Attributes of {@link groupNormalizationBackward}: the forward node's `num_groups`. */
export interface GroupNormalizationGradientAttributes extends NormalizationGradientAttributes {
  num_groups?: number;
}

/** The scale γ, or ones when the forward had none. */
function scaleOf(scale: Tensor | undefined, c: number, op: string): ArrayLike<number> {
  return scale === undefined ? new Float64Array(c).fill(1) : requiredChannelParameter(scale, c, `${op}: scale`);
}

/** How a normalizer groups its statistics: bins per (sample, channel) plane or per channel, `run` consecutive bins a group. */
interface Grouping {
  readonly perSample: boolean;
  readonly run: number;
}

/**
 * The wanted gradients of `y = γ_c · x̂ + β_c` normalized over the groups `grouping` makes of
 * `x`'s layout: of x, γ and β.
 */
function groupedBackward(
  op: string,
  ranks: readonly number[],
  [dy, x, scale]: readonly [Tensor, Tensor, Tensor | undefined],
  attributes: BackwardAttributes<NormalizationGradientAttributes>,
  grouping: (layout: ChannelLayout) => Grouping,
): Tensor[] {
  const layout = channelLayout(x, ranks, op);
  checkGradient(dy, x, op);
  const { perSample, run } = grouping(layout);
  const gamma = scaleOf(scale, layout.c, op);
  const m = binMoments(x.data, dy.data, layout, perSample);
  const groupOf = (k: number) => Math.floor(k / run);
  const moments = pooledMoments(m, m.mean.length / run, groupOf);
  const inv = inverseStd(moments.variance, attributes.epsilon ?? 1e-5);
  const back = standardizedBackward(m, { mean: moments.mean, inv }, groupOf, (k) => gamma[k % layout.c]);
  return wantedGradients(op, attributes.wants, [
    () => writeInputGradient(dy, x, layout, perSample, back.coefficients),
    () => channelTotals(back.dotNormalized, layout.c),
    () => channelTotals(m.dy, layout.c),
  ]);
}

type Bias = Tensor | undefined;

/** `BatchNormalizationGrad`: gradients of x, γ, β through the batch mean and biased variance. */
export function batchNormalizationBackward(
  dy: Tensor,
  x: Tensor,
  scale: Tensor | undefined,
  _bias: Bias,
  _mean: Tensor,
  _var: Tensor,
  attributes: BackwardAttributes<NormalizationGradientAttributes>,
): Tensor[] {
  return groupedBackward("batchNormalizationBackward", [2, 4], [dy, x, scale], attributes, () => ({ perSample: false, run: 1 }));
}

/** `InstanceNormalizationGrad`: statistics per (sample, channel) plane. */
export function instanceNormalizationBackward(
  dy: Tensor,
  x: Tensor,
  scale: Tensor | undefined,
  _bias: Bias,
  attributes: BackwardAttributes<NormalizationGradientAttributes>,
): Tensor[] {
  return groupedBackward("instanceNormalizationBackward", [4], [dy, x, scale], attributes, () => ({ perSample: true, run: 1 }));
}

/** `LayerNormalizationGrad` (`[N, F]`, statistics over F): one group per sample. */
export function layerNormalizationBackward(
  dy: Tensor,
  x: Tensor,
  scale: Tensor | undefined,
  _bias: Bias,
  attributes: BackwardAttributes<NormalizationGradientAttributes>,
): Tensor[] {
  return groupedBackward("layerNormalizationBackward", [2, 4], [dy, x, scale], attributes, ({ c }) => ({ perSample: true, run: c }));
}

/** `GroupNormalizationGrad`: statistics per (sample, group of C / num_groups channels). */
export function groupNormalizationBackward(
  dy: Tensor,
  x: Tensor,
  scale: Tensor | undefined,
  _bias: Bias,
  attributes: BackwardAttributes<GroupNormalizationGradientAttributes>,
): Tensor[] {
  const op = "groupNormalizationBackward";
  const groups = attributes.num_groups ?? 32;
  return groupedBackward(op, [4], [dy, x, scale], attributes, ({ c }) => {
    if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) throw new Error(`${op}: groups ${groups} must divide the ${c} channels`);
    return { perSample: true, run: c / groups };
  });
}

/**
 * `BatchRenormalizationGrad`: `y = γ (x̂ · r + d) + β` with r and d constants, computed from the
 * batch statistics and the running mean and standard deviation the forward read.
 */
export function batchRenormBackward(
  dy: Tensor,
  x: Tensor,
  scale: Tensor | undefined,
  _bias: Tensor | undefined,
  runningMean: Tensor,
  runningStd: Tensor,
  attributes: BackwardAttributes<BatchRenormGradientAttributes>,
): Tensor[] {
  const op = "batchRenormBackward";
  const layout = channelLayout(x, [2, 4], op);
  checkGradient(dy, x, op);
  const c = layout.c;
  const gamma = scaleOf(scale, c, op);
  const mu = requiredChannelParameter(runningMean, c, `${op}: running_mean`);
  const sigma = requiredChannelParameter(runningStd, c, `${op}: running_std`);
  const [rmax, dmax] = [attributes.rmax ?? 3, attributes.dmax ?? 5];
  const m = binMoments(x.data, dy.data, layout, false);
  const inv = new Float64Array(c);
  const r = new Float64Array(c);
  const d = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const sigmaB = Math.sqrt(m.m2[ch] / m.count + (attributes.epsilon ?? 1e-5));
    inv[ch] = 1 / sigmaB;
    r[ch] = clip(sigmaB / sigma[ch], 1 / rmax, rmax);
    d[ch] = clip((m.mean[ch] - mu[ch]) / sigma[ch], -dmax, dmax);
  }
  const channel = (k: number) => k;
  const back = standardizedBackward(m, { mean: m.mean, inv }, channel, (k) => gamma[k] * r[k]);
  return wantedGradients(op, attributes.wants, [
    () => writeInputGradient(dy, x, layout, false, back.coefficients),
    () =>
      channelTotals(
        Array.from(back.dotNormalized, (dot, ch) => r[ch] * dot + d[ch] * m.dy[ch]),
        c,
      ),
    () => channelTotals(m.dy, c),
  ]);
}

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * `FilterResponseNormalizationGrad`: `v = γ x · inv + β` with `inv = (mean(x²) + eps)^(-1/2)` per
 * plane, `y = max(v, τ)`. The gradient reaching v is `dy` where `v > τ`, `dy / 2` at a tie, and
 * the rest goes to τ. Per plane: the sum of squares, then `dv` (kept in `dx`) and its sums, then
 * `dx = γ inv dv − γ inv³ x Σ(dv x) / S`.
 */
export function filterResponseNormalizationBackward(
  dy: Tensor,
  x: Tensor,
  scale: Tensor,
  bias: Tensor,
  tau: Tensor,
  attributes: BackwardAttributes<NormalizationGradientAttributes>,
): Tensor[] {
  const op = "filterResponseNormalizationBackward";
  const { n, c, inner } = channelLayout(x, [2, 4], op);
  checkGradient(dy, x, op);
  const gamma = requiredChannelParameter(scale, c, `${op}: scale`);
  const beta = requiredChannelParameter(bias, c, `${op}: bias`);
  const threshold = requiredChannelParameter(tau, c, `${op}: tau`);
  const epsilon = attributes.epsilon ?? 1e-6;
  const wantsX = attributes.wants[0] === 1;
  const dx = freshFloats(wantsX ? x.data.length : 0);
  const [dGamma, dBeta, dTau] = [new Float64Array(c), new Float64Array(c), new Float64Array(c)];
  const src = x.data;
  const g = dy.data;
  for (let plane = 0; plane < n * c; plane++) {
    const ch = plane % c;
    const start = plane * inner;
    const end = start + inner;
    let squares = 0;
    for (let i = start; i < end; i++) squares += src[i] * src[i];
    // The same arithmetic as the forward kernel, so that v meets τ exactly where the forward's did.
    const inv = 1 / Math.sqrt(squares / inner + epsilon);
    const a = gamma[ch] / Math.sqrt(squares / inner + epsilon);
    const [b, t] = [beta[ch], threshold[ch]];
    let sumDv = 0;
    let dotDvX = 0;
    let toTau = 0;
    for (let i = start; i < end; i++) {
      const v = src[i] * a + b;
      const dv = v > t ? g[i] : v < t ? 0 : 0.5 * g[i];
      toTau += g[i] - dv;
      sumDv += dv;
      dotDvX += dv * src[i];
      if (wantsX) dx[i] = dv;
    }
    dGamma[ch] += inv * dotDvX;
    dBeta[ch] += sumDv;
    dTau[ch] += toTau;
    if (wantsX) {
      const back = (gamma[ch] * inv * inv * inv * dotDvX) / inner;
      for (let i = start; i < end; i++) dx[i] = a * dx[i] - back * src[i];
    }
  }
  const perChannel = (sums: Float64Array) => () => channelTotals(sums, c);
  return wantedGradients(op, attributes.wants, [() => ({ shape: [...x.shape], data: dx }), perChannel(dGamma), perChannel(dBeta), perChannel(dTau)]);
}

/** The softmax of a `[3]` logit tensor, in double. */
function softmax3(logits: Tensor, what: string): number[] {
  if (logits.data.length !== 3) throw new Error(`${what}: expected 3 mixing logits, got ${logits.data.length}`);
  const top = Math.max(...logits.data);
  const e = Array.from(logits.data, (l) => Math.exp(l - top));
  const sum = e[0] + e[1] + e[2];
  return e.map((v) => v / sum);
}

/** The logits' gradient of `w = softmax(logits)` given the gradient `dw` of w. */
function softmaxBackward(w: readonly number[], dw: readonly number[]): Tensor {
  const dot = w[0] * dw[0] + w[1] * dw[1] + w[2] * dw[2];
  return { shape: [3], data: Float32Array.from(w, (wi, i) => wi * (dw[i] - dot)) };
}

/**
 * `SwitchableNormalizationGrad`: `μ = Σ wm_j μ_j`, `σ² = Σ wv_j σ²_j` over (IN, LN, BN), all
 * biased, `y = γ (x − μ) / sqrt(σ² + eps) + β`. Per plane k the gradients of μ_k and σ²_k are
 * `−γ inv Σdy` and `−½ γ inv³ Σ dy (x − μ)`; each statistic sends them back to its values
 * (`1/count` for a mean, `2 (x − mean)/count` for a variance) weighted by its mixing weight, and
 * `Σ_k dμ_k μ_j(k)`, `Σ_k dσ²_k σ²_j(k)` are the gradients of the mixing weights.
 */
export function switchableNormalizationBackward(
  dy: Tensor,
  x: Tensor,
  scale: Tensor,
  _bias: Tensor,
  meanWeight: Tensor,
  varWeight: Tensor,
  _runningMean: Tensor,
  _runningVar: Tensor,
  attributes: BackwardAttributes<NormalizationGradientAttributes>,
): Tensor[] {
  const op = "switchableNormalizationBackward";
  const layout = channelLayout(x, [2, 4], op);
  checkGradient(dy, x, op);
  const { n, c, inner } = layout;
  const gamma = requiredChannelParameter(scale, c, `${op}: scale`);
  const wm = softmax3(meanWeight, `${op}: mean_weight`);
  const wv = softmax3(varWeight, `${op}: var_weight`);
  const epsilon = attributes.epsilon ?? 1e-5;
  const instance = binMoments(x.data, dy.data, layout, true);
  const layer = pooledMoments(instance, n, (k) => Math.floor(k / c));
  const batch = pooledMoments(instance, c, (k) => k % c);
  // Per plane: the inverse standard deviation and the gradients of the mixed mean and variance;
  // per sample and per channel, the sums of those gradients.
  const invs = new Float64Array(n * c);
  const dMean = new Float64Array(n * c);
  const dVar = new Float64Array(n * c);
  const [dLayerMean, dLayerVar, dBatchMean, dBatchVar] = [n, n, c, c].map((size) => new Float64Array(size));
  const dGamma = new Float64Array(c);
  const [dwm, dwv] = [
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (let k = 0; k < n * c; k++) {
    const [s, ch] = [Math.floor(k / c), k % c];
    const means = [instance.mean[k], layer.mean[s], batch.mean[ch]];
    const variances = [instance.m2[k] / inner, layer.variance[s], batch.variance[ch]];
    const mu = wm[0] * means[0] + wm[1] * means[1] + wm[2] * means[2];
    const inv = 1 / Math.sqrt(wv[0] * variances[0] + wv[1] * variances[1] + wv[2] * variances[2] + epsilon);
    invs[k] = inv;
    const centred = instance.dyc[k] + (instance.mean[k] - mu) * instance.dy[k];
    dGamma[ch] += inv * centred;
    dMean[k] = -gamma[ch] * inv * instance.dy[k];
    dVar[k] = -0.5 * gamma[ch] * inv * inv * inv * centred;
    dLayerMean[s] += dMean[k];
    dLayerVar[s] += dVar[k];
    dBatchMean[ch] += dMean[k];
    dBatchVar[ch] += dVar[k];
    for (let j = 0; j < 3; j++) {
      dwm[j] += dMean[k] * means[j];
      dwv[j] += dVar[k] * variances[j];
    }
  }
  const inputGradient = () => {
    const coefficients = newCoefficients(n * c);
    const [perLayer, perBatch] = [c * inner, n * inner];
    for (let k = 0; k < n * c; k++) {
      const [s, ch] = [Math.floor(k / c), k % c];
      // dx = γ inv dy + Σ_j (wm_j dμ_j / count_j + 2 wv_j dσ²_j (x − mean_j) / count_j).
      const slopes = [(2 * wv[0] * dVar[k]) / inner, (2 * wv[1] * dLayerVar[s]) / perLayer, (2 * wv[2] * dBatchVar[ch]) / perBatch];
      coefficients.a[k] = gamma[ch] * invs[k];
      coefficients.b[k] = slopes[0] + slopes[1] + slopes[2];
      coefficients.c[k] =
        (wm[0] * dMean[k]) / inner +
        (wm[1] * dLayerMean[s]) / perLayer +
        (wm[2] * dBatchMean[ch]) / perBatch -
        slopes[0] * instance.mean[k] -
        slopes[1] * layer.mean[s] -
        slopes[2] * batch.mean[ch];
    }
    return writeInputGradient(dy, x, layout, true, coefficients);
  };
  return wantedGradients(op, attributes.wants, [
    inputGradient,
    () => channelTotals(dGamma, c),
    () => channelTotals(instance.dy, c),
    () => softmaxBackward(wm, dwm),
    () => softmaxBackward(wv, dwv),
  ]);
}
