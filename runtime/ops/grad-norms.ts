/** The backward operators of the normalizers and of weight standardization. */
import type { KernelEntry, OperatorModule } from "./types.js";

export const NORM_GRADIENT_KERNELS: readonly KernelEntry[] = [];
export const NORM_GRADIENT_OPERATORS: OperatorModule = { ir: [] };
