/** Optimizers, gradient clipping (global norm and adaptive), learning-rate schedules: the update half of a training step. */
export {};
