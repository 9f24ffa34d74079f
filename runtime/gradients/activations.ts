/** Backward kernels (activations); filled in by the training work. */
export {};
