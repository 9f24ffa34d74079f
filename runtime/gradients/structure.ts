/** Backward kernels (structure); filled in by the training work. */
export {};
