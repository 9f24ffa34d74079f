/** Concat: joins tensors along one axis, `torch.cat` and ONNX `Concat`. */
import { outputTensor, sizeOf, type Tensor } from "../tensor.js";

/** Attributes of {@link concat}. */
export interface ConcatAttributes {
  /** The axis to join along; negative counts from the end (default 1, the channels). */
  axis?: number;
}

/**
 * Joins `inputs`, which must agree on every dimension but `axis`; returns a new tensor, in `out`
 * when a buffer is passed.
 */
export function concat(inputs: readonly Tensor[], attributes: ConcatAttributes = {}, out?: Float32Array): Tensor {
  if (inputs.length === 0) throw new Error("concat: needs at least one input");
  const rank = inputs[0].shape.length;
  const requested = attributes.axis ?? 1;
  const axis = requested < 0 ? requested + rank : requested;
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank) {
    throw new Error(`concat: axis ${requested} is out of range for rank ${rank}`);
  }
  let joined = 0;
  for (const t of inputs) {
    const same = t.shape.length === rank && t.shape.every((dim, i) => i === axis || dim === inputs[0].shape[i]);
    if (!same) {
      throw new Error(
        `concat: shapes must agree except on axis ${axis}, got ${inputs.map((u) => `[${u.shape.join(", ")}]`).join(" and ")}`,
      );
    }
    joined += t.shape[axis];
  }
  const shape = inputs[0].shape.map((dim, i) => (i === axis ? joined : dim));
  const y = outputTensor(shape, out, "concat");
  // Each input contributes one contiguous run per index of the axes before `axis`.
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  let offset = 0;
  for (const t of inputs) {
    const run = t.shape[axis] * inner;
    for (let o = 0; o < outer; o++) y.data.set(t.data.subarray(o * run, (o + 1) * run), o * joined * inner + offset);
    offset += run;
  }
  return y;
}
