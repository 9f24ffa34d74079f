/** Backward kernels (pool); filled in by the training work. */
export {};
