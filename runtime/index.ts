/**
 * nnc's runtime (`nnc/runtime`): the tensor type and one pure kernel per operator, over
 * `{ shape, data: Float32Array }` in row-major NCHW / `[N, F]` layout.
 *
 * Conventions shared by every kernel:
 * - Arguments follow the ONNX op's inputs (`conv(x, weight, bias)`,
 *   `batchNormalization(x, scale, bias, mean, var)`), then an attribute object whose fields are
 *   ONNX's attribute names in camelCase with the language's defaults, then an optional `out`
 *   buffer for a memory planner (used through its prefix; it may be longer than needed).
 * - Kernels never modify their inputs and keep no state. A kernel with several results returns
 *   them as an array in the order of its IR node's outputs: training-mode normalizers
 *   (`…Training`) return `[y, running_mean, running_var]` (`running_std` for batch
 *   renormalization), as ONNX's training-mode `BatchNormalization` does, the statistics as new
 *   tensors.
 * - Shapes are checked on entry; a mismatch throws an Error that names the kernel and tensor.
 */
export { assertRank, assertShape, BufferPool, freshFloats, outputTensor, sizeOf, tensor, withBufferPool, type Tensor } from "./tensor.js";
export { samePads, type IntPair, type Pads2d, type PadSpec, type PoolAttributes } from "./window.js";
export { createRandom, type RandomSource } from "./random.js";
export type { TrainingResult } from "./moments.js";
export type { FusedActivation } from "./linalg/epilogue.js";
export { gemmCore, packedScratchSize, type GemmOperands } from "./linalg/gemm-core.js";
export { setTrainingFma, setTrainingThreads, trainingFma, trainingThreads } from "./linalg/wasm-products.js";
export { enableRelaxedSimd } from "./wasm/relaxed-simd.js";
export { setTrainingWinogradTile, trainingWinogradTile } from "./linalg/heap-winograd.js";

export { conv, type ConvAttributes } from "./kernels/conv.js";
export { gemm, type GemmAttributes } from "./kernels/gemm.js";
export { maxPool, type MaxPoolAttributes } from "./kernels/max-pool.js";
export { averagePool, type AveragePoolAttributes } from "./kernels/average-pool.js";
export { adaptiveAveragePool, type AdaptiveAveragePoolAttributes } from "./kernels/adaptive-average-pool.js";
export { globalAveragePool } from "./kernels/global-average-pool.js";
export { globalMaxPool } from "./kernels/global-max-pool.js";
export { flatten } from "./kernels/flatten.js";

export { relu } from "./kernels/relu.js";
export { sigmoid } from "./kernels/sigmoid.js";
export { tanh } from "./kernels/tanh.js";
export { erf, gelu } from "./kernels/gelu.js";
export { silu } from "./kernels/silu.js";
export { leakyRelu, type LeakyReluAttributes } from "./kernels/leaky-relu.js";
export { elu, type EluAttributes } from "./kernels/elu.js";
export { prelu } from "./kernels/prelu.js";
export { maxout, type MaxoutAttributes } from "./kernels/maxout.js";
export { softmax } from "./kernels/softmax.js";
export { logSoftmax } from "./kernels/log-softmax.js";
export { dropout, type DropoutAttributes } from "./kernels/dropout.js";
export { standardize, type StandardizeAttributes } from "./kernels/standardize.js";
export { clip, type ClipAttributes } from "./ops/relu6.js";
export { hardswish } from "./ops/hardswish.js";
export { hardsigmoid, type HardSigmoidAttributes } from "./ops/hardsigmoid.js";
export { add, addRelu } from "./kernels/add.js";
export { mul } from "./kernels/mul.js";
export { sub } from "./kernels/sub.js";
export { div } from "./kernels/div.js";
export { sqrt } from "./kernels/sqrt.js";
export { reshape } from "./kernels/reshape.js";
export { identity } from "./kernels/identity.js";
export { broadcastBinary, broadcastShape } from "./broadcast.js";
export { concat, type ConcatAttributes } from "./kernels/concat.js";
export { slice, type SliceAttributes } from "./kernels/slice.js";
export { channelShuffle, type ChannelShuffleAttributes } from "./kernels/channel-shuffle.js";

export {
  batchNormalization,
  batchNormalizationTraining,
  type BatchNormalizationAttributes,
  type BatchNormalizationTrainingAttributes,
} from "./kernels/batch-normalization.js";
export { batchRenorm, batchRenormTraining, type BatchRenormTrainingAttributes } from "./kernels/batch-renorm.js";
export { layerNormalization, type LayerNormalizationAttributes } from "./kernels/layer-normalization.js";
export { channelNormalization, type ChannelNormalizationAttributes } from "./kernels/channel-normalization.js";
export { instanceNormalization, type InstanceNormalizationAttributes } from "./kernels/instance-normalization.js";
export { groupNormalization, type GroupNormalizationAttributes } from "./kernels/group-normalization.js";
export {
  filterResponseNormalization,
  type FilterResponseNormalizationAttributes,
} from "./kernels/filter-response-normalization.js";
export {
  switchableNormalization,
  switchableNormalizationTraining,
  type SwitchableNormalizationAttributes,
  type SwitchableNormalizationTrainingAttributes,
  type SwitchableParameters,
} from "./kernels/switchable-normalization.js";
export {
  scaledWeightStandardization,
  weightStandardization,
  type WeightStandardizationAttributes,
} from "./kernels/weight-standardization.js";
export {
  normalizationAffine,
  type AffineAttributes,
  type NormalizationAffineAttributes,
} from "./kernels/normalization-affine.js";
export { foldAffine } from "./kernels/fold-affine.js";

export { readSafetensorsTensors, isStepCounter, type CheckpointTensor } from "./safetensors.js";
export { checkInput, copyState, isOptimizerState, loadWeights, splitOptimizerState, type ParameterSpec, type WeightsSource } from "./model-support.js";
export { fastForward, type EngineOptions, type FastForward, type ModelEngine, type ModuleStep } from "./fast/module-engine.js";

export * from "./gradients/index.js";
export * from "./train/index.js";
