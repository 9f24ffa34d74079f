/**
 * `batch`: batch normalization over N, H, W per channel, as `nn.BatchNorm2d` / `BatchNorm1d`;
 * the IR's `BatchNormalization(X, scale, B, mean, var)` with epsilon and momentum (PyTorch's
 * convention, the weight of the batch statistic: ONNX's momentum is 1 − it). Batch statistics
 * in training, running averages at inference, where the inference passes fold it into the conv
 * or dense layer before it.
 */
import { md } from "./reference.js";
import { channelModule } from "./torch-forms.js";
import { readsForwardInputs } from "./grad-norms.js";
import { input, literal, num, type LiteralValue } from "./kernel-call.js";
import { AFFINE_ARG, affinePair, epsArg, FOLDED_FLOPS, momentumArg, normalizer, statsKeywords } from "./normalizer.js";
import { affineParams, epsilonOf, perChannel } from "./rules.js";
import type { IrOperator, KernelEntry } from "./types.js";

export const BATCH_LAYER = normalizer({
  name: "batch",
  doc: "batch normalization over N, H, W per channel, as nn.BatchNorm2d / BatchNorm1d",
  args: [epsArg(1e-5), momentumArg(0.1), AFFINE_ARG],
  ranks: [4, 2],
  leaves: (attrs, c) => [...affinePair(attrs, c), perChannel("running_mean", c, true), perChannel("running_var", c, true)],
  flopsPerElement: FOLDED_FLOPS,
  reference: {
    shape: "`[N, C, H, W]` or `[N, F]` to the same shape; C (or F) must be static.",
    formula: {
      train: md`Per channel $c$, over the $n = N H W$ values of the batch ($n = N$ on features): the mean $\mu_c$ and the biased variance $\sigma^2_c = \frac{1}{n} \sum (x - \mu_c)^2$, and $y = \gamma_c \frac{x - \mu_c}{\sqrt{\sigma^2_c + \epsilon}} + \beta_c$. The running statistics $\hat\mu$ (\`running_mean\`) and $\hat\sigma^2$ (\`running_var\`) then move towards the batch's with $\alpha$ = \`momentum\` (PyTorch's convention, the weight of the new value): $\hat\mu_c \leftarrow (1 - \alpha) \hat\mu_c + \alpha \mu_c$ and $\hat\sigma^2_c \leftarrow (1 - \alpha) \hat\sigma^2_c + \alpha \frac{n}{n - 1} \sigma^2_c$, the unbiased variance, as PyTorch does. With \`affine: false\` there is no γ and β (γ = 1, β = 0).`,
      eval: md`The running statistics only: $y = \gamma_c \frac{x - \hat\mu_c}{\sqrt{\hat\sigma^2_c + \epsilon}} + \beta_c$.`,
    },
    inference: md`Right after a conv or dense layer whose output nothing else reads, it folds into that layer's weights: with $s_c = \gamma_c / \sqrt{\hat\sigma^2_c + \epsilon}$, $W'_c = s_c W_c$ (output filter $c$) and $b'_c = (b_c - \hat\mu_c) s_c + \beta_c$ ($b = 0$ without a bias), so it costs nothing. Elsewhere (after an addition, a concat or the input) it stays, and runs as one per-channel affine $x s_c + \beta_c - \hat\mu_c s_c$. \`--no-fuse\` keeps every one.`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> batch" },
  },
  torch: channelModule(
    (t) => (t.inputShapes[0].length === 4 ? "nn.BatchNorm2d" : "nn.BatchNorm1d"),
    (t) => [...statsKeywords(t.attrs, 1e-5, 0.1), ["affine", t.attrs.affine, true]],
  ),
  lower: (ctx) => {
    const [w, b] = affineParams(ctx);
    const stats = [ctx.required("running_mean"), ctx.required("running_var")];
    return ctx.emit("BatchNormalization", [ctx.inputs[0], w, b, ...stats], { epsilon: epsilonOf(ctx), momentum: Number(ctx.attrs.momentum) });
  },
});

export const BATCH_NORMALIZATION_KERNEL: KernelEntry = {
  op: "BatchNormalization",
  // On the plan (an inference batch norm that did not fold, `--no-fuse`): a per-channel affine from constants.
  plan: {
    kind: "norm",
    norm: (step, _c, weight) => {
      const [mean, variance] = [weight(3), weight(4)];
      if (mean === undefined || variance === undefined || step.attrs.training_mode === 1) return undefined;
      return { form: "batch", epsilon: num(step, "epsilon", 1e-5), scale: weight(1), bias: weight(2), mean, variance };
    },
  },
  kernel: (node, training) => {
    const x = [input(0), input(1), input(2), input(3), input(4)];
    const epsilon = num(node, "epsilon", 1e-5);
    // `activation: "Relu"`: a training graph's batch norm with the relu after it fused (`compiler/train/fuse-relu.ts`).
    const relu: Record<string, LiteralValue> = node.attrs.activation === "Relu" ? { relu: true } : {};
    return training
      ? {
          kernel: "batchNormalizationTraining",
          args: [...x, literal({ epsilon, momentum: num(node, "momentum", 0.1), ...relu })],
          outputs: 3,
        }
      : { kernel: "batchNormalization", args: [...x, literal({ epsilon, ...relu })] };
  },
};

export const BATCH_NORMALIZATION: IrOperator = {
  ...BATCH_NORMALIZATION_KERNEL,
  backward: readsForwardInputs("BatchNormalizationGrad"),
  updates: [3, 4],
  onnx: (e) =>
    e.last("BatchNormalization", [0, 1, 2, 3, 4].map((i) => e.input(i)), {
      epsilon: { float: e.num("epsilon", 1e-5) },
      momentum: { float: 1 - e.num("momentum", 0.1) },
    }),
};

export const BATCH_NORM_OPERATORS = { layers: [BATCH_LAYER], ir: [BATCH_NORMALIZATION] };
