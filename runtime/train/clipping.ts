/**
 * Gradient clipping, in place on float32 gradients, as PyTorch and timm compute it.
 *
 * Global norm (`torch.nn.utils.clip_grad_norm_(params, maxNorm)`): the total 2-norm is the norm
 * of the gradients' own 2-norms (as if all were one vector); every gradient is scaled by
 * `maxNorm / (total + 1e-6)` when that is below 1.
 *
 * Adaptive Gradient Clipping (Brock et al. 2021, as timm's `adaptive_clip_grad(params, λ,
 * eps=1e-3)`): for each unit i of a parameter W — along dimension 0 (a conv's output channel, a
 * dense layer's output row) for rank 2 and above, the whole parameter for rank 1 or 0 —
 * `maxNorm_i = λ · max(‖W_i‖, eps)`, and where `‖G_i‖ ≥ maxNorm_i` (timm keeps G_i only where it
 * is strictly below), `G_i ← G_i · maxNorm_i / max(‖G_i‖, 1e-6)`.
 *
 * Norms are summed in double and rounded to float32, where torch reduces in float32; the
 * difference is within float32 rounding. The scale factors round to float32 as torch's tensor
 * arithmetic does.
 */

const f = Math.fround;

/** The 2-norm of `data[start, end)`, rounded to float32. */
function norm(data: Float32Array, start = 0, end = data.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += data[i]! * data[i]!;
  return f(Math.sqrt(sum));
}

/**
 * Scales `gradients` in place so that their total 2-norm is at most `maxNorm`, as
 * `clip_grad_norm_`; returns the total norm before clipping.
 */
export function clipGradientNorm(gradients: readonly Float32Array[], maxNorm: number): number {
  let sum = 0;
  for (const gradient of gradients) sum += norm(gradient) ** 2;
  const total = f(Math.sqrt(sum));
  const scale = f(f(maxNorm) / f(total + f(1e-6)));
  // `!(scale >= 1)` rather than `scale < 1`: a NaN total spreads into the gradients, as in torch.
  if (!(scale >= 1)) {
    for (const gradient of gradients) {
      for (let i = 0; i < gradient.length; i++) gradient[i] = gradient[i]! * scale;
    }
  }
  return total;
}

/**
 * Clips `gradient` in place unit by unit against the parameter `weight` of shape `shape`, as
 * timm's `adaptive_clip_grad` with clip factor `clipFactor` (λ) and `eps`.
 */
export function adaptiveClipGradient(
  weight: Float32Array,
  gradient: Float32Array,
  shape: readonly number[],
  clipFactor: number,
  eps = 1e-3,
): void {
  const units = shape.length >= 2 ? shape[0]! : 1;
  const unitSize = units === 0 ? 0 : weight.length / units;
  const lambda = f(clipFactor);
  const floor = f(eps);
  const least = f(1e-6);
  for (let unit = 0; unit < units; unit++) {
    const start = unit * unitSize;
    const end = start + unitSize;
    const maxNorm = f(Math.max(norm(weight, start, end), floor) * lambda);
    const gradientNorm = norm(gradient, start, end);
    if (gradientNorm < maxNorm) continue;
    const scale = f(maxNorm / Math.max(gradientNorm, least));
    for (let i = start; i < end; i++) gradient[i] = gradient[i]! * scale;
  }
}
