/** The backward operators of the activations, prelu, maxout, softmax and log_softmax. */
import type { KernelEntry, OperatorModule } from "./types.js";

export const ACTIVATION_GRADIENT_KERNELS: readonly KernelEntry[] = [];
export const ACTIVATION_GRADIENT_OPERATORS: OperatorModule = { ir: [] };
