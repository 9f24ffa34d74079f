/**
 * The settings of the update half of a training step (optimizer, learning-rate schedule,
 * clipping), their defaults, and the check that turns a user's options into them.
 *
 * Options come from `load()` and from `nnc train` flags, so every refusal says which option is
 * wrong, what it got and what it accepts.
 */

/** An optimizer as `torch.optim` has it; absent fields take torch's defaults. */
export interface OptimizerSettings {
  readonly name: "sgd" | "adam" | "adamw";
  /** Default 0.01 for sgd, 0.001 for adam and adamw. */
  readonly lr?: number;
  /** sgd only, in [0, 1); default 0. */
  readonly momentum?: number;
  /** sgd only, in [0, 1), with momentum; default 0. */
  readonly dampening?: number;
  /** sgd only, with momentum and no dampening; default false. */
  readonly nesterov?: boolean;
  /** L2 added to the gradient (sgd, adam; default 0) or decoupled decay (adamw; default 0.01). */
  readonly weightDecay?: number;
  /** adam and adamw, each in [0, 1); default [0.9, 0.999]. */
  readonly betas?: readonly [number, number];
  /** adam and adamw, above 0; default 1e-8. */
  readonly eps?: number;
}

/** A learning-rate schedule over steps, optionally after a linear warm-up of `warmupSteps` steps. */
export type ScheduleSettings =
  | { readonly name: "constant"; readonly warmupSteps?: number }
  | { readonly name: "step"; readonly stepSize: number; readonly gamma?: number; readonly warmupSteps?: number }
  | { readonly name: "cosine"; readonly totalSteps: number; readonly minLr?: number; readonly warmupSteps?: number };

/** Everything a {@link ParameterUpdate} does besides the gradients it is given. */
export interface UpdateSettings {
  /** Default `{ name: "sgd", lr: 0.01 }`. */
  readonly optimizer?: OptimizerSettings;
  /** Default constant. */
  readonly schedule?: ScheduleSettings;
  /** Adaptive Gradient Clipping's λ; absent: no AGC. */
  readonly agc?: number;
  /** Parameter names AGC leaves alone (the caller passes the classifier's). */
  readonly agcExclude?: readonly string[];
  /** The largest total gradient 2-norm; absent: no global-norm clipping. */
  readonly clipNorm?: number;
}

/** An optimizer with every default filled in. */
export interface ResolvedOptimizer {
  readonly name: "sgd" | "adam" | "adamw";
  readonly lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
}

/** The optimizer of `settings` with torch's defaults for what it leaves out. */
export function resolveOptimizer(settings: OptimizerSettings | undefined): ResolvedOptimizer {
  const o = settings ?? { name: "sgd" };
  const adaptive = o.name !== "sgd";
  return {
    name: o.name,
    lr: o.lr ?? (adaptive ? 0.001 : 0.01),
    momentum: o.momentum ?? 0,
    dampening: o.dampening ?? 0,
    nesterov: o.nesterov ?? false,
    weightDecay: o.weightDecay ?? (o.name === "adamw" ? 0.01 : 0),
    betas: o.betas ?? [0.9, 0.999],
    eps: o.eps ?? 1e-8,
  };
}

const OPTIMIZER_OPTIONS = {
  sgd: ["name", "lr", "momentum", "dampening", "nesterov", "weightDecay"],
  adam: ["name", "lr", "weightDecay", "betas", "eps"],
  adamw: ["name", "lr", "weightDecay", "betas", "eps"],
} as const;

const SCHEDULE_OPTIONS = {
  constant: ["name", "warmupSteps"],
  step: ["name", "stepSize", "gamma", "warmupSteps"],
  cosine: ["name", "totalSteps", "minLr", "warmupSteps"],
} as const;

/**
 * Checks options given as plain data (from `load()` or `nnc train`) and returns them as
 * {@link UpdateSettings}; throws an Error naming the first wrong option, what it got and what it
 * accepts. Keys other than the five of UpdateSettings are left to the caller (`load()` options
 * also carry the loss), but an optimizer's or schedule's own keys must all be known.
 */
export function validateUpdateSettings(settings: unknown): UpdateSettings {
  if (settings === undefined) return {};
  const top = record(settings, "training options");
  const optimizer = top.optimizer === undefined ? undefined : validateOptimizer(top.optimizer);
  const lr = resolveOptimizer(optimizer).lr;
  const schedule = top.schedule === undefined ? undefined : validateSchedule(top.schedule, lr);
  const agc = top.agc === undefined ? undefined : positive(top.agc, "agc");
  const clipNorm = top.clipNorm === undefined ? undefined : positive(top.clipNorm, "clipNorm");
  const agcExclude = top.agcExclude === undefined ? undefined : names(top.agcExclude, "agcExclude");
  return {
    ...(optimizer && { optimizer }),
    ...(schedule && { schedule }),
    ...(agc !== undefined && { agc }),
    ...(agcExclude && { agcExclude }),
    ...(clipNorm !== undefined && { clipNorm }),
  };
}

function validateOptimizer(value: unknown): OptimizerSettings {
  const o = record(value, "optimizer");
  const name = o.name;
  if (name === undefined) throw new Error(`optimizer needs a name: "sgd", "adam" or "adamw"`);
  if (name !== "sgd" && name !== "adam" && name !== "adamw") {
    throw new Error(`unknown optimizer ${show(name)}: expected "sgd", "adam" or "adamw"`);
  }
  knownKeys(o, OPTIMIZER_OPTIONS[name], `optimizer (${name})`);
  const lr = o.lr === undefined ? undefined : positive(o.lr, "optimizer.lr");
  const weightDecay = o.weightDecay === undefined ? undefined : nonNegative(o.weightDecay, "optimizer.weightDecay");
  if (name !== "sgd") {
    const betas = o.betas === undefined ? undefined : validateBetas(o.betas);
    const eps = o.eps === undefined ? undefined : positive(o.eps, "optimizer.eps");
    return { name, ...(lr !== undefined && { lr }), ...(weightDecay !== undefined && { weightDecay }), ...(betas && { betas }), ...(eps !== undefined && { eps }) };
  }
  const momentum = o.momentum === undefined ? undefined : fraction(o.momentum, "optimizer.momentum");
  const dampening = o.dampening === undefined ? undefined : fraction(o.dampening, "optimizer.dampening");
  if (o.nesterov !== undefined && typeof o.nesterov !== "boolean") {
    throw new Error(`optimizer.nesterov must be true or false, got ${show(o.nesterov)}`);
  }
  const nesterov = o.nesterov;
  if ((dampening ?? 0) > 0 && !(momentum ?? 0)) {
    throw new Error(`optimizer.dampening ${dampening} needs momentum: set optimizer.momentum above 0, or drop dampening`);
  }
  if (nesterov === true && !(momentum ?? 0)) {
    throw new Error("optimizer.nesterov needs momentum: set optimizer.momentum above 0 (0.9 is usual), or drop nesterov");
  }
  if (nesterov === true && (dampening ?? 0) > 0) {
    throw new Error("optimizer.nesterov needs zero dampening: drop optimizer.dampening, or nesterov");
  }
  return {
    name,
    ...(lr !== undefined && { lr }),
    ...(momentum !== undefined && { momentum }),
    ...(dampening !== undefined && { dampening }),
    ...(nesterov !== undefined && { nesterov }),
    ...(weightDecay !== undefined && { weightDecay }),
  };
}

function validateBetas(value: unknown): readonly [number, number] {
  if (!Array.isArray(value) || value.length !== 2) {
    throw new Error(`optimizer.betas must be two numbers in [0, 1), such as [0.9, 0.999], got ${show(value)}`);
  }
  return [fraction(value[0], "optimizer.betas[0]"), fraction(value[1], "optimizer.betas[1]")];
}

function validateSchedule(value: unknown, lr: number): ScheduleSettings {
  const s = record(value, "schedule");
  const name = s.name;
  if (name !== "constant" && name !== "step" && name !== "cosine") {
    throw new Error(`unknown schedule ${show(name)}: expected "constant", "step" or "cosine"`);
  }
  knownKeys(s, SCHEDULE_OPTIONS[name], `schedule (${name})`);
  const warmupSteps = s.warmupSteps === undefined ? undefined : count(s.warmupSteps, "schedule.warmupSteps", 0);
  const warmup = warmupSteps !== undefined ? { warmupSteps } : {};
  if (name === "constant") return { name, ...warmup };
  if (name === "step") {
    if (s.stepSize === undefined) throw new Error("schedule step needs stepSize: the number of steps between two decays");
    const stepSize = count(s.stepSize, "schedule.stepSize", 1);
    const gamma = s.gamma === undefined ? undefined : positive(s.gamma, "schedule.gamma");
    return { name, stepSize, ...(gamma !== undefined && { gamma }), ...warmup };
  }
  if (s.totalSteps === undefined) throw new Error("schedule cosine needs totalSteps: the number of steps it takes to fall to minLr");
  const totalSteps = count(s.totalSteps, "schedule.totalSteps", 1);
  const minLr = s.minLr === undefined ? undefined : nonNegative(s.minLr, "schedule.minLr");
  if (minLr !== undefined && minLr > lr) {
    throw new Error(`schedule.minLr ${minLr} is above the optimizer's lr ${lr}: the cosine schedule falls from lr to minLr`);
  }
  return { name, totalSteps, ...(minLr !== undefined && { minLr }), ...warmup };
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${what} must be an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

function knownKeys(value: Record<string, unknown>, allowed: readonly string[], what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new Error(`${what} has no option ${show(key)}; it takes ${allowed.filter((k) => k !== "name").join(", ")}`);
    }
  }
}

function finite(value: unknown, what: string, accepts: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw new Error(`${what} must be ${accepts}, got ${show(value)}`);
  return value;
}

function positive(value: unknown, what: string): number {
  const n = finite(value, what, "a finite number above 0");
  if (n <= 0) throw new Error(`${what} must be a finite number above 0, got ${n}`);
  return n;
}

function nonNegative(value: unknown, what: string): number {
  const n = finite(value, what, "a finite number of at least 0");
  if (n < 0) throw new Error(`${what} must be a finite number of at least 0, got ${n}`);
  return n;
}

function fraction(value: unknown, what: string): number {
  const n = finite(value, what, "a number in [0, 1)");
  if (n < 0 || n >= 1) throw new Error(`${what} must be a number in [0, 1), got ${n}`);
  return n;
}

function count(value: unknown, what: string, least: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < least) {
    throw new Error(`${what} must be a whole number of at least ${least}, got ${show(value)}`);
  }
  return value;
}

function names(value: unknown, what: string): readonly string[] {
  if (!Array.isArray(value) || !value.every((name) => typeof name === "string")) {
    throw new Error(`${what} must be a list of parameter names, got ${show(value)}`);
  }
  return [...(value as string[])];
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(show).join(", ")}]`;
  if (typeof value === "number" || typeof value === "boolean" || value === undefined || value === null) return String(value);
  return typeof value;
}
