/**
 * `dropout`: inverted dropout in training (kept elements scaled by 1/(1-p)), the identity at
 * inference; the IR's `Dropout` (ratio), written to ONNX as `Identity` (inference form).
 */
import { input, literal, num } from "./kernel-call.js";
import { pointwise, pointwiseKernel } from "./pointwise.js";

export const DROPOUT_KERNEL = pointwiseKernel({
  op: "Dropout",
  kernel: (node, training) => ({ kernel: "dropout", args: [input(0), literal({ p: num(node, "ratio", 0.5), training }), { kind: "random" }] }),
  alias: true,
});

export const DROPOUT = pointwise(DROPOUT_KERNEL, {
  layer: "dropout",
  doc: "inverted dropout in training (scale 1/(1-p)); identity at inference",
  args: [{ name: "p", type: "float", default: 0.5, min: 0, max: 1, maxExclusive: true, doc: "probability of zeroing an element, in [0, 1)" }],
  family: "structure",
  flops: 0,
  attrs: (a) => ({ ratio: Number(a.p) }),
  onnx: (e, x, suffix) => e.last("Identity", [x], {}, suffix),
});
