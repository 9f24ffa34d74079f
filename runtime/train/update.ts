/**
 * The update half of a training step: clipping, then the optimizer at the schedule's learning
 * rate, in place on a model's weights, with the optimizer state a checkpoint saves.
 *
 * Order within a step: Adaptive Gradient Clipping first, then global-norm clipping, so `clipNorm`
 * bounds the total norm of the gradients the optimizer actually receives (both only shrink
 * gradients, so each clipping's own bound holds after both).
 */
import { lastingFloats } from "../tensor.js";
import { clipGradientNorm, adaptiveClipGradient } from "./clipping.js";
import { applyOptimizer, optimizerSlots, type OptimizerSlot, type ParameterState } from "./optimizers.js";
import { learningRateAt } from "./schedule.js";
import { resolveOptimizer, validateUpdateSettings, type ResolvedOptimizer, type UpdateSettings } from "./settings.js";

/** A parameter the update trains: its name (as in the weights) and shape. */
export interface TrainableParameter {
  readonly name: string;
  readonly shape: readonly number[];
}

interface Parameter {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly clipped: boolean;
  readonly state: ParameterState;
}

/**
 * Clipping, optimizer and schedule over a fixed list of parameters, keeping the optimizer state
 * between steps.
 *
 * `state()` holds `optim.step` (steps taken, which drives the schedule) and, for an optimizer
 * with slots, every parameter's `optim.<param>.<slot>` (`momentum_buffer`; `exp_avg`,
 * `exp_avg_sq`) and `optim.<param>.step` (the updates that parameter has had: one skipped for a
 * missing gradient does not count, so its Adam bias correction and its first momentum step are
 * torch's).
 */
export class ParameterUpdate {
  readonly #parameters: readonly Parameter[];
  readonly #optimizer: ResolvedOptimizer;
  readonly #slots: readonly OptimizerSlot[];
  readonly #settings: UpdateSettings;
  #steps = 0;

  constructor(parameters: readonly TrainableParameter[], settings: UpdateSettings = {}) {
    this.#settings = validateUpdateSettings(settings);
    this.#optimizer = resolveOptimizer(this.#settings.optimizer);
    this.#slots = optimizerSlots(this.#optimizer);
    const known = new Set<string>();
    for (const { name, shape } of parameters) {
      if (known.has(name)) throw new Error(`ParameterUpdate: parameter \`${name}\` is listed twice`);
      known.add(name);
      if (!shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
        throw new Error(`ParameterUpdate: parameter \`${name}\` has an invalid shape [${shape.join(", ")}]`);
      }
    }
    const excluded = new Set(this.#settings.agcExclude ?? []);
    for (const name of excluded) {
      if (!known.has(name)) throw new Error(`agcExclude names \`${name}\`, which is not a trainable parameter of this model`);
    }
    this.#parameters = parameters.map(({ name, shape }) => {
      const size = shape.reduce((product, dim) => product * dim, 1);
      const slots: Partial<Record<OptimizerSlot, Float32Array>> = {};
      // In the training products' tensor arena where there is one, so that the update runs on them there.
      for (const slot of this.#slots) slots[slot] = lastingFloats(size, slots);
      return { name, shape: [...shape], size, clipped: !excluded.has(name), state: { step: 0, slots } };
    });
  }

  /** The learning rate the next step uses. */
  get lr(): number {
    return learningRateAt(this.#settings.schedule, this.#optimizer.lr, this.#steps);
  }

  /** Steps taken. */
  get steps(): number {
    return this.#steps;
  }

  /**
   * Clipping, then the optimizer, in place on `weights[name].data`; a parameter whose gradient is
   * undefined is skipped entirely (as torch skips `p.grad is None`). Clipping scales the given
   * gradients in place, as torch's does `p.grad`. Advances the schedule.
   */
  step(
    weights: Record<string, { shape: number[]; data: Float32Array }>,
    gradients: Record<string, { shape: number[]; data: Float32Array } | undefined>,
  ): void {
    const present: { parameter: Parameter; weight: Float32Array; gradient: Float32Array }[] = [];
    for (const parameter of this.#parameters) {
      const weight = weights[parameter.name];
      if (weight === undefined) throw new Error(`ParameterUpdate.step: no weight \`${parameter.name}\``);
      checkSize(weight.data, parameter, "weight");
      const gradient = gradients[parameter.name];
      if (gradient === undefined) continue;
      checkSize(gradient.data, parameter, "gradient");
      present.push({ parameter, weight: weight.data, gradient: gradient.data });
    }
    const { agc, clipNorm } = this.#settings;
    if (agc !== undefined) {
      for (const { parameter, weight, gradient } of present) {
        if (parameter.clipped) adaptiveClipGradient(weight, gradient, parameter.shape, agc);
      }
    }
    if (clipNorm !== undefined) clipGradientNorm(present.map(({ gradient }) => gradient), clipNorm);
    const lr = this.lr;
    for (const { parameter, weight, gradient } of present) {
      applyOptimizer(this.#optimizer, lr, weight, gradient, parameter.state);
    }
    this.#steps += 1;
  }

  /**
   * The optimizer state as `optim.<param>.<slot>` Float32Arrays (torch's slot names) with each
   * parameter's `optim.<param>.step` and `optim.step` ([1], the steps taken): copies, so a run
   * saved and restored resumes exactly.
   */
  state(): Record<string, Float32Array> {
    const state: Record<string, Float32Array> = { "optim.step": Float32Array.of(this.#steps) };
    if (this.#slots.length === 0) return state;
    for (const { name, state: parameterState } of this.#parameters) {
      state[`optim.${name}.step`] = Float32Array.of(parameterState.step);
      for (const slot of this.#slots) state[`optim.${name}.${slot}`] = parameterState.slots[slot]!.slice();
    }
    return state;
  }

  /**
   * Restores what {@link state} returned (keys not starting with `optim.` are ignored); throws a
   * clear error naming a missing, unexpected or wrongly sized slot, and then changes nothing.
   */
  restore(state: Record<string, Float32Array>): void {
    const expected = new Map<string, number>([["optim.step", 1]]);
    if (this.#slots.length > 0) {
      for (const { name, size } of this.#parameters) {
        expected.set(`optim.${name}.step`, 1);
        for (const slot of this.#slots) expected.set(`optim.${name}.${slot}`, size);
      }
    }
    const kept = this.#slots.length > 0 ? `${this.#slots.join(", ")} and step` : "no slots";
    const what = `${this.#optimizer.name}${this.#optimizer.name === "sgd" ? (this.#optimizer.momentum ? " with momentum" : " without momentum") : ""}`;
    for (const key of Object.keys(state)) {
      if (key.startsWith("optim.") && !expected.has(key)) {
        throw new Error(`optimizer state has \`${key}\`, which ${what} does not keep (it keeps ${kept} per parameter): was it saved with other optimizer settings or another model?`);
      }
    }
    for (const [key, length] of expected) {
      const value = state[key];
      if (value === undefined) throw new Error(`optimizer state lacks \`${key}\` (${what} keeps ${kept} per parameter, and optim.step)`);
      if (!(value instanceof Float32Array) || value.length !== length) {
        const got = value instanceof Float32Array ? `${value.length} values` : typeof value;
        throw new Error(`optimizer state \`${key}\` must be a Float32Array of ${length} values, got ${got}`);
      }
    }
    const steps = stepCount(state["optim.step"]!, "optim.step");
    for (const { name } of this.#parameters) {
      const key = `optim.${name}.step`;
      if (expected.has(key) && stepCount(state[key]!, key) > steps) {
        throw new Error(`optimizer state \`${key}\` counts more updates than optim.step (${steps})`);
      }
    }
    this.#steps = steps;
    if (this.#slots.length === 0) return;
    for (const { name, state: parameterState } of this.#parameters) {
      parameterState.step = state[`optim.${name}.step`]![0]!;
      for (const slot of this.#slots) parameterState.slots[slot]!.set(state[`optim.${name}.${slot}`]!);
    }
  }
}

function checkSize(data: Float32Array, parameter: Parameter, what: string): void {
  if (data.length !== parameter.size) {
    throw new Error(`ParameterUpdate.step: ${what} \`${parameter.name}\` has ${data.length} values; the parameter [${parameter.shape.join(", ")}] has ${parameter.size}`);
  }
}

function stepCount(value: Float32Array, key: string): number {
  const steps = value[0]!;
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`optimizer state \`${key}\` must be a whole number of steps, got ${steps}`);
  return steps;
}
