/**
 * `channel_norm`: ConvNeXt's layer normalization over the C channels of each pixel, as timm's
 * and torchvision's `LayerNorm2d` (`nn.LayerNorm(C)` on the input permuted to `[N, H, W, C]`);
 * nnc's `ChannelNormalization(X, scale[C], B[C])` epsilon. Not `layer`, whose statistics on
 * images are per sample over C, H and W (docs/language.md, "Normalizers: decisions").
 *
 * Rank 4 only: on features `[N, F]` it would be `layer` itself, which the refusal names. The plan
 * runs it as a norm of its own (`pixel`: the statistics of each pixel over its channels, which
 * are contiguous in the blocked layout); no inference pass folds it (its statistics depend on
 * the input).
 *
 * ONNX: `Transpose [0, 2, 3, 1] → LayerNormalization(axis −1, scale, B) → Transpose [0, 3, 1, 2]`.
 */
import { md } from "./reference.js";
import { channelModule } from "./torch-forms.js";
import { readsForwardInputs } from "./grad-norms.js";
import { input, literal, num } from "./kernel-call.js";
import { AFFINE_ARG, affinePair, epsArg, normalizer, STATISTICS_FLOPS, statsKeywords } from "./normalizer.js";
import { formatShape } from "./dims.js";
import { affineParams, epsilonOf, fail } from "./rules.js";
import type { IrOperator, KernelEntry, LayerOperator } from "./types.js";

const PER_PIXEL = normalizer({
  name: "channel_norm",
  doc: "layer normalization over the channels of each pixel (ConvNeXt), as timm's LayerNorm2d",
  args: [epsArg(1e-6), AFFINE_ARG],
  ranks: [4],
  leaves: affinePair,
  flopsPerElement: STATISTICS_FLOPS,
  reference: {
    shape: "`[N, C, H, W]` to the same shape, C static; rank 4 only (on features `[N, F]`, `layer` is the same thing).",
    formula: md`Per sample $n$ and pixel $(h, w)$, the mean $\mu_{n,h,w}$ and the biased variance $\sigma^2_{n,h,w}$ over its C channel values; $y_{n,c,h,w} = \gamma_c \frac{x_{n,c,h,w} - \mu_{n,h,w}}{\sqrt{\sigma^2_{n,h,w} + \epsilon}} + \beta_c$: ConvNeXt's LayerNorm, \`nn.LayerNorm(C)\` on the input permuted to \`[N, H, W, C]\`. No running statistics.`,
    inference: "Never folded: its statistics come from each input.",
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> channel_norm" },
  },
  torch: channelModule(() => "ChannelNorm2d", (t) => [...statsKeywords(t.attrs, 1e-6), ["affine", t.attrs.affine, true]], true),
  lower: (ctx) => {
    const [w, b] = affineParams(ctx);
    return ctx.emit("ChannelNormalization", [ctx.inputs[0], w, b], { epsilon: epsilonOf(ctx, 1e-6) });
  },
});

/** The refusal's advice on features `[N, F]`, where `channel_norm` would be `layer` itself. */
const ON_FEATURES = "on features, use layer: it normalizes each sample over its features";

export const CHANNEL_NORM_LAYER: LayerOperator = {
  ...PER_PIXEL,
  // Features get a refusal that names the layer they want, rather than checkRank's alone.
  infer: (attrs, shapes) =>
    shapes[0]?.length === 2
      ? fail("E0201", `channel_norm needs a rank-4 input [N, C, H, W], got ${formatShape(shapes[0])} (${ON_FEATURES})`)
      : PER_PIXEL.infer(attrs, shapes),
};

export const CHANNEL_NORMALIZATION_KERNEL: KernelEntry = {
  op: "ChannelNormalization",
  // On the plan: per-pixel statistics over the channels, then the per-channel affine, in one pass per pixel.
  plan: { kind: "norm", norm: (step, _, weight) => ({ form: "pixel", epsilon: num(step, "epsilon", 1e-6), scale: weight(1), bias: weight(2) }) },
  kernel: (node) => ({ kernel: "channelNormalization", args: [input(0), input(1), input(2), literal({ epsilon: num(node, "epsilon", 1e-6) })] }),
};

export const CHANNEL_NORMALIZATION: IrOperator = {
  ...CHANNEL_NORMALIZATION_KERNEL,
  backward: readsForwardInputs("ChannelNormalizationGrad"),
  onnx: (e) => {
    const pixels = e.step("Transpose", [e.input(0)], { perm: { ints: [0, 2, 3, 1] } }, "channels_last");
    const epsilon = { float: e.num("epsilon", 1e-6) };
    const normalized = e.step("LayerNormalization", [pixels, e.input(1), e.input(2)], { axis: { int: -1 }, epsilon }, "normalized");
    e.last("Transpose", [normalized], { perm: { ints: [0, 3, 1, 2] } });
  },
};

export const CHANNEL_NORM_OPERATORS = { layers: [CHANNEL_NORM_LAYER], ir: [CHANNEL_NORMALIZATION] };
