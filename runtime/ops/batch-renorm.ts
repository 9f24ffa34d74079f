/**
 * `batch_renorm`: batch renormalization (Ioffe 2017), batch statistics corrected by clipped r and
 * d in training; nnc's `BatchRenormalization(X, scale, B, mean, std)`. At inference it is the
 * affine `x·s + t` with `s = γ/σ`, `t = β − μ·s`, which is its ONNX form (Mul, Add).
 */
import { md } from "./reference.js";
import { channelModule } from "./torch-forms.js";
import { readsForwardInputs } from "./grad-norms.js";
import { input, literal, num } from "./kernel-call.js";
import { channelConstant, epsArg, FOLDED_FLOPS, momentumArg, normalizer, statsKeywords } from "./normalizer.js";
import { affineParams, epsilonOf, perChannel } from "./rules.js";
import type { IrOperator, KernelEntry } from "./types.js";

export const BATCH_RENORM_LAYER = normalizer({
  name: "batch_renorm",
  doc: "batch renormalization (Ioffe 2017): batch statistics corrected by clipped r and d",
  args: [
    epsArg(1e-5),
    momentumArg(0.01),
    { name: "rmax", type: "float", default: 3, min: 1, doc: "clip of r = sigma_batch / sigma to [1/rmax, rmax], >= 1" },
    { name: "dmax", type: "float", default: 5, min: 0, doc: "clip of d = (mu_batch - mu) / sigma to [-dmax, dmax], >= 0" },
  ],
  ranks: [4, 2],
  leaves: (_attrs, c) => [perChannel("weight", c), perChannel("bias", c), perChannel("running_mean", c, true), perChannel("running_std", c, true)],
  flopsPerElement: FOLDED_FLOPS,
  reference: {
    shape: "`[N, C, H, W]` or `[N, F]` to the same shape; C (or F) must be static.",
    formula: {
      train: md`Per channel $c$, the batch mean $\mu_c$ and standard deviation $\sigma_c = \sqrt{\sigma^2_c + \epsilon}$ over N, H, W (biased variance), and the running mean $\hat\mu_c$ (\`running_mean\`) and standard deviation $\hat\sigma_c$ (\`running_std\`): $r_c = \mathrm{clip}(\sigma_c / \hat\sigma_c,\ 1/r_{\max},\ r_{\max})$ and $d_c = \mathrm{clip}((\mu_c - \hat\mu_c) / \hat\sigma_c,\ -d_{\max},\ d_{\max})$, both constants for the gradient; $y = \gamma_c \left( \frac{x - \mu_c}{\sigma_c} r_c + d_c \right) + \beta_c$. Then, with $\alpha$ = \`momentum\`, $\hat\mu_c \leftarrow \hat\mu_c + \alpha (\mu_c - \hat\mu_c)$ and $\hat\sigma_c \leftarrow \hat\sigma_c + \alpha (\sigma_c - \hat\sigma_c)$. With $r = 1$ and $d = 0$ this is batch normalization; the clipping bounds keep training close to what inference computes.`,
      eval: md`$y = \gamma_c \frac{x - \hat\mu_c}{\hat\sigma_c} + \beta_c$, with no ε: $\hat\sigma$ already includes it.`,
    },
    inference: md`Folds as \`batch\` does, with $s_c = \gamma_c / \hat\sigma_c$ and $t_c = \beta_c - \hat\mu_c s_c$: into the conv or dense layer before it ($W'_c = s_c W_c$, $b'_c = b_c s_c + t_c$), else the affine $x s_c + t_c$, which is also its ONNX form.`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> batch_renorm(rmax: 2, dmax: 3)" },
  },
  torch: channelModule(
    () => "BatchRenorm",
    (t) => [...statsKeywords(t.attrs, 1e-5, 0.01), ["rmax", t.attrs.rmax, 3, "float"], ["dmax", t.attrs.dmax, 5, "float"]],
    true,
  ),
  lower: (ctx) => {
    const [w, b] = affineParams(ctx);
    const stats = [ctx.required("running_mean"), ctx.required("running_std")];
    const a = ctx.attrs;
    const attrs = { epsilon: epsilonOf(ctx), momentum: Number(a.momentum), rmax: Number(a.rmax), dmax: Number(a.dmax) };
    return ctx.emit("BatchRenormalization", [ctx.inputs[0], w, b, ...stats], attrs);
  },
});

export const BATCH_RENORMALIZATION_KERNEL: KernelEntry = {
  op: "BatchRenormalization",
  kernel: (node, training) => {
    const x = [input(0), input(1), input(2), input(3), input(4)];
    if (!training) return { kernel: "batchRenorm", args: x };
    const attrs = { epsilon: num(node, "epsilon", 1e-5), momentum: num(node, "momentum", 0.01), rmax: num(node, "rmax", 3), dmax: num(node, "dmax", 5) };
    return { kernel: "batchRenormTraining", args: [...x, literal(attrs)], outputs: 3 };
  },
};

export const BATCH_RENORMALIZATION: IrOperator = {
  ...BATCH_RENORMALIZATION_KERNEL,
  backward: readsForwardInputs("BatchRenormalizationGrad"),
  updates: [3, 4],
  onnx: (e) => {
    const [gamma, beta, mean, std] = [1, 2, 3, 4].map((i) => e.constant(i).data);
    const scale = (c: number) => gamma[c] / std[c];
    const s = channelConstant(e, "scale", gamma.length, scale);
    const t = channelConstant(e, "shift", gamma.length, (c) => beta[c] - mean[c] * scale(c));
    const scaled = e.step("Mul", [e.input(0), s], {}, "mul");
    e.last("Add", [scaled, t]);
  },
};

export const BATCH_RENORM_OPERATORS = { layers: [BATCH_RENORM_LAYER], ir: [BATCH_RENORMALIZATION] };
