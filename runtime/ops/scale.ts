/**
 * `scale(init)`: a learnable multiplier per channel, `y = x · weight` with `weight` starting at
 * `init` — ConvNeXt's layer scale (`scale(init: 1e-6)`), or a gain on a residual branch. The
 * weight is `[C]` on `[N, C]` and `[C, 1, 1]` on an image, as ConvNeXt's `layer_scale`, so that
 * it broadcasts as it is: the layer lowers to the IR's broadcasting `Mul`, and its gradient is
 * `Mul`'s.
 */
import { md } from "./reference.js";
import { perSample } from "./dims.js";
import { channelModule } from "./torch-forms.js";
import { checkRank, isFailure, perChannel, staticDim } from "./rules.js";
import type { LayerOperator } from "./types.js";

export const SCALE_LAYER: LayerOperator = {
  name: "scale",
  doc: "a learned multiplier per channel, x · weight (ConvNeXt's layer scale); weight starts at init",
  family: "linear",
  inputs: 1,
  args: [{ name: "init", type: "float", default: 1.0, doc: "the initial value of every channel's multiplier (1e-6 in ConvNeXt)" }],
  reference: {
    shape: "`[N, C]` or `[N, C, H, W]`, unchanged; C static.",
    formula: md`$y_{n,c} = w_c \ x_{n,c}$ with a learned multiplier $w_c$ (\`weight\`) per channel, broadcast over H and W, every one starting at \`init\`: ConvNeXt's layer scale (\`scale(1e-6)\`), or a learned gain on a residual branch.`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> scale(1e-6)" },
  },
  infer: (_attrs, [x]) => {
    const rank = checkRank("scale", x, [2, 4]);
    if (rank) return rank;
    const c = staticDim("scale", x, 1, "channel count");
    if (isFailure(c)) return c;
    // On an image the weight is [C, 1, 1], as ConvNeXt's layer_scale, so it broadcasts as it is.
    const weight = x.length === 2 ? perChannel("weight", c) : { leaf: "weight", shape: [c, 1, 1], buffer: false };
    return { shape: x, params: [weight], flops: perSample(x) };
  },
  lower: (ctx) => ctx.emit("Mul", [ctx.inputs[0], ctx.required("weight")]),
  torch: channelModule(() => "Scale", (t) => [["init", t.attrs.init, 1, "float"], ["image", t.inputShapes[0]!.length === 4, false]], true),
};

export const SCALE_OPERATORS = { layers: [SCALE_LAYER] };
