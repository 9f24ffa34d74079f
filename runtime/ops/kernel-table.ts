/**
 * The runtime's table of IR operators: each operator's runtime part (its kernel call, its form
 * in a write-back, its plan kernel), by IR operator. Generated modules run their fallback steps
 * through it and the plan reads its kernels from it; it imports no shape rule, lowering or ONNX
 * form, so a `--standalone` module that copies it stays small. The compiler's table, with
 * everything, is `index.ts`; a test checks that both list the same operators.
 */
import { ACTIVATION_KERNELS } from "./activation-table.js";
import { ARITHMETIC_KERNELS } from "./arithmetic.js";
import { BATCH_NORMALIZATION_KERNEL } from "./batch-norm.js";
import { BATCH_RENORMALIZATION_KERNEL } from "./batch-renorm.js";
import { CHANNEL_NORMALIZATION_KERNEL } from "./channel-norm.js";
import { CHANNEL_SHUFFLE_KERNEL } from "./channel-shuffle.js";
import { CONCAT_KERNEL } from "./concat.js";
import { CONV_KERNEL } from "./conv.js";
import { GEMM_KERNEL } from "./dense.js";
import { DROPOUT_KERNEL } from "./dropout.js";
import { FOLD_AFFINE_KERNEL, NORMALIZATION_AFFINE_KERNEL } from "./fold-affine.js";
import { FILTER_RESPONSE_NORMALIZATION_KERNEL } from "./frn.js";
import { GROUP_NORMALIZATION_KERNEL } from "./group-norm.js";
import { IDENTITY_KERNEL } from "./identity.js";
import { INSTANCE_NORMALIZATION_KERNEL } from "./instance-norm.js";
import { LAYER_NORMALIZATION_KERNEL } from "./layer-norm.js";
import { MAXOUT_KERNEL } from "./maxout.js";
import { POOL_KERNELS } from "./pool.js";
import { PRELU_KERNEL } from "./prelu.js";
import { FLATTEN_KERNEL, RESHAPE_KERNEL } from "./reshape.js";
import { ACTIVATION_GRADIENT_KERNELS } from "./grad-activations.js";
import { NORM_GRADIENT_KERNELS } from "./grad-norms.js";
import { STRUCTURE_GRADIENT_KERNELS } from "./grad-structure.js";
import { TRAINING_LOSS_KERNEL } from "./loss.js";
import { LOG_SOFTMAX_KERNEL, SOFTMAX_KERNEL } from "./softmax.js";
import { SLICE_KERNEL } from "./slice.js";
import { SWITCHABLE_NORMALIZATION_KERNEL } from "./switchable-norm.js";
import type { KernelEntry } from "./types.js";
import { SCALED_WEIGHT_STANDARDIZATION_KERNEL, WEIGHT_STANDARDIZATION_KERNEL } from "./weight-standardization.js";

/** Every IR operator's runtime part, by IR operator. */
export const KERNELS: ReadonlyMap<string, KernelEntry> = new Map(
  [
    CONV_KERNEL,
    WEIGHT_STANDARDIZATION_KERNEL,
    SCALED_WEIGHT_STANDARDIZATION_KERNEL,
    GEMM_KERNEL,
    ...POOL_KERNELS,
    FLATTEN_KERNEL,
    RESHAPE_KERNEL,
    ...ACTIVATION_KERNELS,
    PRELU_KERNEL,
    MAXOUT_KERNEL,
    SOFTMAX_KERNEL,
    LOG_SOFTMAX_KERNEL,
    DROPOUT_KERNEL,
    ...ARITHMETIC_KERNELS,
    CONCAT_KERNEL,
    SLICE_KERNEL,
    CHANNEL_SHUFFLE_KERNEL,
    IDENTITY_KERNEL,
    BATCH_NORMALIZATION_KERNEL,
    BATCH_RENORMALIZATION_KERNEL,
    LAYER_NORMALIZATION_KERNEL,
    CHANNEL_NORMALIZATION_KERNEL,
    INSTANCE_NORMALIZATION_KERNEL,
    GROUP_NORMALIZATION_KERNEL,
    FILTER_RESPONSE_NORMALIZATION_KERNEL,
    SWITCHABLE_NORMALIZATION_KERNEL,
    NORMALIZATION_AFFINE_KERNEL,
    FOLD_AFFINE_KERNEL,
    TRAINING_LOSS_KERNEL,
    ...STRUCTURE_GRADIENT_KERNELS,
    ...ACTIVATION_GRADIENT_KERNELS,
    ...NORM_GRADIENT_KERNELS,
  ].map((k) => [k.op, k]),
);

/** The runtime part of the IR operator `op`; throws for an operator the registry lacks. */
export function kernelEntry(op: string, node?: string): KernelEntry {
  const entry = KERNELS.get(op);
  if (entry === undefined) throw new Error(`IR: no registered operator ${op}${node ? ` (${node})` : ""}`);
  return entry;
}
