/** `softmax` and `log_softmax` over axis 1; the IR's `Softmax` and `LogSoftmax` (axis 1). */
import { functionForm } from "./torch-forms.js";
import { savedBackward } from "./grad-activations.js";
import { pointwise, pointwiseKernel } from "./pointwise.js";
import type { KernelEntry } from "./types.js";

export const SOFTMAX_KERNEL = pointwiseKernel({ op: "Softmax", kernel: "softmax" });
export const LOG_SOFTMAX_KERNEL = pointwiseKernel({ op: "LogSoftmax", kernel: "logSoftmax" });

function softmaxLike(kernel: KernelEntry, layer: string, doc: string) {
  return pointwise(kernel, {
    layer,
    doc,
    flops: 3,
    attrs: () => ({ axis: 1 }),
    onnx: (e, x, suffix) => e.last(kernel.op, [x], { axis: { int: e.num("axis", 1) } }, suffix),
    backward: savedBackward(kernel.op, ["output"]),
    torch: functionForm(`torch.${layer}`, () => "1"),
  });
}

export const SOFTMAX = softmaxLike(SOFTMAX_KERNEL, "softmax", "softmax over axis 1");
export const LOG_SOFTMAX = softmaxLike(LOG_SOFTMAX_KERNEL, "log_softmax", "log of softmax over axis 1");
