/**
 * `scale(init)`: a learnable multiplier per channel, `y = x · weight` with `weight` `[C]`
 * starting at `init` — ConvNeXt's layer scale (`scale(init: 1e-6)`), or a gain on a residual
 * branch. It lowers to the IR's broadcasting `Mul` by the weight, shaped `[1, C, 1, 1]` by a
 * constant `Reshape` on images, so its gradient is `Mul`'s and `Reshape`'s.
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
    formula: md`$y_{n,c} = w_c \, x_{n,c}$ with a learned multiplier $w_c$ (\`weight\`) per channel, broadcast over H and W, every one starting at \`init\`: ConvNeXt's layer scale (\`scale(1e-6)\`), or a learned gain on a residual branch.`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> scale(1e-6)" },
  },
  infer: (_attrs, [x]) => {
    const rank = checkRank("scale", x, [2, 4]);
    if (rank) return rank;
    const c = staticDim("scale", x, 1, "channel count");
    if (isFailure(c)) return c;
    return { shape: x, params: [perChannel("weight", c)], flops: perSample(x) };
  },
  lower: (ctx) => {
    const weight = ctx.required("weight");
    if (ctx.inputShape.length === 2) return ctx.emit("Mul", [ctx.inputs[0], weight]);
    const shape = [1, ctx.channels, 1, 1];
    const broadcast = ctx.emit("Reshape", [weight], { shape }, "weight_broadcast", shape);
    return ctx.emit("Mul", [ctx.inputs[0], broadcast]);
  },
  torch: channelModule(() => "Scale", (t) => [["init", t.attrs.init, 1, "float"]], true),
};

export const SCALE_OPERATORS = { layers: [SCALE_LAYER] };
