/**
 * Learning-rate schedules as closed forms of step t (counted from 0): the rate step t uses is
 * what PyTorch's scheduler holds after t calls of `scheduler.step()`, one after each
 * `optimizer.step()`.
 *
 * - constant: `lr`.
 * - step: `lr · gamma^floor(t / stepSize)` (`StepLR`, gamma 0.1 by default).
 * - cosine: `minLr + (lr − minLr) · (1 + cos(π t / totalSteps)) / 2` for t ≤ totalSteps
 *   (`CosineAnnealingLR`, minLr 0 by default), then `minLr` (where torch's would climb again).
 * - warm-up of W steps: `lr · (t + 1) / (W + 1)` for t < W — `LinearLR` with start_factor
 *   1/(W + 1) and total_iters W, so the ramp rises in equal steps and its next value is `lr` —
 *   then the schedule from its own step 0, at t − W, as `SequentialLR` with milestone W runs them.
 */
import type { ScheduleSettings } from "./settings.js";

/** The learning rate that step `step` (from 0) uses under `schedule`, from the optimizer's `lr`. */
export function learningRateAt(schedule: ScheduleSettings | undefined, lr: number, step: number): number {
  if (schedule === undefined) return lr;
  const warmup = schedule.warmupSteps ?? 0;
  if (step < warmup) return (lr * (step + 1)) / (warmup + 1);
  const t = step - warmup;
  switch (schedule.name) {
    case "constant":
      return lr;
    case "step":
      return lr * (schedule.gamma ?? 0.1) ** Math.floor(t / schedule.stepSize);
    case "cosine": {
      const minLr = schedule.minLr ?? 0;
      if (t >= schedule.totalSteps) return minLr;
      return minLr + ((lr - minLr) * (1 + Math.cos((Math.PI * t) / schedule.totalSteps))) / 2;
    }
  }
}
