/** `softmax` and `log_softmax` over axis 1; the IR's `Softmax` and `LogSoftmax` (axis 1). */
import { pointwise } from "./pointwise.js";

function softmaxLike(layer: string, op: string, kernel: string, doc: string) {
  return pointwise({
    layer,
    op,
    doc,
    flops: 3,
    attrs: () => ({ axis: 1 }),
    kernel,
    onnx: (e, x, suffix) => e.last(op, [x], { axis: { int: e.num("axis", 1) } }, suffix),
  });
}

export const SOFTMAX = softmaxLike("softmax", "Softmax", "softmax", "softmax over axis 1");
export const LOG_SOFTMAX = softmaxLike("log_softmax", "LogSoftmax", "logSoftmax", "log of softmax over axis 1");
