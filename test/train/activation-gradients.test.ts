/**
 * The backward kernels of the activations, prelu, maxout, softmax and log_softmax
 * (`runtime/gradients/activations.ts`), and their backward rules through reverse mode.
 *
 * - Finite differences: for every kernel, on small random float32 tensors kept away from kinks,
 *   the analytic gradient of `L = Σ dy·f(x)` against central differences of the float32 forward
 *   kernel, one element at a time with step `EPS` (`(L(x + h) − L(x − h)) / 2h`, L summed in
 *   double, h the float32 step actually taken). Each element must agree within
 *   `ATOL + RTOL·|numeric|`. The truncation error (`EPS²·f'''/6`) and the rounding of the float32
 *   outputs (`ulp / EPS`) are both near 1e-5 here: the worst element of any case uses 0.4 of its
 *   tolerance (most under 0.15), a kernel scaled by 1.001 fails, and a test below shows that the
 *   check rejects a gradient 1% off in one element and two wrong formulas.
 * - Kinks: the values at 0 (relu, leaky_relu, elu, prelu), 0 and 6 (relu6), the bounds of
 *   hardtanh and clamp, and ±3 (hardswish, hardsigmoid) are PyTorch's conventions, written as
 *   constants.
 * - Maxout ties, prelu's slope gradients (shared and per channel, rank 2 and 4) and `wants`.
 * - Each layer alone, lowered from `.nn` and differentiated by reverse mode (its backward rule
 *   reads the right tensors and passes its attributes), and a model (dense → prelu → dense →
 *   log_softmax), through `seededGradients` and `executeGraph`, against finite differences of the
 *   whole graph.
 */
import { describe, expect, it } from "vitest";
import { executeGraph } from "../../compiler/ir/execute.js";
import { seededGradients } from "../../compiler/train/training-graph.js";
import * as runtime from "../../runtime/index.js";
import type { Tensor } from "../../runtime/index.js";
import { loweredModel } from "./support.js";

/** The finite-difference step. */
const EPS = 1e-2;
/** The relative and absolute tolerances of a finite-difference comparison (gradients of order 1). */
const RTOL = 2e-4;
const ATOL = 5e-5;

/**
 * A float32 tensor of `shape` uniform in [lo, hi), redrawing any value closer than `margin` to
 * one of `kinks`, so that no finite difference straddles a kink.
 */
function randomTensor(random: () => number, shape: number[], lo = -4, hi = 4, kinks: readonly number[] = [], margin = 3 * EPS): Tensor {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    do data[i] = lo + (hi - lo) * random();
    while (kinks.some((k) => Math.abs(data[i] - k) < margin));
  }
  return { shape, data };
}

const tensorOf = (shape: number[], values: readonly number[]): Tensor => ({ shape, data: Float32Array.from(values) });

/** nn.Hardsigmoid as ONNX's HardSigmoid, as `hardsigmoid` lowers. */
const HARDSIGMOID = { alpha: 1 / 6, beta: 0.5 };

/** `Σ dy·y` in double. */
function dot(dy: Tensor, y: Tensor): number {
  let sum = 0;
  for (let i = 0; i < y.data.length; i++) sum += dy.data[i] * y.data[i];
  return sum;
}

/** Central differences of `Σ dy·f(inputs)` with respect to every element of `inputs[k]`. */
function numericGradient(f: (inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], dy: Tensor, k: number): Tensor {
  const x = inputs[k];
  const grad = new Float32Array(x.data.length);
  for (let i = 0; i < x.data.length; i++) {
    const value = x.data[i];
    const shifted = (v: number) => {
      const data = x.data.slice();
      data[i] = v;
      const moved = inputs.map((t, j) => (j === k ? { shape: x.shape, data } : t));
      return { at: data[i], loss: dot(dy, f(moved)) };
    };
    const up = shifted(value + EPS);
    const down = shifted(value - EPS);
    grad[i] = (up.loss - down.loss) / (up.at - down.at);
  }
  return { shape: [...x.shape], data: grad };
}

/** The first element where `analytic` and `numeric` disagree beyond the tolerance, or undefined. */
function mismatch(analytic: Tensor, numeric: Tensor): string | undefined {
  expect(analytic.shape).toEqual(numeric.shape);
  for (let i = 0; i < numeric.data.length; i++) {
    const [a, n] = [analytic.data[i], numeric.data[i]];
    if (!(Math.abs(a - n) <= ATOL + RTOL * Math.abs(n))) return `element ${i}: analytic ${a}, numeric ${n}`;
  }
  return undefined;
}

/** One kernel's check: its forward over `inputs`, and its backward from the output's gradient. */
interface GradientCase {
  readonly name: string;
  readonly inputs: Tensor[];
  readonly forward: (inputs: Tensor[]) => Tensor;
  /** The gradients of every input, in input order. */
  readonly backward: (dy: Tensor, inputs: Tensor[], y: Tensor) => Tensor[];
}

/** An element-wise case over `shape`, with inputs away from `kinks`. */
function elementwise(
  name: string,
  forward: (x: Tensor) => Tensor,
  backward: (dy: Tensor, saved: Tensor) => Tensor[],
  reads: "input" | "output",
  kinks: readonly number[] = [],
  range: readonly [number, number] = [-4, 4],
): GradientCase {
  const random = runtime.createRandom(name.length * 7919 + name.charCodeAt(0));
  return {
    name,
    inputs: [randomTensor(random, [2, 3, 2, 2], range[0], range[1], kinks)],
    forward: ([x]) => forward(x),
    backward: (dy, [x], y) => backward(dy, reads === "input" ? x : y),
  };
}

function gradientCases(): GradientCase[] {
  const random = runtime.createRandom(42);
  const prelu = (name: string, xShape: number[], slopes: number): GradientCase => ({
    name,
    inputs: [randomTensor(random, xShape, -4, 4, [0]), randomTensor(random, [slopes], 0, 0.5)],
    forward: ([x, a]) => runtime.prelu(x, a),
    backward: (dy, [x, a]) => runtime.preluBackward(dy, x, a, { wants: [1, 1] }),
  });
  // Maxout's inputs are distinct multiples of 0.1, shuffled, so that no two pieces lie within 2·EPS.
  const distinct = (shape: number[]): Tensor => {
    const values = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => 0.1 * i - 1);
    for (let i = values.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [values[i], values[j]] = [values[j], values[i]];
    }
    return tensorOf(shape, values);
  };
  return [
    elementwise("relu", runtime.relu, runtime.reluBackward, "output", [0]),
    elementwise("sigmoid", runtime.sigmoid, runtime.sigmoidBackward, "output"),
    elementwise("tanh", runtime.tanh, runtime.tanhBackward, "output", [], [-2.5, 2.5]),
    elementwise("gelu", runtime.gelu, runtime.geluBackward, "input"),
    elementwise("silu", runtime.silu, runtime.siluBackward, "input"),
    elementwise("leaky_relu", (x) => runtime.leakyRelu(x, { alpha: 0.2 }), (dy, x) => runtime.leakyReluBackward(dy, x, { alpha: 0.2 }), "input", [0]),
    elementwise("elu", (x) => runtime.elu(x, { alpha: 0.7 }), (dy, x) => runtime.eluBackward(dy, x, { alpha: 0.7 }), "input", [0]),
    elementwise("relu6", (x) => runtime.clip(x, { min: 0, max: 6 }), (dy, x) => runtime.clipBackward(dy, x, { min: 0, max: 6 }), "input", [0, 6], [-2, 8]),
    elementwise("hardswish", runtime.hardswish, runtime.hardswishBackward, "input", [-3, 3], [-5, 5]),
    elementwise("hardtanh", (x) => runtime.clip(x, { min: -1, max: 1 }), (dy, x) => runtime.clipBackward(dy, x, { min: -1, max: 1 }), "input", [-1, 1], [-3, 3]),
    elementwise(
      "clamp",
      (x) => runtime.clip(x, { min: -0.5, max: 2 }),
      (dy, x) => runtime.clipBackward(dy, x, { min: -0.5, max: 2, bound_gradient: 1 }),
      "input",
      [-0.5, 2],
      [-2, 4],
    ),
    elementwise("hardsigmoid", (x) => runtime.hardsigmoid(x, HARDSIGMOID), (dy, x) => runtime.hardsigmoidBackward(dy, x, HARDSIGMOID), "input", [-3, 3], [-5, 5]),
    prelu("prelu shared, rank 2", [4, 3], 1),
    prelu("prelu per channel, rank 2", [4, 3], 3),
    prelu("prelu shared, rank 4", [2, 3, 2, 2], 1),
    prelu("prelu per channel, rank 4", [2, 3, 2, 2], 3),
    {
      name: "maxout pieces 2, rank 4",
      inputs: [distinct([2, 4, 2, 2])],
      forward: ([x]) => runtime.maxout(x, { pieces: 2 }),
      backward: (dy, [x], y) => runtime.maxoutBackward(dy, x, y, { pieces: 2 }),
    },
    {
      name: "maxout pieces 3, rank 2",
      inputs: [distinct([3, 6])],
      forward: ([x]) => runtime.maxout(x, { pieces: 3 }),
      backward: (dy, [x], y) => runtime.maxoutBackward(dy, x, y, { pieces: 3 }),
    },
    { name: "softmax, rank 2", inputs: [randomTensor(random, [3, 5])], forward: ([x]) => runtime.softmax(x), backward: (dy, _, y) => runtime.softmaxBackward(dy, y) },
    { name: "softmax, rank 4", inputs: [randomTensor(random, [2, 3, 2, 2])], forward: ([x]) => runtime.softmax(x), backward: (dy, _, y) => runtime.softmaxBackward(dy, y) },
    { name: "log_softmax, rank 2", inputs: [randomTensor(random, [3, 5])], forward: ([x]) => runtime.logSoftmax(x), backward: (dy, _, y) => runtime.logSoftmaxBackward(dy, y) },
    {
      name: "log_softmax, rank 4",
      inputs: [randomTensor(random, [2, 3, 2, 2])],
      forward: ([x]) => runtime.logSoftmax(x),
      backward: (dy, _, y) => runtime.logSoftmaxBackward(dy, y),
    },
  ];
}

describe("activation backward kernels against finite differences", () => {
  it.each(gradientCases().map((c) => [c.name, c] as const))("%s", (_, c) => {
    const y = c.forward(c.inputs);
    const dy = randomTensor(runtime.createRandom(7), [...y.shape], -1, 1);
    const analytic = c.backward(dy, c.inputs, y);
    expect(analytic).toHaveLength(c.inputs.length);
    c.inputs.forEach((_, k) => expect(mismatch(analytic[k], numericGradient(c.forward, c.inputs, dy, k)), `input ${k}`).toBeUndefined());
  });

  it("rejects a gradient 1% off in one element, and one whose formula is wrong", () => {
    const x = randomTensor(runtime.createRandom(3), [2, 3, 2, 2]);
    const y = runtime.sigmoid(x);
    const dy = randomTensor(runtime.createRandom(4), [2, 3, 2, 2], -1, 1);
    const numeric = numericGradient(([t]) => runtime.sigmoid(t), [x], dy, 0);
    const [right] = runtime.sigmoidBackward(dy, y);
    expect(mismatch(right, numeric)).toBeUndefined();
    const off = { shape: right.shape, data: right.data.slice() };
    const k = right.data.reduce((best, v, i) => (Math.abs(v) > Math.abs(right.data[best]) ? i : best), 0);
    off.data[k] *= 1.01;
    expect(mismatch(off, numeric)).toBeDefined();
    // Sigmoid's derivative taken at the input instead of the output, y·(1 − y) of x.
    expect(mismatch(runtime.sigmoidBackward(dy, x)[0], numeric)).toBeDefined();
    // GELU's derivative without the density term, Φ(x) alone.
    const geluNumeric = numericGradient(([t]) => runtime.gelu(t), [x], dy, 0);
    const cdfOnly = { shape: x.shape, data: x.data.map((v, i) => dy.data[i] * 0.5 * (1 + runtime.erf(v * Math.SQRT1_2))) };
    expect(mismatch(runtime.geluBackward(dy, x)[0], geluNumeric)).toBeUndefined();
    expect(mismatch(cdfOnly, geluNumeric)).toBeDefined();
  });
});

describe("values at the kinks, as PyTorch", () => {
  const ones = (n: number): Tensor => tensorOf([1, n], new Array<number>(n).fill(1));
  const grads = (backward: (dy: Tensor, saved: Tensor) => Tensor[], saved: readonly number[]) => [
    ...backward(ones(saved.length), tensorOf([1, saved.length], saved))[0].data,
  ];

  // Expected values are PyTorch's: `x.grad` after `f(x).sum().backward()` (torch 1.13, CPU), which
  // derivatives.yaml defines as relu: threshold_backward(grad, result, 0) (0 where result <= 0);
  // leaky_relu_backward: self > 0 ? grad : grad·negative_slope; elu_backward: self <= 0 ?
  // grad·alpha·exp(self) : grad; hardtanh_backward (F.relu6, F.hardtanh): 0 where self <= min or
  // self >= max; clamp_backward (torch.clamp): grad where min <= self <= max, else 0;
  // hardswish_backward: self < −3 ? 0 : self <= 3 ? grad·(self/3 + 0.5) : grad;
  // hardsigmoid_backward: −3 < self < 3 ? grad/6 : 0.
  it("relu'(0) = 0 (from its output 0)", () => {
    expect(grads(runtime.reluBackward, [0, -0, 1, -1])).toEqual([0, 0, 1, 0]);
  });
  it("leaky_relu'(0) = alpha", () => {
    const alpha = Math.fround(0.1); // PyTorch: [0.10000000149011612, 0.10000000149011612] at 0 and −1
    expect(grads((dy, x) => runtime.leakyReluBackward(dy, x, { alpha: 0.1 }), [0, -1, 2])).toEqual([alpha, alpha, 1]);
  });
  it("elu'(0) = alpha", () => {
    const alpha = Math.fround(0.7); // PyTorch: [0.699999988079071, 0.699999988079071, 1.0] at 0, −0, 1
    expect(grads((dy, x) => runtime.eluBackward(dy, x, { alpha: 0.7 }), [0, -0, 1])).toEqual([alpha, alpha, 1]);
  });
  it("relu6 passes no gradient at 0 or 6, all of it strictly inside", () => {
    // PyTorch: [0.0, 0.0, 1.0, 0.0, 0.0] at 0, 6, 3, −1, 7 (torch.clamp would give 1 at both bounds).
    expect(grads((dy, x) => runtime.clipBackward(dy, x, { min: 0, max: 6 }), [0, 6, 3, -1, 7])).toEqual([0, 0, 1, 0, 0]);
  });
  it("hardtanh passes no gradient on its bounds, clamp all of it; a NaN passes hardtanh's and not clamp's", () => {
    // PyTorch: F.hardtanh(x, −1, 1) gives [0, 0, 1, 0, 0, 1] and torch.clamp(x, −1, 1) [1, 1, 1, 0, 0, 0]
    // at −1, 1, 0.5, −2, 2, NaN.
    const x = [-1, 1, 0.5, -2, 2, NaN];
    expect(grads((dy, v) => runtime.clipBackward(dy, v, { min: -1, max: 1 }), x)).toEqual([0, 0, 1, 0, 0, 1]);
    expect(grads((dy, v) => runtime.clipBackward(dy, v, { min: -1, max: 1, bound_gradient: 1 }), x)).toEqual([1, 1, 1, 0, 0, 0]);
  });
  it("hardsigmoid' is 0 at ±3 and 1/6 strictly between", () => {
    // PyTorch: [0.0, 0.0, 0.1666666716337204, 0.1666666716337204, 0.0, 0.0, 0.0] at −3, 3, −2.999, 2.999, −4, 4, NaN.
    const sixth = Math.fround(1 / 6);
    const x = [-3, 3, -2.999, 2.999, -4, 4, NaN];
    expect(grads((dy, v) => runtime.hardsigmoidBackward(dy, v, HARDSIGMOID), x)).toEqual([0, 0, sixth, sixth, 0, 0, 0]);
  });
  it("hardswish' is −1/2 at −3 and 3/2 at 3", () => {
    // PyTorch: [-0.5, 1.5, 0.0, 1.0, 0.5] at −3, 3, −4, 4, 0.
    expect(grads(runtime.hardswishBackward, [-3, 3, -4, 4, 0])).toEqual([-0.5, 1.5, 0, 1, 0.5]);
  });
  it("prelu at 0: dx = slope, and x = 0 adds nothing to the slope's gradient", () => {
    // PyTorch: F.prelu([[0, 1, −1]], [0.25]).sum().backward() gives x.grad [0.25, 1, 0.25], weight.grad [−1].
    const [dx, dslope] = runtime.preluBackward(ones(3), tensorOf([1, 3], [0, 1, -1]), tensorOf([1], [0.25]), { wants: [1, 1] });
    expect([...dx.data]).toEqual([0.25, 1, 0.25]);
    expect([...dslope.data]).toEqual([-1]);
  });
});

describe("maxout ties and prelu slopes", () => {
  it("maxout shares the gradient evenly among tied maxima, as amax", () => {
    // The reference maxout is `x.reshape(N, C/p, p, ...).amax(dim=2)`; PyTorch gives
    // [[0, 0, 1, 0.5, 0.5, 0]] for x = [[1, 1, 2, 2, 2, 0]], pieces 3, gradient 1.
    const x = tensorOf([1, 6], [1, 1, 2, 2, 2, 0]);
    const y = runtime.maxout(x, { pieces: 3 });
    expect([...runtime.maxoutBackward(tensorOf([1, 2], [1, 1]), x, y, { pieces: 3 })[0].data]).toEqual([0, 0, 1, 0.5, 0.5, 0]);
    // Three tied pieces of an image position each get a third; the untied position goes to its maximum.
    const image = tensorOf([1, 3, 1, 2], [5, 1, 5, 2, 5, 3]);
    const dx = runtime.maxoutBackward(tensorOf([1, 1, 1, 2], [3, 6]), image, runtime.maxout(image, { pieces: 3 }), { pieces: 3 })[0];
    expect([...dx.data]).toEqual([1, 0, 1, 0, 1, 6]);
  });

  it("sums the slope's gradient per channel, or over everything when shared", () => {
    // x [2, 2, 1, 2] (N, C, H, W); negative entries: channel 0 has −1 (g 2) and −3 (g 1); channel 1 has −2 (g 4).
    const x = tensorOf([2, 2, 1, 2], [-1, 5, 4, -2, 1, -3, 0, 2]);
    const dy = tensorOf([2, 2, 1, 2], [2, 1, 1, 4, 1, 1, 7, 1]);
    const [dx, perChannel] = runtime.preluBackward(dy, x, tensorOf([2], [0.5, 0.25]));
    expect([...perChannel.data]).toEqual([-1 * 2 + -3 * 1, -2 * 4]);
    expect([...dx.data]).toEqual([1, 1, 1, 1, 1, 0.5, 1.75, 1]);
    const [shared] = runtime.preluBackward(dy, x, tensorOf([1], [0.5]), { wants: [0, 1] });
    expect(shared.shape).toEqual([1]);
    expect([...shared.data]).toEqual([-13]);
    const onlyX = runtime.preluBackward(dy, x, tensorOf([1], [0.5]), { wants: [1, 0] });
    expect(onlyX).toHaveLength(1);
    expect(onlyX[0].shape).toEqual([2, 2, 1, 2]);
  });
});

/**
 * Runs the seeded backward graph of `source` on `x` and parameters from `paramOf`, and checks the
 * gradient of the input and of every parameter against finite differences of the forward graph;
 * returns the ops of the backward graph.
 */
function checkModelGradients(source: string, x: Tensor, paramOf: (name: string, shape: number[]) => Tensor, random: () => number): string[] {
  const { model, graph: forward } = loweredModel(source);
  const params = new Map<string, Tensor>(model.params.map((p) => [p.name, paramOf(p.name, p.shape as number[])]));
  const seed = randomTensor(random, [...executeGraph(forward, params, [x]).outputs[0].shape], -1, 1);
  const seeded = seededGradients(forward);
  const run = executeGraph(seeded.graph, params, [x, seed], { training: true }).outputs;
  const outputs = new Map(seeded.graph.outputs.map((name, i) => [name, run[i]]));
  const input = forward.inputs[0];
  const names = [input, ...model.params.map((p) => p.name)];
  expect([...seeded.gradients.keys()].sort()).toEqual([...names].sort());
  // The model as a function of the tensors (x, parameters...), for finite differences.
  const output = (tensors: Tensor[]): Tensor => {
    const moved = new Map(params);
    names.forEach((name, k) => k > 0 && moved.set(name, tensors[k]));
    return executeGraph(forward, moved, [tensors[0]], { training: true }).outputs[0];
  };
  const values = names.map((name) => (name === input ? x : params.get(name)!));
  expect([...output(values).data]).toEqual([...run[0].data]);
  names.forEach((name, k) => {
    const analytic = outputs.get(seeded.gradients.get(name)!)!;
    expect(mismatch(analytic, numericGradient(output, values, seed, k)), name).toBeUndefined();
  });
  return seeded.graph.nodes.map((n) => n.op);
}

describe("backward rules through seededGradients and executeGraph", () => {
  it.each([
    ["relu", "ReluGrad"],
    ["sigmoid", "SigmoidGrad"],
    ["tanh", "TanhGrad"],
    ["gelu", "GeluGrad"],
    ["silu", "SiluGrad"],
    ["leaky_relu(alpha: 0.2)", "LeakyReluGrad"],
    ["elu(alpha: 0.7)", "EluGrad"],
    ["relu6", "ClipGrad"],
    ["hardswish", "HardSwishGrad"],
    ["hardtanh(min: -3, max: 3)", "ClipGrad"],
    ["clamp(min: 0, max: 6)", "ClipGrad"],
    ["hardsigmoid", "HardSigmoidGrad"],
    ["prelu", "PReluGrad"],
    ["prelu(shared: true)", "PReluGrad"],
    ["maxout(pieces: 2)", "MaxoutGrad"],
    ["softmax", "SoftmaxGrad"],
    ["log_softmax", "LogSoftmaxGrad"],
  ])("%s alone", (layer, backward) => {
    const random = runtime.createRandom(layer.length * 31 + layer.charCodeAt(1));
    // Uniform in [−5, 8), at least 0.05 from every kink (with this seed no two maxout pieces lie within 2·EPS either).
    const x = randomTensor(random, [2, 4, 2, 2], -5, 8, [-3, 0, 3, 6], 0.05);
    const ops = checkModelGradients(`model M(x: [N, 4, 2, 2]) { return x -> ${layer} }`, x, (_, shape) => randomTensor(random, shape, 0, 0.5), random);
    expect(ops.filter((op) => op.endsWith("Grad"))).toEqual([backward]);
  });

  it("dense -> prelu -> dense -> log_softmax", () => {
    const source = "model Head(x: [N, 4]) {\n  return x -> dense(5) -> prelu -> dense(3) -> log_softmax\n}\n";
    const random = runtime.createRandom(11);
    // Slopes in [0, 0.5), as around nn.PReLU's 0.25; weights and biases in [−1, 1).
    const paramOf = (name: string, shape: number[]) => (name.includes("prelu") ? randomTensor(random, shape, 0, 0.5) : randomTensor(random, shape, -1, 1));
    const ops = checkModelGradients(source, randomTensor(random, [2, 4], -2, 2), paramOf, random);
    expect(ops).toEqual(expect.arrayContaining(["LogSoftmaxGrad", "PReluGrad", "GemmGrad"]));
  });
});
