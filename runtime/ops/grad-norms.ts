/**
 * The backward operators of the normalizers and of weight standardization, and the rule their
 * forward entries share. Each backward node reads the output's gradient and then every input of
 * its forward node (the statistics are recomputed from `x`; batch renormalization's r and d from
 * the running statistics the forward read), and returns the gradients of the wanted inputs.
 */
import { gradientKernel, gradientOperator } from "./gradient.js";
import type { BackwardRule, KernelEntry, OperatorModule } from "./types.js";

/** The rule of a forward operator whose backward node `op` reads the output's gradient and the forward inputs. */
export function readsForwardInputs(op: string): BackwardRule {
  return {
    gradients: (g) => {
      const dy = g.grad();
      if (dy === undefined) throw new Error(`IR: ${g.node.name} has no output gradient`);
      return g.backward(op, [dy, ...g.node.inputs]);
    },
  };
}

export const NORM_GRADIENT_KERNELS: readonly KernelEntry[] = [
  gradientKernel("BatchNormalizationGrad", "batchNormalizationBackward"),
  gradientKernel("BatchRenormalizationGrad", "batchRenormBackward"),
  gradientKernel("LayerNormalizationGrad", "layerNormalizationBackward"),
  gradientKernel("ChannelNormalizationGrad", "channelNormalizationBackward"),
  gradientKernel("InstanceNormalizationGrad", "instanceNormalizationBackward"),
  gradientKernel("GroupNormalizationGrad", "groupNormalizationBackward"),
  gradientKernel("FilterResponseNormalizationGrad", "filterResponseNormalizationBackward"),
  gradientKernel("SwitchableNormalizationGrad", "switchableNormalizationBackward"),
  gradientKernel("WeightStandardizationGrad", "weightStandardizationBackward"),
  gradientKernel("ScaledWeightStandardizationGrad", "scaledWeightStandardizationBackward"),
];

export const NORM_GRADIENT_OPERATORS: OperatorModule = { ir: NORM_GRADIENT_KERNELS.map(gradientOperator) };
