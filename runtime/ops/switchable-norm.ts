/**
 * `switchable`: switchable normalization (Luo et al. 2018), a learned softmax mix of instance,
 * layer and batch statistics; nnc's `SwitchableNormalization(X, scale, B, mean_weight,
 * var_weight, mean, var)`.
 *
 * ONNX (inference): the instance and layer statistics from reductions, the batch statistics and
 * the softmaxed weights as constants, mixed with Mul and Add, then `y = x·a + b` with
 * `a = γ / sqrt(σ² + eps)` and `b = β − μ·a` computed per sample and channel.
 */
import { md } from "./reference.js";
import { channelModule } from "./torch-forms.js";
import type { Tensor } from "../tensor.js";
import { readsForwardInputs } from "./grad-norms.js";
import { input, literal, num, type KernelArg } from "./kernel-call.js";
import { broadcastParam, channelConstant, epsArg, momentumArg, normalizer, STATISTICS_FLOPS, statsKeywords } from "./normalizer.js";
import { spatialAxes } from "./onnx-shapes.js";
import { epsilonOf, perChannel } from "./rules.js";
import type { IrOperator, KernelEntry, OnnxContext } from "./types.js";

const LEAVES = ["weight", "bias", "mean_weight", "var_weight", "running_mean", "running_var"];

export const SWITCHABLE_LAYER = normalizer({
  name: "switchable",
  doc: "switchable normalization (Luo et al. 2018): a learned mix of instance, layer and batch statistics",
  args: [epsArg(1e-5), momentumArg(0.1)],
  ranks: [4],
  leaves: (_attrs, c) => [
    perChannel("weight", c),
    perChannel("bias", c),
    { leaf: "mean_weight", shape: [3], buffer: false },
    { leaf: "var_weight", shape: [3], buffer: false },
    perChannel("running_mean", c, true),
    perChannel("running_var", c, true),
  ],
  flopsPerElement: STATISTICS_FLOPS,
  reference: {
    shape: "`[N, C, H, W]` to the same shape, C static; rank 4 only.",
    formula: {
      train: md`Three sets of statistics, all with biased variances: instance, per sample and channel over H, W ($\mu_{\text{in}}$, $\sigma^2_{\text{in}}$); layer, per sample, $\mu_{\text{ln}} = \mathrm{mean}_c\ \mu_{\text{in}}$ and $\sigma^2_{\text{ln}} = \mathrm{mean}_c (\sigma^2_{\text{in}} + \mu_{\text{in}}^2) - \mu_{\text{ln}}^2$; batch, per channel over N, H, W ($\mu_{\text{bn}}$, $\sigma^2_{\text{bn}}$). With $w^\mu = \mathrm{softmax}$(\`mean_weight\`) and $w^\sigma = \mathrm{softmax}$(\`var_weight\`), each over (instance, layer, batch): $\mu = \sum_k w^\mu_k \mu_k$, $\sigma^2 = \sum_k w^\sigma_k \sigma^2_k$, and $y = \gamma_c \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta_c$. The running statistics update as \`batch\`'s do, with $\alpha$ = \`momentum\`, except that the running variance takes the biased batch variance: $\hat\mu_c \leftarrow (1 - \alpha) \hat\mu_c + \alpha \mu_{\text{bn},c}$, $\hat\sigma^2_c \leftarrow (1 - \alpha) \hat\sigma^2_c + \alpha \sigma^2_{\text{bn},c}$.`,
      eval: md`The same mix, with the running statistics $\hat\mu$ (\`running_mean\`) and $\hat\sigma^2$ (\`running_var\`) in place of the batch's; the instance and layer statistics still come from each input.`,
    },
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> switchable" },
  },
  torch: channelModule(() => "SwitchableNorm", (t) => statsKeywords(t.attrs, 1e-5, 0.1), true),
  lower: (ctx) =>
    ctx.emit("SwitchableNormalization", [ctx.inputs[0], ...LEAVES.map((leaf) => ctx.required(leaf))], {
      epsilon: epsilonOf(ctx),
      momentum: Number(ctx.attrs.momentum),
    }),
});

/** The softmax of a `[3]` tensor, in float64. */
function softmax3(t: Tensor): [number, number, number] {
  const m = Math.max(...t.data);
  const ex = Array.from(t.data, (v) => Math.exp(v - m));
  const sum = ex[0] + ex[1] + ex[2];
  return [ex[0] / sum, ex[1] / sum, ex[2] / sum];
}

function onnx(e: OnnxContext): void {
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
  const bnMean = channelConstant(e, "mean_bn", channels, (c) => wm[2] * runningMean[c]);
  const bnVar = channelConstant(e, "var_bn", channels, (c) => wv[2] * runningVar[c] + eps);
  const mu = add(add(mul(muIn, scalar("wm_in", wm[0]), "mean_in_w"), mul(muLn, scalar("wm_ln", wm[1]), "mean_ln_w"), "mean_mix"), bnMean, "mean");
  const lnVarTerm = mul(varLn, scalar("wv_ln", wv[1]), "var_ln_w");
  const varMix = varIn ? add(mul(varIn, scalar("wv_in", wv[0]), "var_in_w"), lnVarTerm, "var_mix") : lnVarTerm;
  const variance = add(varMix, bnVar, "var");
  const root = e.step("Sqrt", [variance], {}, "std");
  const a = e.step("Div", [broadcastParam(e, 1, "gamma"), root], {}, "a");
  const b = e.step("Sub", [broadcastParam(e, 2, "beta"), mul(mu, a, "mean_a")], {}, "b");
  e.last("Add", [mul(x, a, "xa"), b]);
}

export const SWITCHABLE_NORMALIZATION_KERNEL: KernelEntry = {
  op: "SwitchableNormalization",
  kernel: (node, training) => {
    const parameters: KernelArg = { kind: "object", fields: { scale: 1, bias: 2, meanWeight: 3, varWeight: 4 } };
    const epsilon = num(node, "epsilon", 1e-5);
    return training
      ? {
          kernel: "switchableNormalizationTraining",
          args: [input(0), parameters, input(5), input(6), literal({ epsilon, momentum: num(node, "momentum", 0.1) })],
          outputs: 3,
        }
      : { kernel: "switchableNormalization", args: [input(0), parameters, input(5), input(6), literal({ epsilon })] };
  },
};

export const SWITCHABLE_NORMALIZATION: IrOperator = {
  ...SWITCHABLE_NORMALIZATION_KERNEL,
  updates: [5, 6],
  onnx,
  backward: readsForwardInputs("SwitchableNormalizationGrad"),
};

export const SWITCHABLE_NORM_OPERATORS = { layers: [SWITCHABLE_LAYER], ir: [SWITCHABLE_NORMALIZATION] };
