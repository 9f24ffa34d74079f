/**
 * `layer`: layer normalization over all non-batch dims of a sample, as `nn.GroupNorm(1, C)` on
 * images and `nn.LayerNorm(F)` on features. Rank 2 lowers to the IR's `LayerNormalization` (axis
 * −1, native in ONNX at opset 17); rank 4 to `GroupNormalization` with one group, whose affine is
 * per channel (ONNX's LayerNormalization would want a `[C, H, W]` one).
 */
import { md } from "./reference.js";
import { channelsOf, sameAs } from "./torch-forms.js";
import { readsForwardInputs } from "./grad-norms.js";
import { input, literal, num } from "./kernel-call.js";
import { AFFINE_ARG, affinePair, epsArg, normalizer, STATISTICS_FLOPS } from "./normalizer.js";
import { affineParams, epsilonOf } from "./rules.js";
import type { IrOperator, KernelEntry } from "./types.js";

export const LAYER_LAYER = normalizer({
  name: "layer",
  doc: "layer normalization over all non-batch dims of a sample, as nn.GroupNorm(1, C) / nn.LayerNorm(F)",
  args: [epsArg(1e-5), AFFINE_ARG],
  ranks: [4, 2],
  leaves: affinePair,
  flopsPerElement: STATISTICS_FLOPS,
  reference: {
    shape: "`[N, C, H, W]` or `[N, F]` to the same shape; C (or F) must be static.",
    formula: md`Per sample $n$, the mean $\mu_n$ and the biased variance $\sigma^2_n$ over all of its values (C·H·W on an image, F on features); $y = \gamma_c \frac{x - \mu_n}{\sqrt{\sigma^2_n + \epsilon}} + \beta_c$. γ and β are per channel on an image, as in \`nn.GroupNorm(1, C)\` (not per element, as \`nn.LayerNorm([C, H, W])\` would have them). No running statistics. For ConvNeXt's normalization over each pixel's channels, see [\`channel_norm\`](#channel_norm).`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> layer" },
  },
  // PyTorch's GroupNorm(1, C) on images, LayerNorm(F) on features.
  torch: {
    module: (t) => {
      const c = t.value(channelsOf(t), "channels");
      const eps = sameAs(t.attrs.eps, 1e-5) ? "" : `, eps=${t.value(t.attrs.eps, "eps", "float")}`;
      if (t.inputShapes[0].length === 4) return `nn.GroupNorm(1, ${c}${eps}${t.attrs.affine ? "" : ", affine=False"})`;
      return `nn.LayerNorm(${c}${eps}${t.attrs.affine ? "" : ", elementwise_affine=False"})`;
    },
    call: (t) => `${t.self}(${t.inputs[0]})`,
  },
  lower: (ctx) => {
    const [w, b] = affineParams(ctx);
    const epsilon = epsilonOf(ctx);
    return ctx.inputShape.length === 2
      ? ctx.emit("LayerNormalization", [ctx.inputs[0], w, b], { axis: -1, epsilon })
      : ctx.emit("GroupNormalization", [ctx.inputs[0], w, b], { num_groups: 1, epsilon });
  },
});

export const LAYER_NORMALIZATION_KERNEL: KernelEntry = {
  op: "LayerNormalization",
  kernel: (node) => ({ kernel: "layerNormalization", args: [input(0), input(1), input(2), literal({ epsilon: num(node, "epsilon", 1e-5) })] }),
};

export const LAYER_NORMALIZATION: IrOperator = {
  ...LAYER_NORMALIZATION_KERNEL,
  backward: readsForwardInputs("LayerNormalizationGrad"),
  onnx: (e) => e.last("LayerNormalization", [e.input(0), e.input(1), e.input(2)], { axis: { int: -1 }, epsilon: { float: e.num("epsilon", 1e-5) } }),
};

export const LAYER_NORM_OPERATORS = { layers: [LAYER_LAYER], ir: [LAYER_NORMALIZATION] };
