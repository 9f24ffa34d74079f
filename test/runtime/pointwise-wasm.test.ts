/**
 * relu, its backward and the plain sum on large tensors run in WebAssembly (`ProductHeap.pointwise`,
 * a chunk at a time through the heap): the same bits as their TypeScript loops, on every special
 * float32 (±0, ±∞, NaNs of both signs with payloads, subnormals, extremes) paired with every other,
 * at lengths that end inside a vector and inside a chunk, in place and not. Likewise the
 * normalizers' per-plane affine passes (`ProductHeap.planewise`: the forward's `x·a + b`, the
 * backward's `a·dy + b·x + c`, in float64): batch, instance and group normalization and their
 * backward, on planes whose size is and is not a multiple of four, and larger than a chunk. And
 * their statistics' float64 sums (`ProductHeap.planeSums`), exactly, on values whose magnitudes
 * span 2⁻³⁰ … 2³⁰ so that any change of order shows, with odd numbers of planes. And SGD's and
 * Adam's updates (`ProductHeap.sgd`, `ProductHeap.adam`) in each of their forms, over three
 * steps. And the 2×2 stride-2 max pool and its backward (`ProductHeap.pairPool`) on ties, signed
 * zeros and infinities, with a NaN (which sends the whole pool back to the TypeScript scan) and
 * without; and the average pool over the same windows and its backward.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  add,
  addRelu,
  batchNormalizationBackward,
  batchNormalizationTraining,
  convBackward,
  createRandom,
  groupNormalization,
  groupNormalizationBackward,
  instanceNormalization,
  instanceNormalizationBackward,
  averagePool,
  averagePoolBackward,
  maxPool,
  maxPoolBackward,
  erf,
  gelu,
  relu,
  reluBackward,
  sigmoid,
  silu,
  tanh,
  type Tensor,
} from "../../runtime/index.js";
import { sigmoidBackward, tanhBackward } from "../../runtime/gradients/activations.js";
import { channelMoments } from "../../runtime/moments.js";
import { binMoments } from "../../runtime/gradients/normalization-sums.js";
import { applyOptimizer, optimizerSlots, type ParameterState } from "../../runtime/train/optimizers.js";
import { resolveOptimizer } from "../../runtime/train/settings.js";
import { pointwiseHeap, setWasmProducts, WASM_POINTWISE_MIN_FLOATS } from "../../runtime/linalg/wasm-products.js";

afterEach(() => setWasmProducts(true));

/** `run`'s results with the WebAssembly kernels, then with them switched off (`afterEach` switches them back). */
function bothWays<T>(run: () => T): [T, T] {
  const wasm = run();
  setWasmProducts(false);
  return [wasm, run()];
}

const SPECIAL_BITS = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000,
  0x7fc00000, 0xffc00000, 0x7fc12345, 0xffc12345,
  0x00000001, 0x80000001, 0x007fffff, 0x807fffff,
  0x00800000, 0x80800000, 0x7f7fffff, 0xff7fffff,
  0x3f800000, 0xbf800000, 0x40490fdb, 0xc0490fdb,
];

/** `length` floats: every special value against every other (as a and b), then random ones. */
function operands(length: number): [Float32Array, Float32Array] {
  const a = new Int32Array(length);
  const b = new Int32Array(length);
  const s = SPECIAL_BITS.length;
  let seed = 12345;
  for (let i = 0; i < length; i++) {
    if (i < s * s) {
      a[i] = SPECIAL_BITS[Math.floor(i / s)] | 0;
      b[i] = SPECIAL_BITS[i % s] | 0;
    } else {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      a[i] = (seed & 0x3fffffff) - 0x1fffffff + 0x3f000000 * (seed & 1);
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      b[i] = seed;
    }
  }
  return [new Float32Array(a.buffer), new Float32Array(b.buffer)];
}

/** Bits, with every NaN as one pattern where `anyNan`: a sum with a NaN may carry either payload. */
function bits(data: Float32Array, anyNan = false): Uint32Array {
  const out = new Uint32Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  if (anyNan) for (let i = 0; i < out.length; i++) if (Number.isNaN(data[i])) out[i] = 0x7fc00000;
  return out;
}

/** The first index where two bit arrays differ, or -1. */
function firstDifference(x: Uint32Array, y: Uint32Array): number {
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return x.length === y.length ? -1 : x.length;
}

const LENGTHS = [WASM_POINTWISE_MIN_FLOATS, WASM_POINTWISE_MIN_FLOATS + 3, 16_384 * 2 + 5, 70_001];

describe("relu, reluBackward, add and the fused add + relu in WebAssembly", () => {
  it("run there at these lengths", () => {
    for (const n of LENGTHS) expect(pointwiseHeap(n)).toBeDefined();
    expect(pointwiseHeap(WASM_POINTWISE_MIN_FLOATS - 1)).toBeUndefined();
  });

  it.each(LENGTHS)("give the TypeScript loops' bits at %i floats", (n) => {
    const [a, b] = operands(n);
    const shape = [n];
    const run = () => ({
      relu: relu({ shape, data: a }).data.slice(),
      backward: reluBackward({ shape, data: a }, { shape, data: b })[0].data.slice(),
      sum: add({ shape, data: a }, { shape, data: b }).data.slice(),
      sumRelu: addRelu({ shape, data: a }, { shape, data: b }).data.slice(),
    });
    const [wasm, ts] = bothWays(run);
    expect(firstDifference(bits(wasm.relu), bits(ts.relu))).toBe(-1);
    expect(firstDifference(bits(wasm.backward), bits(ts.backward))).toBe(-1);
    expect(firstDifference(bits(wasm.sum, true), bits(ts.sum, true))).toBe(-1);
    // The fused residual sum: relu of the sum, in one pass, as relu after add (a NaN sum gives +0).
    expect(firstDifference(bits(wasm.sumRelu), bits(ts.sumRelu))).toBe(-1);
    expect(firstDifference(bits(wasm.sumRelu), bits(relu({ shape, data: wasm.sum }).data))).toBe(-1);
    // Element p·20 + q pairs a = special p with b = special q: spot checks of the formulas.
    const at = (p: number, q: number) => p * SPECIAL_BITS.length + q;
    expect([wasm.relu[at(16, 0)], wasm.relu[at(2, 0)], wasm.relu[at(3, 0)], Object.is(wasm.relu[at(1, 0)], 0)]).toEqual([1, Infinity, 0, true]);
    // dy = 1 where y = +0, −0, NaN, 1, −1: cleared at ±0 and −1, passed at NaN and 1.
    expect([at(16, 0), at(16, 1), at(16, 4), at(16, 16), at(16, 17)].map((i) => wasm.backward[i])).toEqual([0, 0, 1, 1, 0]);
    expect([wasm.sum[at(16, 16)], wasm.sum[at(2, 3)], wasm.sum[at(14, 14)]]).toEqual([2, NaN, Infinity]);
  });

  it.each(LENGTHS)("tanh's and sigmoid's gradients give the TypeScript loops' bits at %i floats, in float32 operations", (n) => {
    const [dy, yRaw] = operands(n);
    // Outputs of tanh and sigmoid (within [-1, 1] and [0, 1]) past the special values, which stay.
    const y = yRaw.map((v, i) => (i < SPECIAL_BITS.length ** 2 ? v : Math.sin(v)));
    const shape = [n];
    const run = () => [tanhBackward, sigmoidBackward].map((kernel) => kernel({ shape, data: dy }, { shape, data: y })[0].data.slice());
    const [wasm, ts] = bothWays(run);
    wasm.forEach((data, k) => expect(firstDifference(bits(data, true), bits(ts[k], true))).toBe(-1));
    // float32 operations, as PyTorch's: dy·(1 − y·y) and (dy·(1 − y))·y, each product and difference rounded.
    const f = Math.fround;
    const i = SPECIAL_BITS.length ** 2 + 1;
    expect(wasm[0][i]).toBe(f(dy[i] * f(1 - f(y[i] * y[i]))));
    expect(wasm[1][i]).toBe(f(f(dy[i] * f(1 - y[i])) * y[i]));
  });

  it("write in place, over an operand", () => {
    const n = 70_001;
    const [a, b] = operands(n);
    const want = add({ shape: [n], data: a }, { shape: [n], data: b }).data.slice();
    const reluWant = relu({ shape: [n], data: a }).data.slice();
    const x = a.slice();
    add({ shape: [n], data: x }, { shape: [n], data: b }, x);
    expect(firstDifference(bits(x, true), bits(want, true))).toBe(-1);
    const y = a.slice();
    relu({ shape: [n], data: y }, y);
    expect(firstDifference(bits(y), bits(reluWant))).toBe(-1);
  });
});

/** The activations that run on the heap, with their scalar functions in double precision. */
const ACTIVATIONS = [
  ["tanh", tanh, Math.tanh],
  ["sigmoid", sigmoid, (x: number) => 1 / (1 + Math.exp(-x))],
  ["silu", silu, (x: number) => x / (1 + Math.exp(-x))],
  ["gelu", gelu, (x: number) => 0.5 * x * (1 + erf(x * Math.SQRT1_2))],
] as const;

/** Each activation at +∞, −∞ and NaN, as PyTorch gives them. */
const AT_INFINITIES = { tanh: [1, -1, NaN], sigmoid: [1, 0, NaN], silu: [Infinity, NaN, NaN], gelu: [Infinity, NaN, NaN] };

describe("tanh, sigmoid, silu and gelu in WebAssembly", () => {
  it.each(ACTIVATIONS)("%s: within 5e-7 · max(1, |x|) + 5e-6 · |y| of the exact function, with the TypeScript loop's special values, in place too", (name, kernel, exact) => {
    const n = 70_001;
    // Every special value, then values spread over ±20 (sigmoid's far tail, the clamps), then tiny ones.
    const x = new Float32Array(n);
    x.set(new Float32Array(Uint32Array.from(SPECIAL_BITS).buffer));
    const random = createRandom(3);
    for (let i = SPECIAL_BITS.length; i < n; i++) x[i] = i % 7 === 0 ? (random() - 0.5) * 1e-12 : (random() - 0.5) * 40;
    const [wasm, ts] = bothWays(() => kernel({ shape: [n], data: x }).data.slice());
    let worst = 0;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(x[i])) continue;
      const want = exact(x[i]);
      worst = Math.max(worst, Math.abs(wasm[i] - want) / (5e-7 * Math.max(1, Math.abs(x[i])) + 5e-6 * Math.abs(want)));
    }
    expect(worst).toBeLessThanOrEqual(1);
    // +∞, −∞ and a NaN give PyTorch's values (torch 1.13 on a CPU).
    expect([wasm[2], wasm[3], wasm[4]]).toEqual(AT_INFINITIES[name]);
    // The TypeScript loop is the exact function rounded once.
    expect(ts[100]).toBe(Math.fround(exact(x[100])));
    setWasmProducts(true);
    const y = x.slice();
    kernel({ shape: [n], data: y }, y);
    expect(firstDifference(bits(y, true), bits(wasm, true))).toBe(-1);
  });
});

/** A tensor of normal values around `shift`, from a fixed seed. */
function normal(shape: number[], seed: number, shift = 0): Tensor {
  const random = createRandom(seed);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  // Box–Muller from the uniform source.
  for (let i = 0; i < data.length; i++) data[i] = shift + Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return { shape, data };
}

describe("the normalizers' affine passes (batch norm's also with its relu fused) in WebAssembly", () => {
  // Planes of 49 (not a whole number of vectors), 64, and 16,900 (more than a chunk of 16,384).
  it.each([
    [[8, 12, 7, 7]],
    [[32, 16, 8, 8]],
    [[2, 4, 130, 130]],
  ])("give the TypeScript loops' bits on %j", (shape) => {
    const c = shape[1];
    const x = normal(shape, 1, 3);
    const dy = normal(shape, 2);
    const scale = normal([c], 3, 1);
    const bias = normal([c], 4);
    const zeros = { shape: [c], data: new Float32Array(c) };
    const ones = { shape: [c], data: new Float32Array(c).fill(1) };
    const all = { wants: [1, 1, 1] };
    const run = (): Float32Array[] => [
      batchNormalizationTraining(x, scale, bias, zeros, ones)[0].data,
      batchNormalizationTraining(x, scale, bias, zeros, ones, { relu: true })[0].data,
      ...batchNormalizationBackward(dy, x, scale, bias, zeros, ones, all).map((t) => t.data),
      instanceNormalization(x, scale, bias).data,
      ...instanceNormalizationBackward(dy, x, scale, bias, all).map((t) => t.data),
      groupNormalization(x, scale, bias, { groups: 2 }).data,
      ...groupNormalizationBackward(dy, x, scale, bias, { num_groups: 2, ...all }).map((t) => t.data),
    ].map((d) => d.slice());
    expect(pointwiseHeap(x.data.length)).toBeDefined();
    const [wasm, ts] = bothWays(run);
    expect(wasm.map((d, k) => firstDifference(bits(d), bits(ts[k])))).toEqual(wasm.map(() => -1));
    // With its relu fused, the relu of the plain forward's output, bit for bit.
    expect(firstDifference(bits(wasm[1]), bits(relu({ shape, data: wasm[0] }).data))).toBe(-1);
    expect(wasm[1].some((v) => v > 0) && wasm[1].some((v) => Object.is(v, 0))).toBe(true);
    // Normalized over the batch: each channel of the forward has mean β and spread γ.
    const [n, , h, w] = shape;
    const channel0 = Array.from({ length: n }, (_, i) => Array.from(wasm[0].subarray(i * c * h * w, i * c * h * w + h * w))).flat();
    const mean = channel0.reduce((a, b) => a + b, 0) / channel0.length;
    expect(mean).toBeCloseTo(bias.data[0], 4);
  });
});

/** `count` values about `centre`, of magnitudes from 2⁻³⁰ to 2³⁰, so that a float64 sum rounds and its order shows. */
function spread(count: number, seed: number, centre: number): Float32Array {
  const random = createRandom(seed);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = centre + (random() - 0.3) * 2 ** Math.floor(60 * random() - 30);
  return data;
}

describe("the normalizers' statistics in WebAssembly", () => {
  // 35 planes of 126 (odd count, not whole vectors), 15 planes of 16,900 (two per chunk), and 6
  // planes of 729 (three pairs: the kernel's two pairs at a time, then one alone).
  it.each([
    [[5, 7, 9, 14]],
    [[3, 5, 130, 130]],
    [[1, 6, 27, 27]],
  ])("sum each plane in its order, as the TypeScript loops, on %j", (shape) => {
    const [n, c, h, w] = shape;
    const layout = { n, c, inner: h * w };
    const x = spread(n * c * h * w, 5, 1000);
    const dy = spread(n * c * h * w, 6, 0);
    const run = () => ({
      channel: channelMoments(x, layout),
      batch: binMoments(x, dy, layout, false),
      instance: binMoments(x, dy, layout, true),
    });
    expect(pointwiseHeap(x.length)).toBeDefined();
    const [wasm, ts] = bothWays(run);
    const text = (r: ReturnType<typeof run>) => JSON.stringify(r, (_, v) => (v instanceof Float64Array ? Array.from(v, String) : v));
    expect(text(wasm)).toEqual(text(ts));
    expect(wasm.channel.mean[0]).toBeGreaterThan(900);
  });

  it("sum a conv's bias gradient plane by plane, as the TypeScript loop", () => {
    const [n, m, h, w] = [6, 5, 13, 13];
    const dy = { shape: [n, m, h, w], data: spread(n * m * h * w, 13, 0.5) };
    const x = { shape: [n, 2, h, w], data: new Float32Array(n * 2 * h * w) };
    const weight = { shape: [m, 2, 1, 1], data: new Float32Array(m * 2) };
    const bias = { shape: [m], data: new Float32Array(m) };
    const run = () => convBackward(dy, x, weight, bias, { wants: [0, 0, 1] })[0].data.slice();
    const [wasm, ts] = bothWays(run);
    expect(firstDifference(bits(wasm), bits(ts))).toBe(-1);
    // Channel 0: its planes summed in double, then rounded once.
    let sum = 0;
    for (let image = 0; image < n; image++) {
      let plane = 0;
      for (let i = 0; i < h * w; i++) plane += dy.data[(image * m) * h * w + i];
      sum += plane;
    }
    expect(wasm[0]).toBe(Math.fround(sum));
  });
});

describe("the optimizers' updates in WebAssembly", () => {
  it.each([
    [{ name: "sgd", lr: 0.1 }],
    [{ name: "sgd", lr: 0.05, momentum: 0.9 }],
    [{ name: "sgd", lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 1e-3 }],
    [{ name: "sgd", lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 5e-4 }],
    [{ name: "adam", lr: 0.002 }],
    [{ name: "adam", lr: 0.01, weightDecay: 1e-2, betas: [0.8, 0.99], eps: 1e-6 }],
    [{ name: "adamw", lr: 0.003 }],
  ] as const)("give the TypeScript loop's bits, parameter and slots, over three steps: %j", (settings) => {
    const optimizer = resolveOptimizer(settings);
    const n = 70_001;
    const grads = [spread(n, 7, 0), spread(n, 8, 0.5), spread(n, 9, -0.5)];
    const slots = optimizerSlots(optimizer);
    const run = () => {
      const param = spread(n, 10, 0.25);
      const state: ParameterState = { step: 0, slots: Object.fromEntries(slots.map((slot) => [slot, new Float32Array(n)])) };
      for (const grad of grads) applyOptimizer(optimizer, optimizer.lr, param, grad, state);
      return [param, ...slots.map((slot) => state.slots[slot]!)];
    };
    expect(pointwiseHeap(n)).toBeDefined();
    const [wasm, ts] = bothWays(run);
    expect(wasm.map((d, k) => firstDifference(bits(d), bits(ts[k])))).toEqual(wasm.map(() => -1));
    expect(firstDifference(bits(wasm[0]), bits(spread(n, 10, 0.25)))).toBe(0);
  });
});

describe("the 2×2 max pool in WebAssembly", () => {
  /**
   * Values from few levels, so that windows tie, with ±0 and +∞ among them (not −∞ too: a window
   * holding both has a NaN sum, and sends the pool to the scan); a NaN at `nanAt`.
   */
  function levels(length: number, seed: number, nanAt?: number): Float32Array {
    const random = createRandom(seed);
    const pick = [0, -0, 1, -1, 2, 0.5, Infinity, 3];
    const data = Float32Array.from({ length }, () => pick[Math.floor(random() * pick.length)]);
    if (nanAt !== undefined) data[nanAt] = NaN;
    return data;
  }

  // Rows of 14 windows (three vectors and two single ones), and of 7 (one vector and three).
  it.each([
    [[4, 8, 28, 28], undefined],
    [[8, 8, 14, 14], undefined],
    [[8, 8, 14, 14], 5000],
  ] as const)("gives the TypeScript loops' bits on %j, NaN at %s", (shape, nanAt) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const x = { shape: [...shape], data: levels(size, 11, nanAt) };
    const dy = { shape: [shape[0], shape[1], shape[2] / 2, shape[3] / 2], data: levels(size / 4, 12) };
    const run = () => [
      maxPool(x, { kernelShape: 2, strides: 2 }).data.slice(),
      maxPoolBackward(dy, x, { kernel_shape: [2, 2], strides: [2, 2], wants: [1] })[0].data.slice(),
    ];
    // The kernel runs to the end only without a NaN window.
    const heap = pointwiseHeap(size)!;
    expect(heap.pairPool(x.data, shape[2], shape[3], new Float32Array(size / 4))).toBe(nanAt === undefined);
    expect(heap.pairPool(x.data, shape[2], shape[3], new Float32Array(size), dy.data)).toBe(nanAt === undefined);
    const [wasm, ts] = bothWays(run);
    expect(wasm.map((d, k) => firstDifference(bits(d, true), bits(ts[k], true)))).toEqual([-1, -1]);
    // Each window's gradient lands on one of its four values, as a +0 where dy is −0.
    expect(wasm[1].reduce((count, v) => count + (v !== 0 ? 1 : 0), 0)).toBe(dy.data.reduce((count, v) => count + (v !== 0 ? 1 : 0), 0));
    expect(bits(wasm[1]).some((b) => b === 0x80000000)).toBe(false);
  });

  it.each([[[4, 8, 28, 28]], [[8, 8, 14, 14]]] as const)("averages as the TypeScript loops on %j, forward and backward", (shape) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const x = { shape: [...shape], data: levels(size, 13) };
    // The first window all −0: its mean is +0, as the loop's sum from 0 gives.
    for (const i of [0, 1, shape[3], shape[3] + 1]) x.data[i] = -0;
    const dy = { shape: [shape[0], shape[1], shape[2] / 2, shape[3] / 2], data: levels(size / 4, 14) };
    const run = () => [
      averagePool(x, { kernelShape: 2, strides: 2 }).data.slice(),
      averagePoolBackward(dy, x, { kernel_shape: [2, 2], strides: [2, 2], wants: [1] })[0].data.slice(),
    ];
    expect(pointwiseHeap(size)).toBeDefined();
    const [wasm, ts] = bothWays(run);
    expect(wasm.map((d, k) => firstDifference(bits(d, true), bits(ts[k], true)))).toEqual([-1, -1]);
    expect(Object.is(wasm[0][0], 0)).toBe(true);
    expect(wasm[1][0]).toBe(dy.data[0] / 4 + 0);
  });
});
