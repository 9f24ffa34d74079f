/** `identity`, and `none` (the normalizer that does nothing): both the IR's `Identity`. */
import { outputGradient } from "./grad-structure.js";
import { pointwise, pointwiseKernel, sameOnnx } from "./pointwise.js";
import type { LayerOperator } from "./types.js";

export const IDENTITY_KERNEL = pointwiseKernel({ op: "Identity", kernel: "identity", alias: true });

export const IDENTITY = pointwise(IDENTITY_KERNEL, {
  layer: "identity",
  reference: {
    shape: "Any shape, unchanged.",
    formula: "$y = x$: a placeholder where a layer is expected (a block argument, one side of a residual connection).",
    inference: "Removed: what follows reads its input (a model output that is an input itself becomes one `Identity` node, as in the example).",
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> identity" },
  },
  doc: "returns its input",
  family: "structure",
  flops: 0,
  onnx: sameOnnx("Identity"),
  torch: { call: (t) => t.inputs[0] },
  // The output's gradient is the input's: no node.
  backward: { gradients: (g) => [outputGradient(g)] },
});

export const NONE_LAYER: LayerOperator = {
  name: "none",
  reference: {
    shape: "Any shape, unchanged.",
    formula: "$y = x$: the normalizer to pass where a network is built without normalization (`use norm = none`).",
    inference: "Removed, as `identity` is.",
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> none" },
  },
  doc: "no normalization: the identity",
  family: "normalizer",
  inputs: 1,
  args: [],
  infer: (_attrs, [x]) => ({ shape: x, params: [], flops: 0 }),
  lower: (ctx) => ctx.emit("Identity", [ctx.inputs[0]]),
  torch: { call: (t) => t.inputs[0] },
};
