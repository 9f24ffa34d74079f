/**
 * `instance`: instance normalization over H, W per sample and channel, as `nn.InstanceNorm2d`;
 * the IR's (and ONNX's) `InstanceNormalization`.
 */
import { md } from "./reference.js";
import { channelModule } from "./torch-forms.js";
import { readsForwardInputs } from "./grad-norms.js";
import { input, literal, num } from "./kernel-call.js";
import { AFFINE_ARG, affinePair, epsArg, normalizer, STATISTICS_FLOPS, statsKeywords } from "./normalizer.js";
import { affineParams, epsilonOf } from "./rules.js";
import type { IrOperator, KernelEntry } from "./types.js";

export const INSTANCE_LAYER = normalizer({
  name: "instance",
  doc: "instance normalization over H, W per sample and channel, as nn.InstanceNorm2d",
  args: [epsArg(1e-5), AFFINE_ARG],
  ranks: [4],
  leaves: affinePair,
  flopsPerElement: STATISTICS_FLOPS,
  reference: {
    shape: "`[N, C, H, W]` to the same shape, C static; rank 4 only.",
    formula: md`Per sample $n$ and channel $c$, the mean $\mu_{n,c}$ and the biased variance $\sigma^2_{n,c}$ over H and W; $y = \gamma_c \frac{x - \mu_{n,c}}{\sqrt{\sigma^2_{n,c} + \epsilon}} + \beta_c$. No running statistics (PyTorch's \`track_running_stats=False\`), so training and inference agree.`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> instance" },
  },
  torch: channelModule(() => "nn.InstanceNorm2d", (t) => [...statsKeywords(t.attrs), ["affine", t.attrs.affine, false]]),
  lower: (ctx) => {
    const [w, b] = affineParams(ctx);
    return ctx.emit("InstanceNormalization", [ctx.inputs[0], w, b], { epsilon: epsilonOf(ctx) });
  },
});

export const INSTANCE_NORMALIZATION_KERNEL: KernelEntry = {
  op: "InstanceNormalization",
  // On the plan: group normalization with one channel per group.
  plan: { kind: "norm", norm: (step, c, weight) => ({ form: "group", groups: c, epsilon: num(step, "epsilon", 1e-5), scale: weight(1), bias: weight(2) }) },
  kernel: (node) => ({ kernel: "instanceNormalization", args: [input(0), input(1), input(2), literal({ epsilon: num(node, "epsilon", 1e-5) })] }),
};

export const INSTANCE_NORMALIZATION: IrOperator = {
  ...INSTANCE_NORMALIZATION_KERNEL,
  backward: readsForwardInputs("InstanceNormalizationGrad"),
  onnx: (e) => e.last("InstanceNormalization", [e.input(0), e.input(1), e.input(2)], { epsilon: { float: e.num("epsilon", 1e-5) } }),
};

export const INSTANCE_NORM_OPERATORS = { layers: [INSTANCE_LAYER], ir: [INSTANCE_NORMALIZATION] };
