/**
 * The operator registry: every layer of the language and every IR operator, each written once
 * in a file of this folder. The checker, lowering, the IR executor, the TypeScript and ONNX
 * emitters, the plan, the language server and the generated reference docs read these tables.
 *
 * This is the compiler's table. The runtime reads only the operators' runtime parts, through
 * `kernel-table.ts` (and `activation-table.ts` for the activations), so that generated modules
 * and their `--standalone` copies carry no shape rules, lowerings or ONNX forms.
 *
 * Adding an operator: write its file (a layer with its signature, shape rule and lowering; an
 * IR operator with its runtime part — kernel call, write-back form, plan kernel — and its ONNX
 * form); list it below and its runtime part in `kernel-table.ts` (an element-wise activation in
 * `activation-operators.ts` and `activation-table.ts` instead); export its kernel from
 * `runtime/index.ts` when the file defines one. The completeness test then walks it through
 * every stage; `docs/ARCHITECTURE.md` lists the rest (fixtures, tests).
 */
import { ACTIVATION_OPERATORS } from "./activation-operators.js";
import { ARITHMETIC_OPERATORS } from "./arithmetic.js";
import { BATCH_NORM_OPERATORS } from "./batch-norm.js";
import { BATCH_RENORM_OPERATORS } from "./batch-renorm.js";
import { CHANNEL_NORM_OPERATORS } from "./channel-norm.js";
import { CHANNEL_SHUFFLE_OPERATORS } from "./channel-shuffle.js";
import { CONCAT_OPERATORS } from "./concat.js";
import { CONV_OPERATORS } from "./conv.js";
import { DENSE_OPERATORS } from "./dense.js";
import { DROPOUT } from "./dropout.js";
import { FOLD_AFFINE_OPERATORS } from "./fold-affine.js";
import { FRN_OPERATORS } from "./frn.js";
import { GROUP_NORM_OPERATORS } from "./group-norm.js";
import { IDENTITY, NONE_LAYER } from "./identity.js";
import { INSTANCE_NORM_OPERATORS } from "./instance-norm.js";
import { LAYER_NORM_OPERATORS } from "./layer-norm.js";
import { MAXOUT_OPERATORS } from "./maxout.js";
import { POOL_OPERATORS } from "./pool.js";
import { PRELU_OPERATORS } from "./prelu.js";
import { RESHAPE_OPERATORS } from "./reshape.js";
import { SCALE_OPERATORS } from "./scale.js";
import { SLICE_OPERATORS } from "./slice.js";
import { ACTIVATION_GRADIENT_OPERATORS } from "./grad-activations.js";
import { NORM_GRADIENT_OPERATORS } from "./grad-norms.js";
import { STRUCTURE_GRADIENT_OPERATORS } from "./grad-structure.js";
import { LOSS_OPERATORS } from "./loss.js";
import { LOG_SOFTMAX, SOFTMAX } from "./softmax.js";
import { STANDARDIZE_LAYER } from "./standardize.js";
import { SWITCHABLE_NORM_OPERATORS } from "./switchable-norm.js";
import type { IrOperator, LayerOperator, OperatorModule } from "./types.js";


/** Every registry file's contribution, in the order of the reference docs. */
const MODULES: readonly OperatorModule[] = [
  CONV_OPERATORS,
  DENSE_OPERATORS,
  SCALE_OPERATORS,
  POOL_OPERATORS,
  RESHAPE_OPERATORS,
  ...ACTIVATION_OPERATORS,
  PRELU_OPERATORS,
  MAXOUT_OPERATORS,
  SOFTMAX,
  LOG_SOFTMAX,
  DROPOUT,
  { layers: [STANDARDIZE_LAYER] },
  ARITHMETIC_OPERATORS,
  CONCAT_OPERATORS,
  SLICE_OPERATORS,
  CHANNEL_SHUFFLE_OPERATORS,
  IDENTITY,
  BATCH_NORM_OPERATORS,
  BATCH_RENORM_OPERATORS,
  LAYER_NORM_OPERATORS,
  CHANNEL_NORM_OPERATORS,
  INSTANCE_NORM_OPERATORS,
  GROUP_NORM_OPERATORS,
  FRN_OPERATORS,
  SWITCHABLE_NORM_OPERATORS,
  FOLD_AFFINE_OPERATORS,
  { layers: [NONE_LAYER] },
  LOSS_OPERATORS,
  STRUCTURE_GRADIENT_OPERATORS,
  ACTIVATION_GRADIENT_OPERATORS,
  NORM_GRADIENT_OPERATORS,
];

/** Every layer of the language, in the order of the reference docs. */
export const LAYER_LIST: readonly LayerOperator[] = MODULES.flatMap((m) => m.layers ?? []);

/** Every layer by name. */
export const LAYERS: ReadonlyMap<string, LayerOperator> = new Map(LAYER_LIST.map((l) => [l.name, l]));

/** Every IR operator by its name. */
export const IR_OPERATORS: ReadonlyMap<string, IrOperator> = new Map(MODULES.flatMap((m) => m.ir ?? []).map((o) => [o.op, o]));

/** The IR operator `op`; throws for an operator the registry lacks (a bug in a pass or a lowering). */
export function irOperator(op: string, node?: string): IrOperator {
  const entry = IR_OPERATORS.get(op);
  if (entry === undefined) throw new Error(`IR: no registered operator ${op}${node ? ` (${node})` : ""}`);
  return entry;
}

export { KERNELS, kernelEntry } from "./kernel-table.js";
export { fusedActivation } from "./fused.js";
export type * from "./types.js";
export type { KernelArg, KernelCall, LiteralValue } from "./kernel-call.js";
export { OnnxFormError } from "./types.js";
