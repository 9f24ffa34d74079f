/**
 * Weight standardization of a conv's or dense layer's weight (`ws: "standard"`, Qiao et al. 2019)
 * and its scaled NF-Net form (`ws: "scaled"`, with a learned gain): IR nodes over the weight
 * alone, so inference computes them once, at load, and ONNX receives the standardized weight;
 * a training graph differentiates them like any node, carrying the standardized weight's gradient
 * back to the raw weight (and the gain).
 */
import { readsForwardInputs } from "./grad-norms.js";
import { input, inputsCall, literal, num } from "./kernel-call.js";
import { constantOnly } from "./constant-only.js";
import type { ArgSpec, IrOperator, KernelEntry, LoweringContext } from "./types.js";

/** The `ws` argument of `conv` and `dense`. */
export const WS_ARG: ArgSpec = {
  name: "ws",
  type: "string",
  default: "none",
  oneOf: ["none", "standard", "scaled"],
  doc: 'weight standardization: "none", "standard" (Qiao 2019) or "scaled" (NF-Nets, adds a gain)',
};

/** The weight a conv or dense layer multiplies with: the parameter, or its standardization. */
export function standardizedWeight(ctx: LoweringContext): string {
  const weight = ctx.required("weight");
  const shape = ctx.inputShapeOf(weight);
  switch (ctx.attrs.ws) {
    case "standard":
      return ctx.emit("WeightStandardization", [weight], { epsilon: 1e-5 }, "weight_standardized", shape);
    case "scaled":
      return ctx.emit("ScaledWeightStandardization", [weight, ctx.required("gain")], {}, "weight_standardized", shape);
    default:
      return weight;
  }
}

const WHY = "weight standardization of a non-constant weight has no ONNX form";

export const WEIGHT_STANDARDIZATION_KERNEL: KernelEntry = {
  op: "WeightStandardization",
  kernel: (node) => ({ kernel: "weightStandardization", args: [input(0), literal({ epsilon: num(node, "epsilon", 1e-5) })] }),
};

export const WEIGHT_STANDARDIZATION: IrOperator = {
  ...constantOnly(WEIGHT_STANDARDIZATION_KERNEL, WHY),
  backward: readsForwardInputs("WeightStandardizationGrad"),
};

export const SCALED_WEIGHT_STANDARDIZATION_KERNEL: KernelEntry = {
  op: "ScaledWeightStandardization",
  kernel: () => inputsCall("scaledWeightStandardization", 2),
};

export const SCALED_WEIGHT_STANDARDIZATION: IrOperator = {
  ...constantOnly(SCALED_WEIGHT_STANDARDIZATION_KERNEL, WHY),
  backward: readsForwardInputs("ScaledWeightStandardizationGrad"),
};
