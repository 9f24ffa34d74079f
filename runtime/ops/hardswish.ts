/**
 * `hardswish`: `x · relu6(x + 3) / 6`, as `nn.Hardswish` (MobileNetV3's activation); ONNX
 * `HardSwish` (opset 14 on) computes `x · max(0, min(1, x/6 + 1/2))`, the same function.
 */
import { elementwise, md } from "./reference.js";
import { functionForm } from "./torch-forms.js";
import type { Tensor } from "../tensor.js";
import { savedBackward } from "./grad-activations.js";
import { mapElements, pointwise, pointwiseKernel, sameOnnx } from "./pointwise.js";

/** `x · relu6(x + 3) / 6`, in PyTorch's order of operations. */
export function hardswishScalar(x: number): number {
  return (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
}

/** Returns the hard swish of every element, in `out` when a buffer is passed. */
export function hardswish(x: Tensor, out?: Float32Array): Tensor {
  return mapElements(x, hardswishScalar, out, "hardswish");
}

export const HARDSWISH_KERNEL = pointwiseKernel({ op: "HardSwish", kernel: "hardswish", scalar: () => hardswishScalar });

export const HARDSWISH = pointwise(HARDSWISH_KERNEL, {
  layer: "hardswish",
  reference: elementwise(md`$y = x \ \frac{\min(\max(x + 3, 0), 6)}{6}$: 0 up to $x = -3$, $x$ from $x = 3$.`, "x -> hardswish"),
  doc: "x * relu6(x + 3) / 6, as nn.Hardswish", onnx: sameOnnx("HardSwish"), torch: functionForm("F.hardswish"), backward: savedBackward("HardSwish", [0]) });
