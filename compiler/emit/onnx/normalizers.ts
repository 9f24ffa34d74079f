/**
 * The normalizers of SPEC §3.1 in standard ONNX operators, inference form. Per-channel
 * constants that a decomposition needs (`[C, 1, 1]` broadcasts, softmaxed mixing weights) are
 * computed here, in float64, and written as initializers named after the layer.
 *
 * - `BatchNormalization` stays (with `--no-fuse`); ONNX's momentum is 1 − PyTorch's.
 * - Batch renormalization at inference is the affine `x·s + t`, `s = γ/σ`, `t = β − μ·s`.
 * - `InstanceNormalization` and `LayerNormalization` (rank 2, axis −1) are native at opset 17.
 * - Group norm (and `layer` on images, one group) is native `GroupNormalization` at opset 21,
 *   whose affine is per channel. Opset 18's GroupNormalization has a per-group affine and is
 *   deprecated, so below 21 it is Reshape `[N, G, −1]` → InstanceNormalization (γ = 1, β = 0)
 *   → Reshape back → Mul γ → Add β, as PyTorch exports it.
 * - FRN + TLU: `max(γ · x / sqrt(mean_{H,W}(x²) + eps) + β, τ)` from Mul, ReduceMean, Add, Sqrt,
 *   Div, Mul, Add, Max.
 * - Switchable: the instance and layer statistics from reductions, the batch statistics and the
 *   softmaxed weights as constants, mixed with Mul and Add, then `y = x·a + b` with
 *   `a = γ / sqrt(σ² + eps)` and `b = β − μ·a` computed per sample and channel.
 */
import type { Tensor } from "../../../runtime/index.js";
import { NodeEmitter, OnnxEmitError } from "./node-emitter.js";
import { channelShape, isExpressible, reshapeTarget } from "./shapes.js";

/** The IR normalizers this module emits. */
export const NORMALIZERS = new Set([
  "BatchNormalization",
  "BatchRenormalization",
  "InstanceNormalization",
  "LayerNormalization",
  "GroupNormalization",
  "FilterResponseNormalization",
  "SwitchableNormalization",
]);

/** Emits the normalizer node of `e`. */
export function emitNormalizer(e: NodeEmitter): void {
  const epsilon = { float: e.num("epsilon", 1e-5) };
  switch (e.node.op) {
    case "BatchNormalization":
      return e.last("BatchNormalization", [0, 1, 2, 3, 4].map((i) => e.input(i)), {
        epsilon,
        momentum: { float: 1 - e.num("momentum", 0.1) },
      });
    case "BatchRenormalization":
      return emitBatchRenorm(e);
    case "InstanceNormalization":
      return e.last("InstanceNormalization", [e.input(0), e.input(1), e.input(2)], { epsilon });
    case "LayerNormalization":
      return e.last("LayerNormalization", [e.input(0), e.input(1), e.input(2)], { axis: { int: -1 }, epsilon });
    case "GroupNormalization":
      return emitGroupNorm(e);
    case "FilterResponseNormalization":
      return emitFrn(e);
    case "SwitchableNormalization":
      return emitSwitchable(e);
    default:
      throw new OnnxEmitError(`${e.node.name}: ${e.node.op} is not a normalizer`);
  }
}

/** A per-channel constant `[C]` computed by `f`, shaped to broadcast against input 0. */
function perChannel(e: NodeEmitter, suffix: string, channels: number, f: (c: number) => number): string {
  const data = Float32Array.from({ length: channels }, (_, c) => f(c));
  return e.floatConstant(suffix, channelShape(channels, e.shape(0).length), data);
}

/** Input `index` (a `[C]` constant) reshaped to broadcast against input 0. */
function broadcastParam(e: NodeEmitter, index: number, suffix: string): string {
  const t = e.constant(index);
  return perChannel(e, suffix, t.data.length, (c) => t.data[c]);
}

function emitBatchRenorm(e: NodeEmitter): void {
  const [gamma, beta, mean, std] = [1, 2, 3, 4].map((i) => e.constant(i).data);
  const scale = (c: number) => gamma[c] / std[c];
  const s = perChannel(e, "scale", gamma.length, scale);
  const t = perChannel(e, "shift", gamma.length, (c) => beta[c] - mean[c] * scale(c));
  const scaled = e.step("Mul", [e.input(0), s], {}, "mul");
  e.last("Add", [scaled, t]);
}

function emitGroupNorm(e: NodeEmitter): void {
  const groups = e.num("num_groups", 1);
  const epsilon = { float: e.num("epsilon", 1e-5) };
  if (e.opset >= 21) {
    return e.last("GroupNormalization", [e.input(0), e.input(1), e.input(2)], { num_groups: { int: groups }, epsilon });
  }
  const x = e.input(0);
  const shape = e.shape(0);
  const grouped = e.step("Reshape", [x, e.int64Constant("grouped_shape", [0, groups, -1])], {}, "grouped");
  const ones = e.floatConstant("group_scale", [groups], new Float32Array(groups).fill(1));
  const zeros = e.floatConstant("group_bias", [groups], new Float32Array(groups));
  const normed = e.step("InstanceNormalization", [grouped, ones, zeros], { epsilon }, "normalized");
  // Back to the input's shape: static where possible, else read from the input at run time.
  const back = isExpressible(shape) ? e.int64Constant("shape", reshapeTarget(e.node.name, shape)) : e.step("Shape", [x], {}, "shape");
  const restored = e.step("Reshape", [normed, back], {}, "ungrouped");
  const scaled = e.step("Mul", [restored, broadcastParam(e, 1, "gamma")], {}, "scaled");
  e.last("Add", [scaled, broadcastParam(e, 2, "beta")]);
}

function emitFrn(e: NodeEmitter): void {
  const x = e.input(0);
  const rank = e.shape(0).length;
  const squares = e.step("Mul", [x, x], {}, "square");
  // For features (rank 2) the mean over H, W runs over one value: ν² is x² itself.
  const nu2 = rank > 2 ? e.reduce("ReduceMean", squares, spatialAxes(rank), true, "nu2") : squares;
  const shifted = e.step("Add", [nu2, e.floatConstant("eps", [], Float32Array.of(e.num("epsilon", 1e-6)))], {}, "nu2_eps");
  const root = e.step("Sqrt", [shifted], {}, "rms");
  const normed = e.step("Div", [x, root], {}, "normalized");
  const scaled = e.step("Mul", [normed, broadcastParam(e, 1, "gamma")], {}, "scaled");
  const shiftedOut = e.step("Add", [scaled, broadcastParam(e, 2, "beta")], {}, "shifted");
  e.last("Max", [shiftedOut, broadcastParam(e, 3, "threshold")]);
}

function spatialAxes(rank: number): number[] {
  return Array.from({ length: rank - 2 }, (_, i) => i + 2);
}

/** The softmax of a `[3]` tensor, in float64. */
function softmax3(t: Tensor): [number, number, number] {
  const m = Math.max(...t.data);
  const ex = Array.from(t.data, (v) => Math.exp(v - m));
  const sum = ex[0] + ex[1] + ex[2];
  return [ex[0] / sum, ex[1] / sum, ex[2] / sum];
}

function emitSwitchable(e: NodeEmitter): void {
  const x = e.input(0);
  const rank = e.shape(0).length;
  const [gamma, runningMean, runningVar] = [1, 5, 6].map((i) => e.constant(i).data);
  const wm = softmax3(e.constant(3));
  const wv = softmax3(e.constant(4));
  const eps = e.num("epsilon", 1e-5);
  const channels = gamma.length;
  const scalar = (suffix: string, v: number) => e.floatConstant(suffix, [], Float32Array.of(v));
  const mul = (a: string, b: string, suffix: string) => e.step("Mul", [a, b], {}, suffix);
  const add = (a: string, b: string, suffix: string) => e.step("Add", [a, b], {}, suffix);

  // Instance statistics per sample and channel (two-pass variance, as the runtime computes it);
  // for features (rank 2) each "instance" is one value: μ_in = x, σ²_in = 0.
  let muIn = x;
  let varIn: string | undefined;
  if (rank > 2) {
    muIn = e.reduce("ReduceMean", x, spatialAxes(rank), true, "mean_in");
    const centred = e.step("Sub", [x, muIn], {}, "centred_in");
    varIn = e.reduce("ReduceMean", mul(centred, centred, "dev2_in"), spatialAxes(rank), true, "var_in");
  }
  // Layer statistics per sample: μ_ln = mean_c μ_in, σ²_ln = mean_c(σ²_in + μ_in²) − μ_ln².
  const muLn = e.reduce("ReduceMean", muIn, [1], true, "mean_ln");
  const second = varIn ? add(varIn, mul(muIn, muIn, "mean_in2"), "moment2_in") : mul(x, x, "moment2_in");
  const varLn = e.step("Sub", [e.reduce("ReduceMean", second, [1], true, "moment2_ln"), mul(muLn, muLn, "mean_ln2")], {}, "var_ln");
  // The batch terms are constants: wm₂·μ_bn and wv₂·σ²_bn + eps.
  const bnMean = perChannel(e, "mean_bn", channels, (c) => wm[2] * runningMean[c]);
  const bnVar = perChannel(e, "var_bn", channels, (c) => wv[2] * runningVar[c] + eps);
  const mu = add(add(mul(muIn, scalar("wm_in", wm[0]), "mean_in_w"), mul(muLn, scalar("wm_ln", wm[1]), "mean_ln_w"), "mean_mix"), bnMean, "mean");
  const lnVarTerm = mul(varLn, scalar("wv_ln", wv[1]), "var_ln_w");
  const varMix = varIn ? add(mul(varIn, scalar("wv_in", wv[0]), "var_in_w"), lnVarTerm, "var_mix") : lnVarTerm;
  const variance = add(varMix, bnVar, "var");
  const root = e.step("Sqrt", [variance], {}, "std");
  const a = e.step("Div", [broadcastParam(e, 1, "gamma"), root], {}, "a");
  const b = e.step("Sub", [broadcastParam(e, 2, "beta"), mul(mu, a, "mean_a")], {}, "b");
  e.last("Add", [mul(x, a, "xa"), b]);
}
