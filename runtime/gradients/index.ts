/**
 * The backward kernels of training steps, one file per family, and the losses. Each takes the
 * gradient of a forward node's output and what the node read, and returns the gradients of the
 * inputs its backward node wants (see `runtime/ops/gradient.ts`).
 */
export * from "./loss.js";
export * from "./linear.js";
export * from "./pool.js";
export * from "./structure.js";
export * from "./activations.js";
export * from "./normalization.js";
export * from "./channel-normalization.js";
export * from "./weight-standardization.js";
export { matmul, type Product } from "./products.js";
