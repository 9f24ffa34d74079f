/**
 * `TrainingLoss(output, target, logits?)`: the loss node of a training graph
 * (`compiler/train/training-graph.ts`), with the loss chosen when the step runs. It returns the
 * loss and the gradients that seed reverse mode: of the output, and of the logits when the model
 * ends in softmax or log_softmax. No ONNX form: training graphs are not written to ONNX.
 */
import { input, lossSettings, optional } from "./kernel-call.js";
import { OnnxFormError, type IrOperator, type KernelEntry } from "./types.js";

export const TRAINING_LOSS_KERNEL: KernelEntry = {
  op: "TrainingLoss",
  kernel: (node) => ({
    kernel: "trainingLoss",
    args: [input(0), input(1), optional(2), lossSettings],
    outputs: node.inputs[2] ? 3 : 2,
  }),
};

/** An operator of training graphs only: it has no ONNX form. */
export function noOnnx(op: string): IrOperator["onnx"] {
  return () => {
    throw new OnnxFormError(`${op} belongs to training graphs, which have no ONNX form`);
  };
}

export const TRAINING_LOSS: IrOperator = { ...TRAINING_LOSS_KERNEL, onnx: noOnnx("TrainingLoss") };

export const LOSS_OPERATORS = { ir: [TRAINING_LOSS] };
