/**
 * Slice: a contiguous range of indices along some axes, ONNX `Slice` with step 1 (what the layer
 * `slice(start, end)` lowers to, on the channel axis) and PyTorch's `x[:, start:end]`.
 */
import { outputTensor, sizeOf, type Tensor } from "../tensor.js";

/** Attributes of {@link slice}: ONNX `Slice`'s starts, ends and axes, one entry per sliced axis. */
export interface SliceAttributes {
  /** The first index kept on each axis. */
  starts: readonly number[];
  /** One past the last index kept on each axis. */
  ends: readonly number[];
  /** The axes sliced (default: 0, 1, ... in order); each at most once. */
  axes?: readonly number[];
}

/** The per-axis `[start, end)` ranges of a slice of `shape`; throws on a range outside it. */
export function sliceRanges(shape: readonly number[], attributes: SliceAttributes, what = "slice"): [number, number][] {
  const ranges = shape.map((d): [number, number] => [0, d]);
  const axes = attributes.axes ?? attributes.starts.map((_, i) => i);
  if (attributes.starts.length !== axes.length || attributes.ends.length !== axes.length) {
    throw new Error(`${what}: needs one start and one end per axis, got ${attributes.starts.length} and ${attributes.ends.length} for ${axes.length}`);
  }
  axes.forEach((axis, i) => {
    const [start, end] = [attributes.starts[i], attributes.ends[i]];
    const size = shape[axis];
    if (size === undefined || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start >= end || end > size) {
      throw new Error(`${what}: cannot take ${start}..${end} of axis ${axis} of [${shape.join(", ")}]`);
    }
    ranges[axis] = [start, end];
  });
  return ranges;
}

/**
 * Copies between a tensor of `full` shape and its slice `ranges`, run by run: `toSlice` reads the
 * full tensor into the slice, otherwise the slice is written into the full tensor.
 */
export function copySlice(full: Float32Array, fullShape: readonly number[], part: Float32Array, ranges: readonly [number, number][], toSlice: boolean): void {
  const rank = fullShape.length;
  // The innermost axes that are kept whole make one contiguous run with the last sliced axis.
  let last = rank - 1;
  while (last > 0 && ranges[last][0] === 0 && ranges[last][1] === fullShape[last]) last--;
  const inner = sizeOf(fullShape.slice(last + 1));
  const run = (ranges[last][1] - ranges[last][0]) * inner;
  const partShape = ranges.map(([a, b]) => b - a);
  const runs = sizeOf(partShape.slice(0, last));
  const index = new Array<number>(last).fill(0);
  for (let r = 0; r < runs; r++) {
    let offset = 0;
    for (let axis = 0; axis < last; axis++) offset = offset * fullShape[axis] + ranges[axis][0] + index[axis];
    offset = (offset * fullShape[last] + ranges[last][0]) * inner;
    if (toSlice) part.set(full.subarray(offset, offset + run), r * run);
    else full.set(part.subarray(r * run, (r + 1) * run), offset);
    for (let axis = last - 1; axis >= 0; axis--) {
      if (++index[axis] < partShape[axis]) break;
      index[axis] = 0;
    }
  }
}

/** Returns the slice of `x`, in `out` when a buffer is passed. */
export function slice(x: Tensor, attributes: SliceAttributes, out?: Float32Array): Tensor {
  const ranges = sliceRanges(x.shape, attributes);
  const y = outputTensor(ranges.map(([a, b]) => b - a), out, "slice");
  copySlice(x.data, x.shape, y.data, ranges, true);
  return y;
}
