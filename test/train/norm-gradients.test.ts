/**
 * The backward rules and kernels of the normalizers and of weight standardization against
 * central finite differences.
 *
 * A check takes `L = Σ seed · y` in double over a forward run (a lowered one-layer model through
 * the IR executor in training mode, or a forward kernel), perturbs every element of every
 * differentiated tensor by ±EPS in float32, and compares `(L₊ − L₋) / (x₊ − x₋)` with the
 * backward's gradient: the largest difference must stay under TOLERANCE times the largest
 * numerical entry. The normalizers are smooth, so the differences are exact up to their
 * truncation (about EPS² relative) and float32 rounding; a gradient 1 % off fails. Places where
 * the forward is not smooth are kept away from: FRN's threshold sits in a wide gap of its
 * channel's values, batch renormalization's r and d are clipped (so locally constant) in the
 * graph checks, and its unclipped case is compared with a forward that holds them constant, as
 * autograd does.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { verify } from "../../compiler/ir/verify.js";
import { seededGradients } from "../../compiler/train/training-graph.js";
import * as runtime from "../../runtime/index.js";
import type { Tensor } from "../../runtime/index.js";
import { NORM_GRADIENT_KERNELS } from "../../runtime/ops/grad-norms.js";
import { IR_OPERATORS } from "../../runtime/ops/index.js";
import { randomTensor } from "./support.js";

const EPS = 1e-2;
const TOLERANCE = 5e-3;

/** `Σ seed · y` in double. */
function weighted(y: Tensor, seed: Tensor): number {
  expect(y.shape).toEqual(seed.shape);
  let sum = 0;
  for (let i = 0; i < y.data.length; i++) sum += y.data[i] * seed.data[i];
  return sum;
}

/** The central differences of `loss()` with respect to every element of `t` (perturbed in place). */
function differences(loss: () => number, t: Tensor, eps = EPS): Float64Array {
  const result = new Float64Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const kept = t.data[i];
    const [up, down] = [Math.fround(kept + eps), Math.fround(kept - eps)];
    t.data[i] = up;
    const plus = loss();
    t.data[i] = down;
    const minus = loss();
    t.data[i] = kept;
    result[i] = (plus - minus) / (up - down);
  }
  return result;
}

/** The largest |analytic − numeric|, relative to the largest |numeric|. */
function deviation(analytic: ArrayLike<number>, numeric: ArrayLike<number>): number {
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < numeric.length; i++) {
    worst = Math.max(worst, Math.abs(analytic[i] - numeric[i]));
    scale = Math.max(scale, Math.abs(numeric[i]));
  }
  return worst / Math.max(scale, 1e-6);
}

/** `analytic` matches `numeric`, which is not vanishing, within TOLERANCE, and a 1 % error would not. */
function expectMatch(what: string, analytic: Tensor, numeric: Float64Array): void {
  expect(analytic.data.length, what).toBe(numeric.length);
  expect(Math.max(...Array.from(numeric, Math.abs)), `${what}: a gradient that is not zero`).toBeGreaterThan(1e-3);
  expect(deviation(analytic.data, numeric), what).toBeLessThan(TOLERANCE);
  expect(
    deviation(
      Array.from(analytic.data, (v) => v * 1.01),
      numeric,
    ),
    `${what} scaled by 1.01`,
  ).toBeGreaterThan(TOLERANCE);
}

const host = { readFile: () => undefined };

function checked(source: string): CheckedModel {
  const result = checkSource("model.nn", source, host);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.models[0] as CheckedModel;
}

/** A parameter's starting value by its leaf name: γ near 1, running variances positive. */
type ParamValues = (leaf: string, shape: number[], seed: number) => Tensor | undefined;

function defaultParam(leaf: string, shape: number[], seed: number): Tensor {
  switch (leaf) {
    case "weight":
      return shape.length === 1 ? randomTensor(shape, seed, 0.5, 1.5) : randomTensor(shape, seed, -0.5, 0.5);
    case "gain":
    case "running_var":
    case "running_std":
      return randomTensor(shape, seed, 0.5, 1.5);
    default:
      return randomTensor(shape, seed, -0.5, 0.5);
  }
}

/** A model's lowered graph, its parameters (from `values`, else the defaults) and a random input. */
function setup(source: string, inputShape: number[], values: ParamValues = () => undefined) {
  const model = checked(source);
  const params = new Map<string, Tensor>(
    model.params.map((p, k) => {
      const leaf = p.name.slice(p.name.lastIndexOf(".") + 1);
      const shape = p.shape as number[];
      return [p.name, values(leaf, shape, 10 + k) ?? defaultParam(leaf, shape, 10 + k)];
    }),
  );
  return { model, graph: lowerModel(model), params, x: randomTensor(inputShape, 1, -2, 2) };
}

/**
 * The seeded backward of `graph` against finite differences of its training forward, for the
 * input and every learnable parameter, except that the parameters named in `flat` (which the
 * output does not depend on locally) must get zeros; returns the backward graph's operators.
 */
function checkGraph(what: string, graph: Graph, params: Map<string, Tensor>, x: Tensor, eps = EPS, flat: readonly string[] = []): string[] {
  const seeded = seededGradients(graph);
  expect(verify(seeded.graph), what).toEqual([]);
  const forward = () => executeGraph(graph, params, [x], { training: true }).outputs[0];
  const seed = randomTensor(forward().shape, 7);
  const [, ...gradients] = executeGraph(seeded.graph, params, [x, seed], { training: true }).outputs;
  const names = [...seeded.gradients.keys()];
  const learnable = [...graph.values.values()].filter((v) => v.kind === "param" && !v.buffer).map((v) => v.name);
  expect(names.sort(), `${what}: gradients`).toEqual([graph.inputs[0], ...learnable].sort());
  const loss = () => weighted(forward(), seed);
  [...seeded.gradients.keys()].forEach((name, k) => {
    const target = name === graph.inputs[0] ? x : params.get(name)!;
    const numeric = differences(loss, target, eps);
    if (!flat.includes(name)) return expectMatch(`${what}: d/d${name}`, gradients[k], numeric);
    expect(Math.max(...Array.from(numeric, Math.abs)), `${what}: d/d${name} numerically`).toBeLessThan(1e-6);
    expect(
      Array.from(gradients[k].data).every((v) => v === 0),
      `${what}: d/d${name}`,
    ).toBe(true);
  });
  return seeded.graph.nodes.map((node) => node.op);
}

/** A one-layer model `x -> layer` on an input of `shape`. */
function layerModel(layer: string, shape: number[]): string {
  return `model M(x: [N, ${shape.slice(1).join(", ")}]) {\n  return x -> ${layer}\n}\n`;
}

interface LayerCase {
  readonly layer: string;
  readonly shape: number[];
  readonly grad: string;
  readonly values?: ParamValues;
}

/** Switchable normalization's mixing logits, far from uniform. */
const MIXING: ParamValues = (leaf, shape) =>
  leaf === "mean_weight"
    ? { shape, data: Float32Array.of(0.8, -0.6, 0.3) }
    : leaf === "var_weight"
      ? { shape, data: Float32Array.of(-0.5, 0.2, 0.9) }
      : undefined;

/**
 * Running statistics far from the batch's (inputs lie in [−2, 2]): σ = 20 in the even channels
 * clips r to 1/rmax, σ = 0.05 in the odd ones clips it to rmax, and the running means clip d at
 * ±dmax in alternating channels.
 */
const FAR_RUNNING: ParamValues = (leaf, shape) => {
  if (leaf === "running_std") return { shape, data: Float32Array.from({ length: shape[0] }, (_, c) => (c % 2 === 0 ? 20 : 0.05)) };
  if (leaf === "running_mean") return { shape, data: Float32Array.from({ length: shape[0] }, (_, c) => (c % 2 === 0 ? 300 : -1)) };
  return undefined;
};

const LAYER_CASES: LayerCase[] = [
  { layer: "batch", shape: [3, 4, 3, 3], grad: "BatchNormalizationGrad" },
  { layer: "batch", shape: [6, 5], grad: "BatchNormalizationGrad" },
  { layer: "batch(affine: false)", shape: [3, 4, 3, 3], grad: "BatchNormalizationGrad" },
  { layer: "batch(affine: false)", shape: [6, 5], grad: "BatchNormalizationGrad" },
  { layer: "batch_renorm", shape: [3, 4, 3, 3], grad: "BatchRenormalizationGrad", values: FAR_RUNNING },
  { layer: "batch_renorm(rmax: 2, dmax: 1)", shape: [6, 5], grad: "BatchRenormalizationGrad", values: FAR_RUNNING },
  { layer: "layer", shape: [3, 4, 3, 3], grad: "GroupNormalizationGrad" },
  { layer: "layer", shape: [3, 6], grad: "LayerNormalizationGrad" },
  { layer: "layer(affine: false)", shape: [3, 4, 3, 3], grad: "GroupNormalizationGrad" },
  { layer: "layer(affine: false)", shape: [3, 6], grad: "LayerNormalizationGrad" },
  { layer: "instance", shape: [3, 4, 3, 3], grad: "InstanceNormalizationGrad" },
  { layer: "instance(affine: false)", shape: [3, 4, 3, 3], grad: "InstanceNormalizationGrad" },
  { layer: "group(groups: 2)", shape: [3, 4, 3, 3], grad: "GroupNormalizationGrad" },
  { layer: "group(groups: 3)", shape: [2, 6, 2, 3], grad: "GroupNormalizationGrad" },
  { layer: "channel_norm", shape: [3, 4, 3, 3], grad: "ChannelNormalizationGrad" },
  { layer: "channel_norm(eps: 0.01, affine: false)", shape: [2, 5, 2, 3], grad: "ChannelNormalizationGrad" },
  { layer: "switchable", shape: [3, 4, 3, 3], grad: "SwitchableNormalizationGrad", values: MIXING },
];

describe("normalizer layers differentiated through the IR", () => {
  it.each(LAYER_CASES)("$layer on $shape", ({ layer, shape, grad, values }) => {
    const { graph, params, x } = setup(layerModel(layer, shape), shape, values);
    expect(checkGraph(layer, graph, params, x)).toContain(grad);
  });

  it("rejects the gradient that holds the batch statistics constant", () => {
    const shape = [3, 4, 3, 3];
    const { graph, params, x } = setup(layerModel("batch", shape), shape);
    const [scale] = [...params.entries()].filter(([name]) => name.endsWith(".weight")).map(([, t]) => t);
    const seed = randomTensor(shape, 7);
    const loss = () => weighted(executeGraph(graph, params, [x], { training: true }).outputs[0], seed);
    // dx = γ dy / sqrt(var + eps): right for frozen statistics, wrong through the batch's.
    const frozen = new Float32Array(x.data.length);
    for (let c = 0; c < 4; c++) {
      const values = [0, 1, 2].flatMap((s) => Array.from(x.data.subarray((s * 4 + c) * 9, (s * 4 + c + 1) * 9)));
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
      for (let s = 0; s < 3; s++)
        for (let i = 0; i < 9; i++) frozen[(s * 4 + c) * 9 + i] = (scale.data[c] * seed.data[(s * 4 + c) * 9 + i]) / Math.sqrt(variance + 1e-5);
    }
    expect(deviation(frozen, differences(loss, x))).toBeGreaterThan(10 * TOLERANCE);
  });

  it("batch_renorm's r and d do clip in that case", () => {
    const { params, x } = setup(layerModel("batch_renorm", [3, 4, 3, 3]), [3, 4, 3, 3], FAR_RUNNING);
    const std = [...params.entries()].find(([name]) => name.endsWith("running_std"))![1].data;
    const mean = [...params.entries()].find(([name]) => name.endsWith("running_mean"))![1].data;
    for (let c = 0; c < 4; c++) {
      let [sum, squares, count] = [0, 0, 0];
      for (let s = 0; s < 3; s++)
        for (let i = 0; i < 9; i++) [sum, squares, count] = [sum + x.data[(s * 4 + c) * 9 + i], squares + x.data[(s * 4 + c) * 9 + i] ** 2, count + 1];
      const mu = sum / count;
      const sigma = Math.sqrt(squares / count - mu * mu + 1e-5);
      const r = sigma / std[c];
      expect(r < 1 / 3 || r > 3, `r of channel ${c}`).toBe(true);
      expect(Math.abs((mu - mean[c]) / std[c]), `d of channel ${c}`).toBeGreaterThan(5);
    }
  });
});

/** τ per channel in the middle of the widest gap between the middle half of the channel's `v = γ x / rms + β`. */
function thresholdsInGaps(x: Tensor, params: Map<string, Tensor>, prefix: string): { tau: Tensor; margin: number } {
  const [n, c] = x.shape;
  const none = { shape: [c], data: new Float32Array(c).fill(-1e30) };
  const v = runtime.filterResponseNormalization(x, params.get(`${prefix}.weight`)!, params.get(`${prefix}.bias`)!, none, { epsilon: 1e-6 });
  const inner = x.data.length / (n * c);
  const tau = new Float32Array(c);
  let margin = Infinity;
  for (let ch = 0; ch < c; ch++) {
    const values: number[] = [];
    for (let s = 0; s < n; s++) values.push(...v.data.subarray((s * c + ch) * inner, (s * c + ch + 1) * inner));
    values.sort((a, b) => a - b);
    let best = Math.floor(values.length / 4);
    for (let i = best; i < (3 * values.length) / 4; i++) if (values[i + 1] - values[i] > values[best + 1] - values[best]) best = i;
    tau[ch] = (values[best] + values[best + 1]) / 2;
    margin = Math.min(margin, (values[best + 1] - values[best]) / 2);
  }
  return { tau: { shape: [c], data: tau }, margin };
}

describe("frn differentiated through the IR", () => {
  it("with τ above some of each channel's values (x, γ, β, τ)", () => {
    const shape = [3, 4, 3, 3];
    const { graph, params, x } = setup(layerModel("frn", shape), shape);
    const prefix = [...params.keys()].find((name) => name.endsWith(".tau"))!.slice(0, -".tau".length);
    const { tau, margin } = thresholdsInGaps(x, params, prefix);
    // A perturbation of EPS moves v by at most γ·EPS/rms, well inside the gaps.
    expect(margin).toBeGreaterThan(0.05);
    params.set(`${prefix}.tau`, tau);
    expect(checkGraph("frn", graph, params, x, 2e-3)).toContain("FilterResponseNormalizationGrad");
  });

  it("splits the gradient in half at a tie of v and τ, as torch.maximum does", () => {
    // Zeros in x with β = τ put v exactly on τ; central differences there see the mean of the
    // two one-sided slopes, which is the half-and-half rule.
    const shape = [2, 3, 2, 2];
    const { graph, params, x } = setup(layerModel("frn", shape), shape);
    // Every third value is a zero; the others stay well away from it.
    x.data.forEach((value, i) => (x.data[i] = i % 3 === 0 ? 0 : Math.abs(value) < 0.2 ? 0.7 : value));
    const prefix = [...params.keys()].find((name) => name.endsWith(".tau"))!.slice(0, -".tau".length);
    params.set(`${prefix}.tau`, { shape: [3], data: Float32Array.from(params.get(`${prefix}.bias`)!.data) });
    const seed = randomTensor(shape, 7);
    const dTau = runtime.filterResponseNormalizationBackward(
      seed,
      x,
      params.get(`${prefix}.weight`)!,
      params.get(`${prefix}.bias`)!,
      params.get(`${prefix}.tau`)!,
      {
        wants: [0, 0, 0, 1],
        epsilon: 1e-6,
      },
    )[0];
    // Every zero of x is a tie; the values below τ add their whole gradient, the ties half of theirs.
    const expected = new Float64Array(3);
    const v = runtime.filterResponseNormalization(x, params.get(`${prefix}.weight`)!, params.get(`${prefix}.bias`)!, {
      shape: [3],
      data: new Float32Array(3).fill(-1e30),
    });
    x.data.forEach((value, i) => {
      const ch = Math.floor(i / 4) % 3;
      if (value === 0) expected[ch] += seed.data[i] / 2;
      else if (v.data[i] < params.get(`${prefix}.tau`)!.data[ch]) expected[ch] += seed.data[i];
    });
    expect(deviation(dTau.data, expected)).toBeLessThan(1e-6);
    expect(checkGraph("frn at ties", graph, params, x, 1e-3)).toContain("FilterResponseNormalizationGrad");
  });
});

describe("batchRenormBackward with r and d inside their clips", () => {
  it("is the gradient of the forward with r and d held constant", () => {
    const shape = [3, 4, 3, 3];
    const x = randomTensor(shape, 1, -2, 2);
    const [scale, bias] = [randomTensor([4], 2, 0.5, 1.5), randomTensor([4], 3, -0.5, 0.5)];
    const [runningMean, runningStd] = [randomTensor([4], 4, -0.3, 0.3), randomTensor([4], 5, 0.8, 1.6)];
    const attrs = { epsilon: 1e-5, rmax: 3, dmax: 5 };
    // Batch renormalization's training forward with r and d computed once, at the unperturbed x.
    const frozen = batchRenormConstants(x, runningMean, runningStd, attrs);
    for (let c = 0; c < 4; c++) {
      expect(frozen.r[c]).toBeGreaterThan(1 / 3);
      expect(frozen.r[c]).toBeLessThan(3);
      expect(Math.abs(frozen.d[c])).toBeLessThan(5);
    }
    const forward = () => {
      const live = batchRenormConstants(x, runningMean, runningStd, attrs);
      const y = new Float32Array(x.data.length);
      x.data.forEach((v, i) => {
        const c = Math.floor(i / 9) % 4;
        y[i] = scale.data[c] * (((v - live.mean[c]) / live.sigma[c]) * frozen.r[c] + frozen.d[c]) + bias.data[c];
      });
      return { shape, data: y };
    };
    // Held constant, r and d make the forward that the training kernel computes at this x.
    expect(deviation(forward().data, runtime.batchRenormTraining(x, scale, bias, runningMean, runningStd, attrs)[0].data)).toBeLessThan(1e-6);
    const seed = randomTensor(shape, 7);
    const loss = () => weighted(forward(), seed);
    const grads = runtime.batchRenormBackward(seed, x, scale, bias, runningMean, runningStd, { ...attrs, wants: [1, 1, 1, 0, 0] });
    [x, scale, bias].forEach((t, k) => expectMatch(`input ${k}`, grads[k], differences(loss, t)));
  });
});

/** Batch renormalization's batch statistics and its r and d, per channel of a `[N, C, H, W]` input. */
function batchRenormConstants(x: Tensor, runningMean: Tensor, runningStd: Tensor, attrs: { epsilon: number; rmax: number; dmax: number }) {
  const [n, c] = x.shape;
  const inner = x.data.length / (n * c);
  const [mean, sigma, r, d] = [0, 1, 2, 3].map(() => new Float64Array(c));
  const clip = (v: number, bound: number, low = -bound) => Math.min(bound, Math.max(low, v));
  for (let ch = 0; ch < c; ch++) {
    const values: number[] = [];
    for (let s = 0; s < n; s++) values.push(...x.data.subarray((s * c + ch) * inner, (s * c + ch + 1) * inner));
    mean[ch] = values.reduce((a, b) => a + b, 0) / values.length;
    sigma[ch] = Math.sqrt(values.reduce((a, b) => a + (b - mean[ch]) ** 2, 0) / values.length + attrs.epsilon);
    r[ch] = clip(sigma[ch] / runningStd.data[ch], attrs.rmax, 1 / attrs.rmax);
    d[ch] = clip((mean[ch] - runningMean.data[ch]) / runningStd.data[ch], attrs.dmax);
  }
  return { mean, sigma, r, d };
}

describe("weight standardization's backward kernels", () => {
  it.each([
    ["conv", [4, 3, 3, 3]],
    ["dense", [5, 6]],
  ])("standard WS on a %s weight", (_kind, shape) => {
    const weight = randomTensor(shape, 1, -0.5, 0.5);
    const seed = randomTensor(shape, 7);
    const [dWeight] = runtime.weightStandardizationBackward(seed, weight, { epsilon: 1e-5, wants: [1] });
    const loss = () => weighted(runtime.weightStandardization(weight, { epsilon: 1e-5 }), seed);
    expectMatch("weight", dWeight, differences(loss, weight, 1e-3));
  });

  it.each([
    ["conv", [4, 3, 3, 3]],
    ["dense", [5, 6]],
  ])("scaled WS on a %s weight (weight and gain)", (_kind, shape) => {
    const weight = randomTensor(shape, 1, -0.5, 0.5);
    const gain = randomTensor([shape[0]], 2, 0.5, 1.5);
    const seed = randomTensor(shape, 7);
    const [dWeight, dGain] = runtime.scaledWeightStandardizationBackward(seed, weight, gain, { wants: [1, 1] });
    const loss = () => weighted(runtime.scaledWeightStandardization(weight, gain), seed);
    expectMatch("weight", dWeight, differences(loss, weight, 1e-3));
    expectMatch("gain", dGain, differences(loss, gain, 1e-3));
  });

  it("gives a constant filter, which standardizes to zeros, zero gradients", () => {
    const weight = randomTensor([2, 4], 1);
    weight.data.fill(0.25, 0, 4);
    const [dWeight, dGain] = runtime.scaledWeightStandardizationBackward(randomTensor([2, 4], 7), weight, randomTensor([2], 2), { wants: [1, 1] });
    expect(Array.from(dWeight.data.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(dGain.data[0]).toBe(0);
    expect(Math.max(...Array.from(dWeight.data.subarray(4), Math.abs))).toBeGreaterThan(0);
  });
});

describe("wanted gradients", () => {
  it("a backward kernel returns only the wanted gradients, each as the full call computes it", () => {
    const x = randomTensor([3, 4, 3, 3], 1);
    const [scale, bias, mean, variance] = [randomTensor([4], 2, 0.5, 1.5), randomTensor([4], 3), randomTensor([4], 4), randomTensor([4], 5, 0.5, 1.5)];
    const seed = randomTensor(x.shape, 7);
    const all = runtime.batchNormalizationBackward(seed, x, scale, bias, mean, variance, { wants: [1, 1, 1, 0, 0] });
    expect(runtime.batchNormalizationBackward(seed, x, scale, bias, mean, variance, { wants: [0, 1, 1, 0, 0] })).toEqual(all.slice(1));
    expect(runtime.batchNormalizationBackward(seed, x, scale, bias, mean, variance, { wants: [1, 0, 0, 0, 0] })).toEqual(all.slice(0, 1));
    const logits = [randomTensor([3], 8), randomTensor([3], 9)];
    const sn = (wants: number[]) => runtime.switchableNormalizationBackward(seed, x, scale, bias, logits[0], logits[1], mean, variance, { wants });
    expect(sn([0, 0, 0, 1, 1, 0, 0])).toEqual(sn([1, 1, 1, 1, 1, 0, 0]).slice(3));
    const cn = (wants: number[]) => runtime.channelNormalizationBackward(seed, x, scale, bias, { wants, epsilon: 1e-6 });
    expect(cn([0, 1, 1])).toEqual(cn([1, 1, 1]).slice(1));
    expect(cn([1, 0, 0])).toEqual(cn([1, 1, 1]).slice(0, 1));
  });

  it("refuses a running statistic's gradient, which does not exist", () => {
    const x = randomTensor([3, 2], 1);
    const ones = { shape: [2], data: Float32Array.of(1, 1) };
    expect(() => runtime.batchNormalizationBackward(x, x, ones, ones, ones, ones, { wants: [1, 0, 0, 1, 0] })).toThrow(/input 3 has no gradient/);
  });
});

describe("the registry's normalizer backward operators", () => {
  it("each names a runtime kernel `<kernel>Backward` and a registered IR operator `<Op>Grad` without a backward", () => {
    expect(NORM_GRADIENT_KERNELS.map((entry) => entry.op).sort()).toEqual(
      [
        "BatchNormalization",
        "BatchRenormalization",
        "LayerNormalization",
        "ChannelNormalization",
        "InstanceNormalization",
        "GroupNormalization",
        "FilterResponseNormalization",
        "SwitchableNormalization",
        "WeightStandardization",
        "ScaledWeightStandardization",
      ]
        .map((op) => `${op}Grad`)
        .sort(),
    );
    for (const entry of NORM_GRADIENT_KERNELS) {
      const call = entry.kernel({ op: entry.op, inputs: ["dy", "x"], attrs: { wants: [1, 0] } }, true);
      expect(typeof (runtime as unknown as Record<string, unknown>)[call.kernel], call.kernel).toBe("function");
      expect(call.kernel).toMatch(/Backward$/);
      expect(call.outputs).toBe(1);
      expect(IR_OPERATORS.get(entry.op)?.backward, entry.op).toBeUndefined();
      expect(IR_OPERATORS.get(entry.op.slice(0, -"Grad".length))?.backward, entry.op).toBeDefined();
    }
  });
});

describe("models differentiated end to end", () => {
  it("conv(ws: scaled) -> group -> relu", () => {
    // A small EPS keeps the perturbed pre-activations on their side of ReLU's kink.
    const source = `model M(x: [N, 3, 5, 5]) {\n  return x -> conv(4, 3, pad: 1, ws: "scaled") -> group(groups: 2) -> relu\n}\n`;
    const { graph, params, x } = setup(source, [2, 3, 5, 5]);
    const ops = checkGraph("conv-group-relu", graph, params, x, 1e-3);
    expect(ops).toEqual(expect.arrayContaining(["ScaledWeightStandardizationGrad", "ConvGrad", "GroupNormalizationGrad", "ReluGrad"]));
  });

  it("dense(ws: standard) -> batch -> dense(ws: scaled) -> layer", () => {
    // A per-feature gain or bias right before batch normalization would have no gradient at all.
    // A batch of four makes the statistics strongly curved: a small EPS keeps the truncation down.
    const source = `model M(x: [N, 6]) {\n  return x -> dense(5, bias: false, ws: "standard") -> batch -> dense(4, ws: "scaled") -> layer\n}\n`;
    const { graph, params, x } = setup(source, [4, 6]);
    const ops = checkGraph("dense chain", graph, params, x, 1e-3);
    expect(ops).toEqual(
      expect.arrayContaining(["ScaledWeightStandardizationGrad", "WeightStandardizationGrad", "GemmGrad", "BatchNormalizationGrad", "LayerNormalizationGrad"]),
    );
  });

  it("conv(ws: standard) -> instance -> switchable -> frn", () => {
    const source = `model M(x: [N, 2, 4, 4]) {\n  return x -> conv(4, 3, pad: 1, bias: false, ws: "standard") -> instance -> switchable -> frn\n}\n`;
    const { graph, params, x } = setup(source, [2, 2, 4, 4], (leaf, shape) =>
      leaf === "tau" ? { shape, data: new Float32Array(shape[0]).fill(-5) } : MIXING(leaf, shape, 0),
    );
    // With τ below every value, FRN's threshold is inactive: its gradient is zero.
    const ops = checkGraph("conv-instance-switchable-frn", graph, params, x, EPS, ["frn0.tau"]);
    expect(ops).toEqual(
      expect.arrayContaining(["WeightStandardizationGrad", "InstanceNormalizationGrad", "SwitchableNormalizationGrad", "FilterResponseNormalizationGrad"]),
    );
  });
});
