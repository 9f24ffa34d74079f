/**
 * Shapes for ONNX forms. Reshape targets never bake in a batch size: the batch axis is written
 * `0` (copy the input's), a symbolic axis `-1` (infer it), so one ONNX file serves every batch size.
 */
import { OnnxFormError, type Dim } from "./types.js";

/**
 * The `shape` input of a Reshape to `dims` (IR dimensions, batch first); throws when more than one
 * non-batch axis is symbolic, since Reshape can infer only one.
 */
export function reshapeTarget(layer: string, dims: readonly Dim[]): number[] {
  const target = dims.map((d, axis) => (axis === 0 ? 0 : typeof d === "number" ? d : -1));
  if (target.filter((d) => d === -1).length > 1) {
    throw new OnnxFormError(`${layer}: reshaping to [${dims.join(", ")}] needs more than one inferred axis in ONNX`);
  }
  return target;
}

/** True when `reshapeTarget` can express `dims`. */
export function isExpressible(dims: readonly Dim[]): boolean {
  return dims.slice(1).filter((d) => typeof d !== "number").length <= 1;
}

/** The broadcast shape of a per-channel `[C]` tensor against a tensor of rank `rank` (`[C, 1, 1]`). */
export function channelShape(channels: number, rank: number): number[] {
  return [channels, ...Array<number>(Math.max(0, rank - 2)).fill(1)];
}

/** The axes after batch and channels: `[2, 3]` for rank 4. */
export function spatialAxes(rank: number): number[] {
  return Array.from({ length: rank - 2 }, (_, i) => i + 2);
}
