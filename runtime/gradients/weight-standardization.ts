/** Backward kernels (weight-standardization); filled in by the training work. */
export {};
