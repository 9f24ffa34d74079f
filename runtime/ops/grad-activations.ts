/**
 * The backward operators of the activations, prelu, maxout, softmax and log_softmax. Each forward
 * operator `<Op>` has one backward operator `<Op>Grad`, run by the kernel `<kernel>Backward` of
 * `runtime/gradients/activations.ts` (which states every formula), and a backward rule that makes
 * one such node: it reads the output's gradient, then the tensors its forward entry names (the
 * forward's input, its output, or both), as PyTorch's autograd saves them.
 */
import { outputGradient } from "./grad-structure.js";
import { gradientKernel, gradientOperator } from "./gradient.js";
import type { BackwardRule, KernelEntry, OperatorModule } from "./types.js";

/** A tensor a backward node reads: forward input `index`, or the forward node's output. */
export type Saved = number | "output";

/**
 * The backward rule of the forward operator `op`: one `<op>Grad` node over the output's gradient
 * and the forward node's `saved` tensors, whose outputs are the wanted inputs' gradients.
 */
export function savedBackward(op: string, saved: readonly Saved[]): BackwardRule {
  return {
    gradients: (g) => g.backward(`${op}Grad`, [outputGradient(g), ...saved.map((s) => (s === "output" ? g.node.outputs[0] : g.node.inputs[s]))]),
  };
}

/**
 * Each forward operator with its forward kernel's name: its gradient is `<op>Grad`, run by
 * `<kernel>Backward`, which takes the node's attributes when it reads any.
 */
const FORWARDS: readonly (readonly [op: string, kernel: string, attributes: boolean])[] = [
  ["Relu", "relu", false],
  ["Sigmoid", "sigmoid", false],
  ["Tanh", "tanh", false],
  ["Gelu", "gelu", false],
  ["Silu", "silu", false],
  ["LeakyRelu", "leakyRelu", true],
  ["Elu", "elu", true],
  ["Clip", "clip", true],
  ["HardSwish", "hardswish", false],
  ["HardSigmoid", "hardsigmoid", true],
  ["PRelu", "prelu", true],
  ["Maxout", "maxout", true],
  ["Softmax", "softmax", false],
  ["LogSoftmax", "logSoftmax", false],
];

export const ACTIVATION_GRADIENT_KERNELS: readonly KernelEntry[] = FORWARDS.map(([op, kernel, attributes]) =>
  gradientKernel(`${op}Grad`, `${kernel}Backward`, attributes),
);
export const ACTIVATION_GRADIENT_OPERATORS: OperatorModule = { ir: ACTIVATION_GRADIENT_KERNELS.map(gradientOperator) };
