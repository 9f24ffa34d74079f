/**
 * The backward operators of the linear layers, pools and structural operators (conv, dense,
 * pools, flatten and reshape, concat, slice and channel shuffle, arithmetic, dropout), and the backward rules' shared forms.
 * Each `<Op>Grad` node runs the kernel `<kernel>Backward` of `runtime/gradients/`.
 */
import { gradientKernel, gradientOperator } from "./gradient.js";
import type { BackwardRule, GradientContext, KernelEntry, OperatorModule } from "./types.js";

export const STRUCTURE_GRADIENT_KERNELS: readonly KernelEntry[] = [
  gradientKernel("ConvGrad", "convBackward"),
  gradientKernel("GemmGrad", "gemmBackward"),
  gradientKernel("MaxPoolGrad", "maxPoolBackward"),
  gradientKernel("AveragePoolGrad", "averagePoolBackward"),
  gradientKernel("AdaptiveAveragePoolGrad", "adaptiveAveragePoolBackward"),
  gradientKernel("GlobalAveragePoolGrad", "globalAveragePoolBackward", false),
  gradientKernel("GlobalMaxPoolGrad", "globalMaxPoolBackward", false),
  gradientKernel("FlattenGrad", "flattenBackward", false),
  gradientKernel("ReshapeGrad", "reshapeBackward", false),
  gradientKernel("ConcatGrad", "concatBackward"),
  gradientKernel("SliceGrad", "sliceBackward"),
  gradientKernel("ChannelShuffleGrad", "channelShuffleBackward"),
  gradientKernel("AddGrad", "addBackward"),
  gradientKernel("SubGrad", "subBackward"),
  gradientKernel("MulGrad", "mulBackward"),
  gradientKernel("DivGrad", "divBackward"),
  gradientKernel("DropoutGrad", "dropoutBackward", false),
];

export const STRUCTURE_GRADIENT_OPERATORS: OperatorModule = { ir: STRUCTURE_GRADIENT_KERNELS.map(gradientOperator) };

/** The gradient of the forward node's output; the pass calls a rule only when there is one. */
export function outputGradient(g: GradientContext): string {
  const dy = g.grad();
  if (dy === undefined) throw new Error(`IR: ${g.node.op} (${g.node.name}) has no output gradient`);
  return dy;
}

/**
 * The rule of an operator whose backward node `op` reads the output's gradient and then the
 * forward inputs, `count` of them (an absent optional input, a conv's bias, passed as absent).
 */
export function readsInputs(op: string, count?: number): BackwardRule {
  return {
    gradients: (g) => {
      if (g.node.attrs.activation !== undefined) throw new Error(`IR: ${g.node.op} (${g.node.name}) has a fused activation, which has no backward`);
      const inputs = Array.from({ length: count ?? g.node.inputs.length }, (_, i) => g.node.inputs[i] ?? "");
      return g.backward(op, [outputGradient(g), ...inputs]);
    },
  };
}

/** Shapes equal dimension by dimension (symbolic ones by name). */
function sameShape(a: readonly (number | string)[], b: readonly (number | string)[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The rule of `Add` and `Sub`: where an operand has the output's shape and its gradient is `dy`
 * itself (`Add`, or `Sub`'s first operand) no node is needed; otherwise `AddGrad` or `SubGrad`
 * reduces over the broadcast axes (and negates `Sub`'s second operand).
 */
export function sumRule(op: "Add" | "Sub"): BackwardRule {
  const general = readsInputs(`${op}Grad`);
  return {
    gradients: (g) => {
      const dy = outputGradient(g);
      const out = g.shape(g.node.outputs[0]);
      const plain = g.node.inputs.map((input, i) => (op === "Add" || i === 0) && sameShape(g.shape(input), out));
      const needsNode = g.node.inputs.some((_, i) => g.wants(i) && !plain[i]);
      if (!needsNode) return plain.map((p) => (p ? dy : undefined));
      return general.gradients(g);
    },
  };
}
