/**
 * `hardsigmoid`: `relu6(x + 3) / 6`, as `nn.Hardsigmoid` (the gate of MobileNetV3's
 * squeeze-and-excitation). It lowers to ONNX's `HardSigmoid`, `max(0, min(1, alpha·x + beta))`,
 * with `alpha` 1/6 and `beta` 1/2, the node `torch.onnx.export` writes: the same function, 0 up to
 * x = −3 and 1 from x = 3 (where `x/6 + 1/2` is exactly 0 and 1, in double as in exact
 * arithmetic), so the kernels compute ONNX's form and PyTorch's kinks fall where PyTorch's do.
 */
import { elementwise, md } from "./reference.js";
import { functionForm } from "./torch-forms.js";
import type { Tensor } from "../tensor.js";
import { savedBackward } from "./grad-activations.js";
import { num } from "./kernel-call.js";
import { mapElements, pointwise, pointwiseKernel } from "./pointwise.js";

/** Attributes of {@link hardsigmoid}, as ONNX's `HardSigmoid` (`nn.Hardsigmoid` is alpha 1/6, beta 1/2). */
export interface HardSigmoidAttributes {
  alpha: number;
  beta: number;
}

/** ONNX's defaults, which an IR node without the attributes means. */
export const ONNX_ALPHA = 0.2;
export const ONNX_BETA = 0.5;

/** `max(0, min(1, alpha·x + beta))`, in double; NaN stays NaN. */
function hardsigmoidScalar(alpha: number, beta: number): (x: number) => number {
  return (x) => {
    const v = alpha * x + beta;
    return v < 0 ? 0 : v > 1 ? 1 : v;
  };
}

/** Returns the hard sigmoid of every element, in `out` when a buffer is passed. */
export function hardsigmoid(x: Tensor, attributes: HardSigmoidAttributes, out?: Float32Array): Tensor {
  return mapElements(x, hardsigmoidScalar(attributes.alpha, attributes.beta), out, "hardsigmoid");
}

export const HARD_SIGMOID_KERNEL = pointwiseKernel({
  op: "HardSigmoid",
  kernel: "hardsigmoid",
  kernelAttrs: { alpha: { attr: "alpha", fallback: ONNX_ALPHA }, beta: { attr: "beta", fallback: ONNX_BETA } },
  irAttrs: ["alpha", "beta"],
  scalar: (node) => hardsigmoidScalar(num(node, "alpha", ONNX_ALPHA), num(node, "beta", ONNX_BETA)),
});

export const HARDSIGMOID = pointwise(HARD_SIGMOID_KERNEL, {
  layer: "hardsigmoid",
  reference: elementwise(md`$y = \frac{\min(\max(x + 3, 0), 6)}{6} = \max\left(0, \min\left(1, \frac{x}{6} + \frac{1}{2}\right)\right)$.`, "x -> hardsigmoid"),
  doc: "relu6(x + 3) / 6, as nn.Hardsigmoid",
  attrs: () => ({ alpha: 1 / 6, beta: 0.5 }),
  onnx: (e, x, suffix) => e.last("HardSigmoid", [x], { alpha: { float: e.num("alpha", ONNX_ALPHA) }, beta: { float: e.num("beta", ONNX_BETA) } }, suffix),
  backward: savedBackward("HardSigmoid", [0]),
  torch: functionForm("F.hardsigmoid"),
});
