/** `softmax` and `log_softmax` over axis 1; the IR's `Softmax` and `LogSoftmax` (axis 1). */
import { md } from "./reference.js";
import { functionForm } from "./torch-forms.js";
import { savedBackward } from "./grad-activations.js";
import { pointwise, pointwiseKernel } from "./pointwise.js";
import type { KernelEntry } from "./types.js";

export const SOFTMAX_KERNEL = pointwiseKernel({ op: "Softmax", kernel: "softmax" });
export const LOG_SOFTMAX_KERNEL = pointwiseKernel({ op: "LogSoftmax", kernel: "logSoftmax" });

function softmaxLike(kernel: KernelEntry, layer: string, doc: string, formula: string) {
  return pointwise(kernel, {
    layer,
    doc,
    reference: {
      shape: "Any shape of rank 2 or more, unchanged: `[N, C]` (logits), or `[N, C, H, W]` per pixel.",
      formula,
      example: { inputs: "x: [N, 10]", returns: `x -> ${layer}` },
    },
    flops: 3,
    attrs: () => ({ axis: 1 }),
    onnx: (e, x, suffix) => e.last(kernel.op, [x], { axis: { int: e.num("axis", 1) } }, suffix),
    backward: savedBackward(kernel.op, ["output"]),
    torch: functionForm(`torch.${layer}`, () => "1"),
  });
}

export const SOFTMAX = softmaxLike(SOFTMAX_KERNEL, "softmax", "softmax over axis 1", md`Over axis 1, for each sample (and pixel): $y_c = \frac{e^{x_c}}{\sum_k e^{x_k}}$, computed as $e^{x_c - m} / \sum_k e^{x_k - m}$ with $m = \max_k x_k$ so that no exponential overflows. A model that returns it trains on the log of its output ([\`nnc train\`](training.md)), never on a second softmax.`);
export const LOG_SOFTMAX = softmaxLike(LOG_SOFTMAX_KERNEL, "log_softmax", "log of softmax over axis 1", md`Over axis 1, for each sample (and pixel): $y_c = x_c - \log \sum_k e^{x_k}$, computed as $x_c - m - \log \sum_k e^{x_k - m}$ with $m = \max_k x_k$.`);
