/**
 * Checkpoints for generated modules: the runtime's one safetensors reader
 * (`weights/safetensors.ts`, which `nnc compile --weights` uses too), as float32 tensors by name.
 * PyTorch's integer `num_batches_tracked` buffers are skipped; any other malformation — a header
 * that does not parse, duplicate names (also behind a JSON escape), overlapping, aliased or
 * unused data, a non-float tensor, bad `__metadata__`, a value float32 cannot hold — throws an
 * Error that says what is wrong and names the tensor.
 */
import { isIgnoredBuffer, readSafetensorsFile } from "./weights/safetensors.js";

export { halfToFloat } from "./weights/dtypes.js";

/** One tensor read from a checkpoint. */
export interface CheckpointTensor {
  shape: number[];
  data: Float32Array;
}

/** True for PyTorch's BatchNorm step counters (`num_batches_tracked`), which are no weights: `load` ignores them. */
export const isStepCounter: (name: string) => boolean = isIgnoredBuffer;

/** Reads a safetensors file into float32 tensors by name; throws an Error naming what is wrong. */
export function readSafetensorsTensors(bytes: Uint8Array): Map<string, CheckpointTensor> {
  const tensors = new Map<string, CheckpointTensor>();
  for (const [name, tensor] of readSafetensorsFile(bytes).tensors) {
    if (!isIgnoredBuffer(name)) tensors.set(name, { shape: [...tensor.shape], data: tensor.data });
  }
  return tensors;
}
