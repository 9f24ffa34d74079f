/** `identity`, and `none` (the normalizer that does nothing): both the IR's `Identity`. */
import { pointwise, sameOnnx } from "./pointwise.js";
import type { LayerOperator } from "./types.js";

export const IDENTITY = pointwise({
  layer: "identity",
  op: "Identity",
  doc: "returns its input",
  family: "structure",
  flops: 0,
  kernel: "identity",
  onnx: sameOnnx("Identity"),
});

export const NONE_LAYER: LayerOperator = {
  name: "none",
  doc: "no normalization: the identity",
  family: "normalizer",
  inputs: 1,
  args: [],
  infer: (_attrs, [x]) => ({ shape: x, params: [], flops: 0 }),
  lower: (ctx) => ctx.emit("Identity", [ctx.inputs[0]]),
};
