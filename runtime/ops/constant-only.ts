/** The compiler's part of an IR operator that only ever computes constants (the folds, weight standardization). */
import { OnnxFormError, type IrOperator, type KernelEntry } from "./types.js";

/**
 * `kernel` as a constant-only IR operator: the generated module runs it once in `load()` and the
 * ONNX emitter evaluates it into initializers; given a non-constant input, ONNX emission fails
 * saying `why`.
 */
export function constantOnly(kernel: KernelEntry, why: string): IrOperator {
  return {
    ...kernel,
    constantOnly: true,
    onnx: (e) => {
      throw new OnnxFormError(`${e.node.op} ${e.node.name}: ${why}`);
    },
  };
}
