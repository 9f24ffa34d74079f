/** `identity`, and `none` (the normalizer that does nothing): both the IR's `Identity`. */
import { outputGradient, withBackward } from "./grad-structure.js";
import { pointwise, pointwiseKernel, sameOnnx, type PointwiseEntry } from "./pointwise.js";
import type { LayerOperator } from "./types.js";

export const IDENTITY_KERNEL = pointwiseKernel({ op: "Identity", kernel: "identity", alias: true });

const IDENTITY_ENTRY = pointwise(IDENTITY_KERNEL, { layer: "identity", doc: "returns its input", family: "structure", flops: 0, onnx: sameOnnx("Identity") });

/** The gradient passes through unchanged: the output's gradient is the input's, with no node. */
const IDENTITY_OPERATOR = withBackward(IDENTITY_ENTRY.operator, { gradients: (g) => [outputGradient(g)] });

export const IDENTITY: PointwiseEntry = { ...IDENTITY_ENTRY, operator: IDENTITY_OPERATOR, ir: [IDENTITY_OPERATOR] };

export const NONE_LAYER: LayerOperator = {
  name: "none",
  doc: "no normalization: the identity",
  family: "normalizer",
  inputs: 1,
  args: [],
  infer: (_attrs, [x]) => ({ shape: x, params: [], flops: 0 }),
  lower: (ctx) => ctx.emit("Identity", [ctx.inputs[0]]),
};
