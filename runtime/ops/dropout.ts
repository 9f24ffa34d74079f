/**
 * `dropout`: inverted dropout in training (kept elements scaled by 1/(1-p)), the identity at
 * inference; the IR's `Dropout` (ratio), written to ONNX as `Identity` (inference form).
 *
 * Its backward multiplies the output's gradient by the mask the training forward applied: the
 * gradient pass gives a node whose gradient is wanted a second output, `<node>.mask`, and the
 * attribute `saved: 1`, and the node then runs `dropoutWithMask`, which returns `[y, mask]`.
 */
import { md } from "./reference.js";
import { outputGradient } from "./grad-structure.js";
import { input, literal, num } from "./kernel-call.js";
import { pointwise, pointwiseKernel } from "./pointwise.js";

export const DROPOUT_KERNEL = pointwiseKernel({
  op: "Dropout",
  kernel: (node, training) => {
    const args = [input(0), literal({ p: num(node, "ratio", 0.5), training }), { kind: "random" } as const];
    return num(node, "saved", 0) === 1 ? { kernel: "dropoutWithMask", args, outputs: 2 } : { kernel: "dropout", args };
  },
  alias: true,
});

export const DROPOUT = pointwise(DROPOUT_KERNEL, {
  layer: "dropout",
  reference: {
    shape: "Any shape of rank 2 or more, unchanged.",
    formula: {
      train: md`Inverted dropout: each element is kept with probability $1 - p$ and zeroed otherwise, independently, and kept elements are scaled: $y = x \ m / (1 - p)$ with $m \sim \mathrm{Bernoulli}(1 - p)$, so that the expected output is $x$. The gradient goes through the same mask.`,
      eval: "The identity: $y = x$.",
    },
    inference: "Removed, as `identity` is.",
    example: { inputs: "x: [N, 128]", returns: "x -> dropout(0.2)" },
  },
  doc: "inverted dropout in training (scale 1/(1-p)); identity at inference",
  args: [{ name: "p", type: "float", default: 0.5, min: 0, max: 1, maxExclusive: true, doc: "probability of zeroing an element, in [0, 1)" }],
  family: "structure",
  flops: 0,
  attrs: (a) => ({ ratio: Number(a.p) }),
  onnx: (e, x, suffix) => e.last("Identity", [x], {}, suffix),
  torch: { call: (t) => `F.dropout(${t.inputs[0]}, ${t.value(t.attrs.p, "p", "float")}, self.training)` },
  backward: {
    saves: ["mask"],
    gradients: (g) => g.backward("DropoutGrad", [outputGradient(g), g.node.outputs[1]]),
  },
});
