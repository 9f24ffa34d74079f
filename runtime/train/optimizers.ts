/**
 * The update rules of `torch.optim`'s SGD, Adam and AdamW for one parameter, in float32 with the
 * operation order of PyTorch's single-tensor (for-loop) implementations: each tensor operation
 * of torch's loop rounds to float32 here too (`Math.fround`), and scalar factors are rounded to
 * float32 where torch casts them, so trajectories follow PyTorch's to within float32 rounding.
 *
 * SGD (g the gradient, p the parameter, b the momentum buffer):
 *   g ← g + wd·p;  b ← g at the parameter's first update, else b ← μ·b + (1 − dampening)·g;
 *   g ← g + μ·b (nesterov) or b;  p ← p − lr·g.
 * Adam, at the parameter's k-th update (m, v its moments):
 *   g ← g + wd·p (adam) or p ← p·(1 − lr·wd) (adamw, decoupled);
 *   m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
 *   p ← p − (lr / (1 − β1^k)) · m / (√v / √(1 − β2^k) + eps).
 * The update of a large parameter runs in WebAssembly (`ProductHeap.sgd`, `ProductHeap.adam`),
 * to the same bits.
 */
import { pointwiseHeap } from "../linalg/wasm-products.js";
import type { ResolvedOptimizer } from "./settings.js";

/** The per-parameter tensors an optimizer keeps, by torch's slot names. */
export type OptimizerSlot = "momentum_buffer" | "exp_avg" | "exp_avg_sq";

/** One parameter's optimizer state: how many updates it has had, and its slots. */
export interface ParameterState {
  step: number;
  readonly slots: Readonly<Partial<Record<OptimizerSlot, Float32Array>>>;
}

/** The slots `optimizer` keeps for each parameter: none for SGD without momentum. */
export function optimizerSlots(optimizer: ResolvedOptimizer): readonly OptimizerSlot[] {
  if (optimizer.name !== "sgd") return ["exp_avg", "exp_avg_sq"];
  return optimizer.momentum !== 0 ? ["momentum_buffer"] : [];
}

/**
 * Updates `param` in place from `grad` at learning rate `lr`, advancing `state` (whose slots are
 * {@link optimizerSlots}'s, as long as the parameter).
 */
export function applyOptimizer(
  optimizer: ResolvedOptimizer,
  lr: number,
  param: Float32Array,
  grad: Float32Array,
  state: ParameterState,
): void {
  if (optimizer.name === "sgd") sgd(optimizer, lr, param, grad, state);
  else adam(optimizer, lr, param, grad, state);
  state.step += 1;
}

const f = Math.fround;

function sgd(o: ResolvedOptimizer, lr: number, param: Float32Array, grad: Float32Array, state: ParameterState): void {
  const decay = f(o.weightDecay);
  const momentum = f(o.momentum);
  const keep = f(1 - o.dampening);
  const rate = f(-lr);
  const buffer = state.slots.momentum_buffer;
  const first = state.step === 0;
  const heap = pointwiseHeap(param.length);
  if (heap !== undefined) {
    heap.sgd(param, grad, buffer, { decay, momentum, keep, rate, first, nesterov: o.nesterov });
    return;
  }
  for (let i = 0; i < param.length; i++) {
    let d = grad[i]!;
    if (decay !== 0) d = f(d + decay * param[i]!);
    if (buffer !== undefined) {
      buffer[i] = first ? d : f(buffer[i]! * momentum) + keep * d;
      d = o.nesterov ? f(d + momentum * buffer[i]!) : buffer[i]!;
    }
    param[i] = param[i]! + rate * d;
  }
}

function adam(o: ResolvedOptimizer, lr: number, param: Float32Array, grad: Float32Array, state: ParameterState): void {
  const [beta1, beta2] = o.betas;
  const m = state.slots.exp_avg!;
  const v = state.slots.exp_avg_sq!;
  const k = state.step + 1;
  // torch computes these in double from the Python floats, then casts them where a tensor op takes them.
  const stepSize = f(-(lr / (1 - beta1 ** k)));
  const correction2 = f(Math.sqrt(1 - beta2 ** k));
  const b1 = f(beta1);
  const b2 = f(beta2);
  const c1 = f(1 - beta1);
  const c2 = f(1 - beta2);
  const eps = f(o.eps);
  const decoupled = o.name === "adamw";
  const decay = decoupled ? f(1 - lr * o.weightDecay) : f(o.weightDecay);
  const heap = pointwiseHeap(param.length);
  if (heap !== undefined) {
    heap.adam(param, grad, m, v, { decay, b1, b2, c1, c2, correction2, eps, stepSize, decoupled });
    return;
  }
  for (let i = 0; i < param.length; i++) {
    let g = grad[i]!;
    let p = param[i]!;
    if (decoupled) p = f(p * decay);
    else if (decay !== 0) g = f(g + decay * p);
    m[i] = f(m[i]! * b1) + c1 * g;
    v[i] = f(v[i]! * b2) + f(c2 * g) * g;
    const denominator = f(f(f(Math.sqrt(v[i]!)) / correction2) + eps);
    param[i] = p + f(f(stepSize * m[i]!) / denominator);
  }
}
