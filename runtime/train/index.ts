/** Optimizers, gradient clipping (global norm and adaptive), learning-rate schedules: the update half of a training step. */
export {
  validateUpdateSettings,
  type OptimizerSettings,
  type ScheduleSettings,
  type UpdateSettings,
} from "./settings.js";
export { learningRateAt } from "./schedule.js";
export { adaptiveClipGradient, clipGradientNorm } from "./clipping.js";
export { ParameterUpdate, type TrainableParameter } from "./update.js";
