/** The backward operators of the linear layers, pools and structural operators (conv, dense, pools, reshape, concat, arithmetic, dropout). */
import type { KernelEntry, OperatorModule } from "./types.js";

export const STRUCTURE_GRADIENT_KERNELS: readonly KernelEntry[] = [];
export const STRUCTURE_GRADIENT_OPERATORS: OperatorModule = { ir: [] };
