/** Backward kernels (linear); filled in by the training work. */
export {};
