/**
 * Backward kernels of weight standardization: the gradient of the standardized weight Ŵ (what
 * the conv or dense layer's backward returned for its weight) carried to the raw weight W, and
 * to the gain of the scaled form. Each output filter k is one group of the normalizers'
 * arithmetic (`normalization-sums.ts`), with `x̂ = (W − μ_k) / σ_k` over its fan_in values:
 *
 * - standard: `Ŵ = x̂` with `σ_k = sqrt(var_k + eps)`;
 * - scaled: `Ŵ = g_k x̂ / sqrt(fan_in)` with `σ_k = sqrt(var_k)`, so `dg_k = Σ dŴ x̂ / sqrt(fan_in)`.
 *   A constant filter (σ = 0) is all zeros in the forward whatever W and g are, so it gets zero
 *   gradients.
 */
import type { BackwardAttributes } from "./attributes.js";
import type { ChannelLayout } from "../moments.js";
import { assertRank, assertShape, sizeOf, type Tensor } from "../tensor.js";
import {
  binMoments,
  channelTotals,
  checkGradient,
  standardizedBackward,
  wantedGradients,
  writeInputGradient,
  type GradientAttributes,
} from "./normalization-sums.js";

/** Attributes of {@link weightStandardizationBackward}: the forward node's epsilon. */
export interface WeightStandardizationGradientAttributes extends GradientAttributes {
  epsilon?: number;
}

/** The weight `[out, ...]` seen as `out` planes of fan_in values. */
function filters(weight: Tensor, op: string): ChannelLayout {
  assertRank(weight, [2, 4], `${op}: weight`);
  return { n: weight.shape[0], c: 1, inner: sizeOf(weight.shape.slice(1)) };
}

/**
 * The gradients of `Ŵ = factor_k · (W − μ_k) · inv_k` per filter: `[dW, Σ dŴ x̂ per filter]` as
 * lazy results, `inv` from each filter's biased variance.
 */
function filterBackward(op: string, dy: Tensor, weight: Tensor, inverse: (variance: number) => number, factor: (filter: number) => number): (() => Tensor)[] {
  const layout = filters(weight, op);
  checkGradient(dy, weight, op);
  const m = binMoments(weight.data, dy.data, layout, true);
  const inv = m.m2.map((squares) => inverse(squares / m.count));
  const filter = (k: number) => k;
  const back = standardizedBackward(m, { mean: m.mean, inv }, filter, factor);
  return [() => writeInputGradient(dy, weight, layout, true, back.coefficients), () => channelTotals(back.dotNormalized, layout.n)];
}

/** `WeightStandardizationGrad`: the raw weight's gradient. */
export function weightStandardizationBackward(dy: Tensor, weight: Tensor, attributes: BackwardAttributes<WeightStandardizationGradientAttributes>): Tensor[] {
  const op = "weightStandardizationBackward";
  const epsilon = attributes.epsilon ?? 1e-5;
  const [dWeight] = filterBackward(
    op,
    dy,
    weight,
    (variance) => 1 / Math.sqrt(variance + epsilon),
    () => 1,
  );
  return wantedGradients(op, attributes.wants, [dWeight]);
}

/** `ScaledWeightStandardizationGrad`: the gradients of the raw weight and of the gain. */
export function scaledWeightStandardizationBackward(dy: Tensor, weight: Tensor, gain: Tensor, attributes: BackwardAttributes<GradientAttributes>): Tensor[] {
  const op = "scaledWeightStandardizationBackward";
  assertShape(gain, [weight.shape[0]], `${op}: gain`);
  const root = Math.sqrt(sizeOf(weight.shape.slice(1)));
  const [dWeight, dotNormalized] = filterBackward(
    op,
    dy,
    weight,
    (variance) => (variance > 0 ? 1 / Math.sqrt(variance) : 0),
    (k) => gain.data[k] / root,
  );
  const dGain = () => {
    const dot = dotNormalized();
    return { shape: dot.shape, data: dot.data.map((v) => v / root) };
  };
  return wantedGradients(op, attributes.wants, [dWeight, dGain]);
}
