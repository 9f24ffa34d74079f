/** Identity: returns its input (the same tensor: kernels never modify their inputs). */
import type { Tensor } from "../tensor.js";

/** Returns `x` itself. */
export function identity(x: Tensor): Tensor {
  return x;
}
