/** Backward kernels (normalization); filled in by the training work. */
export {};
