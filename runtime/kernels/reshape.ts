/** Reshape: the same values under another shape (a view: the data is shared, not copied). */
import { sizeOf, type Tensor } from "../tensor.js";

/** Returns `x` viewed as `shape`; one dimension may be -1 (inferred), 0 keeps the input's. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const dims = shape.map((d, i) => (d === 0 ? x.shape[i] : d));
  const known = sizeOf(dims.filter((d) => d !== -1));
  const resolved = dims.map((d) => (d === -1 ? x.data.length / known : d));
  if (sizeOf(resolved) !== x.data.length || resolved.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot view [${x.shape.join(", ")}] as [${shape.join(", ")}]`);
  }
  return { shape: resolved, data: x.data };
}
