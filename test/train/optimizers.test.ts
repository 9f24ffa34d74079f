/**
 * The update half of a training step against PyTorch: test/fixtures/optim (written by
 * scripts/torch_optim_fixtures.py) holds torch.optim's trajectories over 25 fixed gradients for
 * three parameters (conv [4, 3, 3, 3], dense [5, 7], bias [5]).
 *
 * Tolerance: at every step, every element of every parameter (and of every clipped gradient)
 * is within 1e-5 of torch's relative to that tensor's scale — |ours − torch| ≤ 1e-5 · max|torch|
 * over the tensor — and every learning rate within 1e-12 relative. (The optimizers match torch
 * bit for bit; clipping differs by float32 rounding of the norms, which torch sums in float32.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParameterUpdate, learningRateAt, validateUpdateSettings, type UpdateSettings } from "../../runtime/index.js";

const dir = new URL("../fixtures/optim/", import.meta.url);
const STEPS = 25;
const TOLERANCE = 1e-5;

type Values = Record<string, number[]>;
interface Inputs {
  parameters: { name: string; shape: number[]; data: number[] }[];
  gradients: Values[];
}
interface Case {
  name: string;
  settings: UpdateSettings;
  skip: Record<string, number[]>;
  lr: number[];
  parameters: Values[];
  clipped?: Values[];
  state: Values;
}
type Tensors = Record<string, { shape: number[]; data: Float32Array }>;

const read = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, dir), "utf8")) as T;
const inputs = read<Inputs>("inputs.json");
const cases: Case[] = readdirSync(dir)
  .filter((file) => file.endsWith(".json") && file !== "inputs.json")
  .sort()
  .map((file) => ({ ...read<Omit<Case, "name">>(file), name: file.slice(0, -".json".length) }));
const trainable = inputs.parameters.map(({ name, shape }) => ({ name, shape }));
const caseNamed = (name: string): Case => cases.find((c) => c.name === name)!;

function initialWeights(): Tensors {
  return Object.fromEntries(inputs.parameters.map(({ name, shape, data }) => [name, { shape, data: new Float32Array(data) }]));
}

/** Step t's gradients as fresh arrays (clipping scales them in place), without the case's skipped ones. */
function gradientsAt(c: Case, step: number): Tensors {
  const gradients: Tensors = {};
  for (const { name, shape } of inputs.parameters) {
    if (!(c.skip[name] ?? []).includes(step)) gradients[name] = { shape, data: new Float32Array(inputs.gradients[step]![name]!) };
  }
  return gradients;
}

/** Fails unless every element of `ours` is within TOLERANCE of `torch` relative to the tensor's scale. */
function expectClose(ours: Float32Array, torch: readonly number[], what: string): void {
  expect(ours.length, what).toBe(torch.length);
  const scale = Math.max(...torch.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < torch.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - Math.fround(torch[i]!)));
  expect(worst, `${what}: largest difference against torch's scale ${scale}`).toBeLessThanOrEqual(TOLERANCE * scale);
}

/** Runs `c` from step `from` to `to` on `weights`, checking every step against torch. */
function runAndCheck(c: Case, update: ParameterUpdate, weights: Tensors, from: number, to: number): void {
  for (let step = from; step < to; step++) {
    expect(Math.abs(update.lr - c.lr[step]!), `${c.name}: lr of step ${step}`).toBeLessThanOrEqual(1e-12 * c.lr[step]!);
    const gradients = gradientsAt(c, step);
    update.step(weights, gradients);
    for (const [name, gradient] of Object.entries(gradients)) {
      if (c.clipped) expectClose(gradient.data, c.clipped[step]![name]!, `${c.name}: clipped gradient ${name} at step ${step}`);
    }
    for (const name of Object.keys(weights)) expectClose(weights[name]!.data, c.parameters[step]![name]!, `${c.name}: ${name} after step ${step}`);
  }
}

describe("trajectories match torch.optim", () => {
  it("has the cases the fixtures promise", () => {
    expect(cases.map((c) => c.name)).toEqual([
      "adam", "adam_skipped", "adam_weight_decay", "adamw", "adamw_weight_decay", "agc", "agc_then_clip_norm", "clip_norm",
      "schedule_constant_warmup", "schedule_cosine", "schedule_cosine_warmup_adamw", "schedule_step", "schedule_step_warmup",
      "sgd_dampening_skipped", "sgd_momentum", "sgd_nesterov_weight_decay", "sgd_plain",
    ]);
  });

  for (const c of cases) {
    it(`${c.name}: parameters after each of ${STEPS} steps, and the final state`, () => {
      const update = new ParameterUpdate(trainable, c.settings);
      const weights = initialWeights();
      runAndCheck(c, update, weights, 0, STEPS);
      expect(update.steps).toBe(STEPS);
      const state = update.state();
      for (const [key, torch] of Object.entries(c.state)) {
        expect(state[key], `${c.name}: state ${key}`).toBeDefined();
        expectClose(state[key]!, torch, `${c.name}: state ${key}`);
      }
      // The comparison means something: every parameter moved a hundred times the tolerance.
      for (const { name, data } of inputs.parameters) {
        const moved = Math.max(...data.map((v, i) => Math.abs(weights[name]!.data[i]! - v)));
        const scale = Math.max(...c.parameters[STEPS - 1]![name]!.map(Math.abs));
        expect(moved, `${c.name}: ${name} moved`).toBeGreaterThan(100 * TOLERANCE * scale);
      }
    });
  }

  it("clipping acts on some steps and units and not on others, and AGC leaves its excluded parameter alone", () => {
    for (const name of ["clip_norm", "agc", "agc_then_clip_norm"]) {
      const c = caseNamed(name);
      let changed = 0;
      let kept = 0;
      for (let step = 0; step < STEPS; step++) {
        for (const [parameter, clipped] of Object.entries(c.clipped![step]!)) {
          const raw = inputs.gradients[step]![parameter]!;
          const same = clipped.every((v, i) => Math.fround(v) === Math.fround(raw[i]!));
          if (same) kept++;
          else changed++;
          if (name === "agc" && parameter === "fc.weight") expect(same, `agc: fc.weight at step ${step}`).toBe(true);
        }
      }
      expect(changed, `${name}: gradients clipped`).toBeGreaterThan(10);
      expect(kept, `${name}: gradients kept`).toBeGreaterThan(2);
    }
  });
});

describe("save and restore", () => {
  for (const name of ["adam_skipped", "sgd_dampening_skipped", "schedule_cosine_warmup_adamw", "agc_then_clip_norm"]) {
    it(`${name}: a run restored after 12 steps continues as the uninterrupted run and torch's`, () => {
      const c = caseNamed(name);
      const first = new ParameterUpdate(trainable, c.settings);
      const weights = initialWeights();
      runAndCheck(c, first, weights, 0, 12);
      const saved = first.state();
      const lr = first.lr;
      const savedWeights: Tensors = Object.fromEntries(Object.entries(weights).map(([key, t]) => [key, { shape: t.shape, data: t.data.slice() }]));

      runAndCheck(c, first, weights, 12, STEPS);
      const resumed = new ParameterUpdate(trainable, c.settings);
      resumed.restore(saved);
      expect(resumed.steps).toBe(12);
      expect(resumed.lr).toBe(lr);
      runAndCheck(c, resumed, savedWeights, 12, STEPS);
      for (const key of Object.keys(weights)) expect(savedWeights[key]!.data, key).toEqual(weights[key]!.data);
      expect(resumed.state()).toEqual(first.state());
    });
  }

  it("state() is a copy: later steps do not change a saved state", () => {
    const c = caseNamed("adam");
    const update = new ParameterUpdate(trainable, c.settings);
    update.step(initialWeights(), gradientsAt(c, 0));
    const saved = update.state();
    const copy = Object.fromEntries(Object.entries(saved).map(([key, value]) => [key, value.slice()]));
    update.step(initialWeights(), gradientsAt(c, 1));
    expect(saved).toEqual(copy);
  });

  const adamState = (): Record<string, Float32Array> => {
    const update = new ParameterUpdate(trainable, { optimizer: { name: "adam" } });
    update.step(initialWeights(), gradientsAt(caseNamed("adam"), 0));
    return update.state();
  };
  const without = (state: Record<string, Float32Array>, key: string): Record<string, Float32Array> => {
    const copy = { ...state };
    delete copy[key];
    return copy;
  };
  const restoreErrors: [string, () => Record<string, Float32Array>, UpdateSettings, RegExp][] = [
    ["no optim.step", () => without(adamState(), "optim.step"), { optimizer: { name: "adam" } }, /lacks `optim\.step`/],
    ["a missing slot", () => without(adamState(), "optim.fc.bias.exp_avg_sq"), { optimizer: { name: "adam" } }, /lacks `optim\.fc\.bias\.exp_avg_sq` \(adam keeps exp_avg, exp_avg_sq and step per parameter/],
    ["a wrongly sized slot", () => ({ ...adamState(), "optim.conv.weight.exp_avg": new Float32Array(3) }), { optimizer: { name: "adam" } }, /`optim\.conv\.weight\.exp_avg` must be a Float32Array of 108 values, got 3 values/],
    ["another optimizer's slot", () => adamState(), { optimizer: { name: "sgd", momentum: 0.9 } }, /has `optim\.conv\.weight\.exp_avg`, which sgd with momentum does not keep \(it keeps momentum_buffer and step per parameter\)/],
    ["a fractional step", () => ({ ...adamState(), "optim.step": Float32Array.of(1.5) }), { optimizer: { name: "adam" } }, /`optim\.step` must be a whole number of steps, got 1\.5/],
    ["a parameter with more updates than steps", () => ({ ...adamState(), "optim.fc.bias.step": Float32Array.of(2) }), { optimizer: { name: "adam" } }, /`optim\.fc\.bias\.step` counts more updates than optim\.step \(1\)/],
  ];
  for (const [what, state, settings, message] of restoreErrors) {
    it(`restore refuses ${what} and changes nothing`, () => {
      const update = new ParameterUpdate(trainable, settings);
      const before = update.state();
      expect(() => update.restore(state())).toThrow(message);
      expect(update.state()).toEqual(before);
      expect(update.steps).toBe(0);
    });
  }

  it("restore ignores what is not optimizer state, and SGD without momentum keeps only the step count", () => {
    const update = new ParameterUpdate(trainable, { optimizer: { name: "sgd", lr: 0.1 } });
    update.restore({ "optim.step": Float32Array.of(7), "fc.bias": new Float32Array(5) });
    expect(update.steps).toBe(7);
    expect(Object.keys(update.state())).toEqual(["optim.step"]);
  });
});

describe("schedules", () => {
  it("holds a cosine schedule at minLr after totalSteps (torch's would climb again)", () => {
    const schedule = { name: "cosine", totalSteps: 10, minLr: 0.001, warmupSteps: 2 } as const;
    expect(learningRateAt(schedule, 0.1, 12)).toBeCloseTo(0.001, 15);
    expect(learningRateAt(schedule, 0.1, 13)).toBe(0.001);
    expect(learningRateAt(schedule, 0.1, 1000)).toBe(0.001);
    expect(learningRateAt(schedule, 0.1, 11)).toBeGreaterThan(0.001);
  });

  it("warms up in equal steps lr·(t + 1)/(W + 1), then starts the schedule at its own step 0", () => {
    const schedule = { name: "step", stepSize: 2, gamma: 0.5, warmupSteps: 3 } as const;
    expect([0, 1, 2, 3, 4, 5, 6].map((t) => learningRateAt(schedule, 0.4, t))).toEqual([0.1, 0.2, 0.30000000000000004, 0.4, 0.4, 0.2, 0.2]);
  });

  it("defaults to a constant rate: sgd 0.01, adam and adamw 0.001", () => {
    const sgd = new ParameterUpdate(trainable);
    expect(sgd.lr).toBe(0.01);
    sgd.step(initialWeights(), gradientsAt(caseNamed("sgd_plain"), 0));
    expect(sgd.lr).toBe(0.01);
    expect(new ParameterUpdate(trainable, { optimizer: { name: "adam" } }).lr).toBe(0.001);
    expect(new ParameterUpdate(trainable, { optimizer: { name: "adamw" } }).lr).toBe(0.001);
  });
});

describe("errors", () => {
  const invalid: [unknown, RegExp][] = [
    [3, /^training options must be an object, got 3$/],
    [{ optimizer: "adam" }, /^optimizer must be an object, got "adam"$/],
    [{ optimizer: { name: "adagrad" } }, /^unknown optimizer "adagrad": expected "sgd", "adam" or "adamw"$/],
    [{ optimizer: { lr: 0.1 } }, /^optimizer needs a name: "sgd", "adam" or "adamw"$/],
    [{ optimizer: { name: "sgd", lr: 0 } }, /^optimizer\.lr must be a finite number above 0, got 0$/],
    [{ optimizer: { name: "sgd", lr: -0.1 } }, /^optimizer\.lr must be a finite number above 0, got -0\.1$/],
    [{ optimizer: { name: "adam", lr: Number.POSITIVE_INFINITY } }, /^optimizer\.lr must be a finite number above 0, got Infinity$/],
    [{ optimizer: { name: "sgd", lr: "0.1" } }, /^optimizer\.lr must be a finite number above 0, got "0\.1"$/],
    [{ optimizer: { name: "sgd", momentum: 1 } }, /^optimizer\.momentum must be a number in \[0, 1\), got 1$/],
    [{ optimizer: { name: "sgd", momentum: -0.5 } }, /^optimizer\.momentum must be a number in \[0, 1\), got -0\.5$/],
    [{ optimizer: { name: "sgd", momentum: 0.9, dampening: 1 } }, /^optimizer\.dampening must be a number in \[0, 1\), got 1$/],
    [{ optimizer: { name: "sgd", dampening: 0.1 } }, /^optimizer\.dampening 0\.1 needs momentum: set optimizer\.momentum above 0, or drop dampening$/],
    [{ optimizer: { name: "sgd", nesterov: true } }, /^optimizer\.nesterov needs momentum: set optimizer\.momentum above 0/],
    [{ optimizer: { name: "sgd", momentum: 0.9, dampening: 0.1, nesterov: true } }, /^optimizer\.nesterov needs zero dampening/],
    [{ optimizer: { name: "sgd", momentum: 0.9, nesterov: "yes" } }, /^optimizer\.nesterov must be true or false, got "yes"$/],
    [{ optimizer: { name: "sgd", weightDecay: -1e-4 } }, /^optimizer\.weightDecay must be a finite number of at least 0, got -0\.0001$/],
    [{ optimizer: { name: "adam", betas: [0.9] } }, /^optimizer\.betas must be two numbers in \[0, 1\), such as \[0\.9, 0\.999\], got \[0\.9\]$/],
    [{ optimizer: { name: "adam", betas: [0.9, 1] } }, /^optimizer\.betas\[1\] must be a number in \[0, 1\), got 1$/],
    [{ optimizer: { name: "adamw", betas: [-0.1, 0.999] } }, /^optimizer\.betas\[0\] must be a number in \[0, 1\), got -0\.1$/],
    [{ optimizer: { name: "adam", eps: 0 } }, /^optimizer\.eps must be a finite number above 0, got 0$/],
    [{ optimizer: { name: "adam", momentum: 0.9 } }, /^optimizer \(adam\) has no option "momentum"; it takes lr, weightDecay, betas, eps$/],
    [{ optimizer: { name: "sgd", betas: [0.9, 0.999] } }, /^optimizer \(sgd\) has no option "betas"; it takes lr, momentum, dampening, nesterov, weightDecay$/],
    [{ optimizer: { name: "sgd", learningRate: 0.1 } }, /^optimizer \(sgd\) has no option "learningRate"/],
    [{ schedule: "cosine" }, /^schedule must be an object, got "cosine"$/],
    [{ schedule: { name: "exponential" } }, /^unknown schedule "exponential": expected "constant", "step" or "cosine"$/],
    [{ schedule: { name: "step" } }, /^schedule step needs stepSize: the number of steps between two decays$/],
    [{ schedule: { name: "step", stepSize: 0 } }, /^schedule\.stepSize must be a whole number of at least 1, got 0$/],
    [{ schedule: { name: "step", stepSize: 2.5 } }, /^schedule\.stepSize must be a whole number of at least 1, got 2\.5$/],
    [{ schedule: { name: "step", stepSize: 5, gamma: 0 } }, /^schedule\.gamma must be a finite number above 0, got 0$/],
    [{ schedule: { name: "cosine" } }, /^schedule cosine needs totalSteps: the number of steps it takes to fall to minLr$/],
    [{ schedule: { name: "cosine", totalSteps: -3 } }, /^schedule\.totalSteps must be a whole number of at least 1, got -3$/],
    [{ schedule: { name: "cosine", totalSteps: 10, minLr: -1 } }, /^schedule\.minLr must be a finite number of at least 0, got -1$/],
    [{ optimizer: { name: "sgd", lr: 0.1 }, schedule: { name: "cosine", totalSteps: 10, minLr: 0.5 } }, /^schedule\.minLr 0\.5 is above the optimizer's lr 0\.1/],
    [{ schedule: { name: "constant", warmupSteps: -1 } }, /^schedule\.warmupSteps must be a whole number of at least 0, got -1$/],
    [{ schedule: { name: "cosine", totalSteps: 10, stepSize: 3 } }, /^schedule \(cosine\) has no option "stepSize"; it takes totalSteps, minLr, warmupSteps$/],
    [{ agc: 0 }, /^agc must be a finite number above 0, got 0$/],
    [{ agc: Number.NaN }, /^agc must be a finite number above 0, got NaN$/],
    [{ agcExclude: "fc.weight" }, /^agcExclude must be a list of parameter names, got "fc\.weight"$/],
    [{ clipNorm: -1 }, /^clipNorm must be a finite number above 0, got -1$/],
  ];
  for (const [settings, message] of invalid) {
    it(`refuses ${JSON.stringify(settings) ?? String(settings)}`, () => {
      expect(() => validateUpdateSettings(settings)).toThrow(message);
      expect(() => new ParameterUpdate(trainable, settings as UpdateSettings)).toThrow(message);
    });
  }

  it("accepts valid settings, keeps what it checked and leaves the caller's other options alone", () => {
    const settings = { optimizer: { name: "sgd", lr: 0.1, momentum: 0.9, nesterov: true }, schedule: { name: "cosine", totalSteps: 100, warmupSteps: 5 }, agc: 0.01, agcExclude: ["fc.weight"], clipNorm: 1, loss: "mse" };
    expect(validateUpdateSettings(settings)).toEqual({ optimizer: settings.optimizer, schedule: settings.schedule, agc: 0.01, agcExclude: ["fc.weight"], clipNorm: 1 });
    expect(validateUpdateSettings(undefined)).toEqual({});
    expect(validateUpdateSettings({ optimizer: undefined, agc: undefined })).toEqual({});
  });

  it("names a parameter AGC cannot exclude, a parameter listed twice, a missing weight and a wrongly sized gradient", () => {
    expect(() => new ParameterUpdate(trainable, { agc: 0.01, agcExclude: ["fc.weigth"] })).toThrow("agcExclude names `fc.weigth`, which is not a trainable parameter of this model");
    expect(() => new ParameterUpdate([...trainable, trainable[0]!])).toThrow("parameter `conv.weight` is listed twice");
    const update = new ParameterUpdate(trainable);
    const weights = initialWeights();
    delete weights["fc.bias"];
    expect(() => update.step(weights, {})).toThrow("ParameterUpdate.step: no weight `fc.bias`");
    expect(() => update.step(initialWeights(), { "fc.bias": { shape: [4], data: new Float32Array(4) } })).toThrow(
      "ParameterUpdate.step: gradient `fc.bias` has 4 values; the parameter [5] has 5",
    );
    expect(update.steps).toBe(0);
  });
});
