/**
 * `frn`: filter response normalization with a thresholded linear unit (Singh & Krishnan 2019),
 * `max(γ · x / sqrt(mean_{H,W}(x²) + eps) + β, τ)` with a learned τ; nnc's
 * `FilterResponseNormalization(X, scale, B, tau)`. ONNX: Mul, ReduceMean, Add, Sqrt, Div, Mul,
 * Add, Max.
 */
import { md } from "./reference.js";
import { channelModule } from "./torch-forms.js";
import { readsForwardInputs } from "./grad-norms.js";
import { input, literal, num } from "./kernel-call.js";
import { broadcastParam, epsArg, normalizer, STATISTICS_FLOPS, statsKeywords } from "./normalizer.js";
import { spatialAxes } from "./onnx-shapes.js";
import { epsilonOf, perChannel } from "./rules.js";
import type { IrOperator, KernelEntry } from "./types.js";

export const FRN_LAYER = normalizer({
  name: "frn",
  doc: "filter response normalization with a thresholded linear unit (Singh & Krishnan 2019)",
  args: [epsArg(1e-6)],
  ranks: [4],
  leaves: (_attrs, c) => [perChannel("weight", c), perChannel("bias", c), perChannel("tau", c)],
  flopsPerElement: STATISTICS_FLOPS,
  reference: {
    shape: "`[N, C, H, W]` to the same shape, C static; rank 4 only.",
    formula: md`Filter response normalization and its thresholded linear unit (TLU): per sample $n$ and channel $c$, the mean square $\nu^2_{n,c} = \frac{1}{HW} \sum_{h,w} x^2_{n,c,h,w}$ (no mean is subtracted), and $y = \max\left(\gamma_c \frac{x}{\sqrt{\nu^2_{n,c} + \epsilon}} + \beta_c,\ \tau_c\right)$ with a learned threshold $\tau$ (\`tau\`). It is normalization and activation in one: no ReLU follows it. No running statistics.`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> frn" },
  },
  torch: channelModule(() => "FilterResponseNorm", (t) => statsKeywords(t.attrs, 1e-6), true),
  lower: (ctx) => {
    const params = ["weight", "bias", "tau"].map((leaf) => ctx.required(leaf));
    return ctx.emit("FilterResponseNormalization", [ctx.inputs[0], ...params], { epsilon: epsilonOf(ctx, 1e-6) });
  },
});

export const FILTER_RESPONSE_NORMALIZATION_KERNEL: KernelEntry = {
  op: "FilterResponseNormalization",
  // On the plan: the mean square per sample and channel, then the affine with τ as a floor.
  plan: {
    kind: "norm",
    norm: (step, _c, weight) => {
      const [scale, bias, tau] = [weight(1), weight(2), weight(3)];
      if (scale === undefined || bias === undefined || tau === undefined) return undefined;
      return { form: "frn", epsilon: num(step, "epsilon", 1e-6), scale, bias, tau };
    },
  },
  kernel: (node) => ({
    kernel: "filterResponseNormalization",
    args: [input(0), input(1), input(2), input(3), literal({ epsilon: num(node, "epsilon", 1e-6) })],
  }),
};

export const FILTER_RESPONSE_NORMALIZATION: IrOperator = {
  ...FILTER_RESPONSE_NORMALIZATION_KERNEL,
  backward: readsForwardInputs("FilterResponseNormalizationGrad"),
  onnx: (e) => {
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
  },
};

export const FRN_OPERATORS = { layers: [FRN_LAYER], ir: [FILTER_RESPONSE_NORMALIZATION] };
