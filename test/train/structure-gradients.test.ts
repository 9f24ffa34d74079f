/**
 * The backward kernels and rules of conv, dense, the pools and the structural operators against
 * central finite differences, and two small models differentiated end to end.
 *
 * A kernel check perturbs every element of an input by ±EPS (float32), takes
 * `L = Σ dy · forward(inputs)` in double, and compares `(L₊ − L₋) / (x₊ − x₋)` with the backward
 * kernel's gradient: the largest difference must stay under TOLERANCE times the largest numerical
 * entry, and the same gradient scaled by 1.01 must fail that bound (so the check can tell a 1 %
 * error). Every operator here is linear in each input with the others fixed (max pools away from
 * ties), or smooth (`Div`), so the differences are exact up to float32 rounding.
 *
 * Ties of the max pools are checked exactly instead, against PyTorch's rules: `max_pool2d` gives a
 * window's gradient to the first maximum in its row-major scan, `amax` (what `global_maxpool`
 * matches) shares it among all the maxima. The hand-written cases were read off PyTorch 2 (CPU).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { verify } from "../../compiler/ir/verify.js";
import { seededGradients } from "../../compiler/train/training-graph.js";
import * as runtime from "../../runtime/index.js";
import type { Tensor } from "../../runtime/index.js";
import { STRUCTURE_GRADIENT_KERNELS } from "../../runtime/ops/grad-structure.js";
import { IR_OPERATORS } from "../../runtime/ops/index.js";
import { randomTensor } from "./support.js";

const EPS = 1e-2;
const TOLERANCE = 2e-3;

/** Distinct values 3·EPS apart, shuffled: no two elements of a window come within a perturbation of each other. */
function distinctTensor(shape: number[], seed: number): Tensor {
  const random = runtime.createRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, (_, i) => (i - size / 2) * 3 * EPS);
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return { shape, data: Float32Array.from(values) };
}

/** Values on the grid {-1, -0.5, 0, 0.5, 1}: windows hold ties. */
function gridTensor(shape: number[], seed: number): Tensor {
  const random = runtime.createRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: size }, () => Math.floor(random() * 5) / 2 - 1) };
}

const tensorOf = (shape: number[], values: number[]): Tensor => ({ shape, data: Float32Array.from(values) });

/** Σ a·b in double. */
function dot(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += a.data[i] * b.data[i];
  return sum;
}

/** The central difference of `loss()` in `data[i]`, perturbed by ±EPS in float32 and restored. */
function centralDifference(data: Float32Array, i: number, loss: () => number): number {
  const saved = data[i];
  const up = Math.fround(saved + EPS);
  const down = Math.fround(saved - EPS);
  data[i] = up;
  const plus = loss();
  data[i] = down;
  const minus = loss();
  data[i] = saved;
  return (plus - minus) / (up - down);
}

/** Central differences of `Σ dy · f(inputs)` with respect to every element of `inputs[k]`. */
function numericGradient(f: (inputs: Tensor[]) => Tensor, inputs: Tensor[], k: number, dy: Tensor): Float64Array {
  const x = inputs[k].data;
  return Float64Array.from({ length: x.length }, (_, i) => centralDifference(x, i, () => dot(dy, f(inputs))));
}

/** The largest difference between `actual` and `expected`, relative to the largest |expected|. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-6);
}

/** `analytic` within TOLERANCE of `numeric`, and 1.01·`analytic` not. */
function expectClose(what: string, analytic: ArrayLike<number>, numeric: ArrayLike<number>): void {
  expect(analytic.length, what).toBe(numeric.length);
  expect(relativeError(analytic, numeric), what).toBeLessThan(TOLERANCE);
  const scaled = Array.from(analytic, (v) => v * 1.01);
  expect(relativeError(scaled, numeric), `${what} scaled by 1.01`).toBeGreaterThan(TOLERANCE);
}

/**
 * Checks a backward kernel against finite differences of its forward: `backward(dy, inputs)`
 * returns the gradients of the inputs flagged in `wants`, in input order.
 */
function checkKernel(
  what: string,
  forward: (inputs: Tensor[]) => Tensor,
  backward: (dy: Tensor, inputs: Tensor[]) => Tensor[],
  inputs: Tensor[],
  wants: readonly number[] = inputs.map(() => 1),
): void {
  const dy = randomTensor(forward(inputs).shape, 99);
  const grads = backward(dy, inputs);
  const wanted = inputs.flatMap((_, k) => (wants[k] === 1 ? [k] : []));
  expect(grads.length, what).toBe(wanted.length);
  wanted.forEach((k, j) => {
    expect(grads[j].shape, `${what}: gradient ${k}`).toEqual(inputs[k].shape);
    expectClose(`${what}: gradient of input ${k}`, grads[j].data, numericGradient(forward, inputs, k, dy));
  });
}

describe("the registry's backward operators", () => {
  it("each has a runtime kernel of its name and a registered IR operator", () => {
    expect(STRUCTURE_GRADIENT_KERNELS.length).toBe(17);
    for (const entry of STRUCTURE_GRADIENT_KERNELS) {
      const call = entry.kernel({ op: entry.op, inputs: ["dy", "x"], attrs: { wants: [1] } }, true);
      expect(typeof (runtime as unknown as Record<string, unknown>)[call.kernel], call.kernel).toBe("function");
      expect(call.kernel).toMatch(/Backward$/);
      expect(IR_OPERATORS.get(entry.op)?.backward, entry.op).toBeUndefined();
    }
    for (const op of ["Conv", "Gemm", "MaxPool", "AveragePool", "AdaptiveAveragePool", "GlobalAveragePool", "GlobalMaxPool", "Flatten", "Reshape", "Concat", "Slice", "ChannelShuffle", "Add", "Sub", "Mul", "Div", "Identity", "Dropout"]) {
      expect(IR_OPERATORS.get(op)?.backward, op).toBeDefined();
    }
  });
});

interface ConvCase {
  readonly name: string;
  readonly x: number[];
  readonly w: number[];
  readonly bias: boolean;
  readonly strides: [number, number];
  readonly pads: [number, number, number, number];
  readonly dilations: [number, number];
  readonly group: number;
}

const CONV_CASES: ConvCase[] = [
  { name: "3x3, pad 1", x: [2, 3, 5, 5], w: [4, 3, 3, 3], bias: true, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 },
  { name: "stride 2, asymmetric pads, dilation (2, 1)", x: [1, 2, 7, 6], w: [3, 2, 2, 3], bias: true, strides: [2, 2], pads: [1, 0, 2, 1], dilations: [2, 1], group: 1 },
  { name: "stride (1, 2), no padding", x: [2, 2, 5, 6], w: [2, 2, 3, 2], bias: false, strides: [1, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 },
  { name: "2 groups", x: [2, 4, 5, 5], w: [6, 2, 3, 3], bias: false, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 2 },
  { name: "depthwise, stride 2, dilation 2", x: [2, 3, 6, 6], w: [3, 1, 3, 3], bias: true, strides: [2, 2], pads: [1, 1, 1, 1], dilations: [2, 2], group: 3 },
  { name: "depthwise, asymmetric pads", x: [1, 2, 5, 4], w: [2, 1, 3, 2], bias: false, strides: [1, 1], pads: [0, 1, 2, 0], dilations: [1, 1], group: 2 },
  { name: "channel multiplier 2 (one input channel per group)", x: [2, 2, 4, 4], w: [4, 1, 3, 3], bias: true, strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 2 },
  { name: "1x1", x: [2, 3, 4, 4], w: [5, 3, 1, 1], bias: true, strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 },
  { name: "1x1, stride 2, pad 1", x: [2, 3, 4, 5], w: [2, 3, 1, 1], bias: true, strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 },
];

describe("convBackward", () => {
  it.each(CONV_CASES)("matches finite differences: $name", (c) => {
    const attrs = { strides: c.strides, pads: c.pads, dilations: c.dilations, group: c.group };
    const inputs = [randomTensor(c.x, 1), randomTensor(c.w, 2), ...(c.bias ? [randomTensor([c.w[0]], 3)] : [])];
    checkKernel(
      c.name,
      ([x, w, b]) => runtime.conv(x, w, b, attrs),
      (dy, [x, w, b]) => runtime.convBackward(dy, x, w, b, { ...attrs, kernel_shape: c.w.slice(2), wants: inputs.map(() => 1) }),
      inputs,
    );
  });

  it("computes only the wanted gradients, each as the full call does", () => {
    const c = CONV_CASES[1];
    const attrs = { strides: c.strides, pads: c.pads, dilations: c.dilations, group: 1 };
    const [x, w, b] = [randomTensor(c.x, 1), randomTensor(c.w, 2), randomTensor([c.w[0]], 3)];
    const dy = randomTensor(runtime.conv(x, w, b, attrs).shape, 4);
    const backward = (wants: number[]) => runtime.convBackward(dy, x, w, b, { ...attrs, kernel_shape: c.w.slice(2), wants });
    const [dx, dw, db] = backward([1, 1, 1]);
    expect(backward([0, 1, 1])).toEqual([dw, db]);
    expect(backward([1, 0, 0])).toEqual([dx]);
  });

  it("refuses a fused activation", () => {
    const x = randomTensor([1, 1, 3, 3], 1);
    const w = randomTensor([1, 1, 1, 1], 2);
    const attrs = { kernel_shape: [1, 1], wants: [1, 1], activation: { kind: "relu" } };
    expect(() => runtime.convBackward(x, x, w, undefined, attrs)).toThrow(/fused activation/);
  });
});

describe("gemmBackward", () => {
  it.each([true, false])("matches finite differences (bias %s)", (bias) => {
    const inputs = [randomTensor([3, 5], 1), randomTensor([4, 5], 2), ...(bias ? [randomTensor([4], 3)] : [])];
    checkKernel(
      "gemm",
      ([x, w, b]) => runtime.gemm(x, w, b),
      (dy, [x, w, b]) => runtime.gemmBackward(dy, x, w, b, { wants: inputs.map(() => 1) }),
      inputs,
    );
  });

  it("computes only the weight gradient when only it is wanted", () => {
    const [x, w] = [randomTensor([3, 5], 1), randomTensor([4, 5], 2)];
    const dy = randomTensor([3, 4], 4);
    const [, dw] = runtime.gemmBackward(dy, x, w, undefined, { wants: [1, 1] });
    expect(runtime.gemmBackward(dy, x, w, undefined, { wants: [0, 1] })).toEqual([dw]);
  });
});

interface PoolCase {
  readonly name: string;
  readonly kernel_shape: [number, number];
  readonly strides: [number, number];
  readonly pads: [number, number, number, number];
  readonly x: number[];
  /** 1: ceil mode, whose last windows run past the input. */
  readonly ceil_mode?: number;
}

const POOL_CASES: PoolCase[] = [
  { name: "kernel 3, stride 2, pad 1", kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], x: [2, 2, 5, 5] },
  { name: "kernel 2, stride 1 (overlapping)", kernel_shape: [2, 2], strides: [1, 1], pads: [0, 0, 0, 0], x: [1, 3, 4, 5] },
  { name: "kernel (3, 2), stride (1, 2), pad (1, 0)", kernel_shape: [3, 2], strides: [1, 2], pads: [1, 0, 1, 0], x: [2, 1, 4, 6] },
  { name: "kernel 3, stride 2, ceil mode (clipped)", kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 0, 0], x: [2, 2, 6, 7], ceil_mode: 1 },
  { name: "kernel 2, stride 3, pad 1, ceil mode (a window dropped)", kernel_shape: [2, 2], strides: [3, 3], pads: [1, 1, 1, 1], x: [1, 2, 5, 6], ceil_mode: 1 },
];

/** A pool case's forward attributes (the kernels') and backward ones (the IR node's). */
function poolAttrs(c: PoolCase) {
  const forward = { kernelShape: c.kernel_shape, strides: c.strides, pads: c.pads, ceilMode: c.ceil_mode === 1 };
  const backward = { kernel_shape: c.kernel_shape, strides: c.strides, pads: c.pads, ceil_mode: c.ceil_mode ?? 0 };
  return { forward, backward };
}

/**
 * The gradient of a max pool by PyTorch's rule, written independently of the kernel: each
 * window's gradient goes to the first of its real elements, in row-major order, that equals the
 * window's maximum.
 */
function firstMaxReference(dy: Tensor, x: Tensor, k: number[], s: number[], p: number[]): Float32Array {
  const [n, c, h, w] = x.shape;
  const [, , oh, ow] = dy.shape;
  const dx = new Float32Array(x.data.length);
  for (let plane = 0; plane < n * c; plane++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const taps: number[] = [];
        for (let ky = 0; ky < k[0]; ky++) {
          for (let kx = 0; kx < k[1]; kx++) {
            const iy = oy * s[0] - p[0] + ky;
            const ix = ox * s[1] - p[1] + kx;
            if (iy >= 0 && iy < h && ix >= 0 && ix < w) taps.push(plane * h * w + iy * w + ix);
          }
        }
        const max = Math.max(...taps.map((i) => x.data[i]));
        const first = taps.find((i) => x.data[i] === max)!;
        dx[first] += dy.data[(plane * oh + oy) * ow + ox];
      }
    }
  }
  return dx;
}

describe("maxPoolBackward", () => {
  it.each(POOL_CASES)("matches finite differences without ties: $name", (c) => {
    const { forward, backward } = poolAttrs(c);
    checkKernel(c.name, ([x]) => runtime.maxPool(x, forward), (dy, [x]) => runtime.maxPoolBackward(dy, x, backward), [distinctTensor(c.x, 5)]);
  });

  it.each(POOL_CASES)("gives each window's gradient to its first maximum among ties: $name", (c) => {
    const { forward, backward } = poolAttrs(c);
    const x = gridTensor([c.x[0], c.x[1] + 2, c.x[2], c.x[3]], 6);
    const dy = randomTensor(runtime.maxPool(x, forward).shape, 7);
    const [dx] = runtime.maxPoolBackward(dy, x, backward);
    expect(Array.from(dx.data)).toEqual(Array.from(firstMaxReference(dy, x, c.kernel_shape, c.strides, c.pads)));
  });

  it("matches PyTorch's max_pool2d on a hand case of ties, and a NaN wins", () => {
    const x = tensorOf([1, 1, 3, 3], [1, 3, 3, 3, 3, 0, 3, 3, 3]);
    const ones = tensorOf([1, 1, 2, 2], [1, 1, 1, 1]);
    expect(Array.from(runtime.maxPoolBackward(ones, x, { kernel_shape: [2, 2], strides: [1, 1] })[0].data)).toEqual([0, 2, 0, 1, 1, 0, 0, 0, 0]);
    const nan = tensorOf([1, 1, 3, 3], [NaN, 3, NaN, 3, 3, 0, 3, 3, 3]);
    expect(Array.from(runtime.maxPoolBackward(tensorOf([1, 1, 1, 1], [1]), nan, { kernel_shape: [3, 3] })[0].data)).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it("never gives gradient to the padding, even when every real element is below zero", () => {
    const x = tensorOf([1, 1, 2, 2], [-4, -3, -2, -1]);
    const dy = tensorOf([1, 1, 2, 2], [1, 2, 3, 4]);
    const [dx] = runtime.maxPoolBackward(dy, x, { kernel_shape: [2, 2], strides: [1, 1], pads: [1, 1, 0, 0] });
    // Windows (top-left at -1,-1), (-1,0), (0,-1), (0,0) each see only real elements.
    expect(Array.from(dx.data)).toEqual([1, 2, 3, 4]);
  });
});

describe("averagePoolBackward", () => {
  it.each(POOL_CASES)("matches finite differences (padding excluded from the count): $name", (c) => {
    const { forward, backward } = poolAttrs(c);
    checkKernel(c.name, ([x]) => runtime.averagePool(x, forward), (dy, [x]) => runtime.averagePoolBackward(dy, x, backward), [randomTensor(c.x, 8)]);
  });

  it("divides a corner window by the real elements it covers", () => {
    const x = randomTensor([1, 1, 3, 3], 1);
    const dy = tensorOf([1, 1, 2, 2], [1, 0, 0, 0]);
    const [dx] = runtime.averagePoolBackward(dy, x, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    // The top-left window covers the 2x2 corner of real elements.
    expect(Array.from(dx.data)).toEqual([0.25, 0.25, 0, 0.25, 0.25, 0, 0, 0, 0]);
  });
});

describe("adaptiveAveragePoolBackward", () => {
  it.each([
    ["7x6 to 3x4 (overlapping bins)", [2, 2, 7, 6], [3, 4]],
    ["6x8 to 3x4 (uniform bins)", [1, 3, 6, 8], [3, 4]],
    ["3x4 to 5x7 (more bins than rows)", [2, 1, 3, 4], [5, 7]],
  ] as const)("matches finite differences: %s", (name, shape, size) => {
    checkKernel(
      name,
      ([x]) => runtime.adaptiveAveragePool(x, { outputSize: [size[0], size[1]] }),
      (dy, [x]) => runtime.adaptiveAveragePoolBackward(dy, x, { output_size: size }),
      [randomTensor([...shape], 13)],
    );
  });
});

describe("global pools", () => {
  it("globalAveragePoolBackward matches finite differences", () => {
    checkKernel("global average", ([x]) => runtime.globalAveragePool(x), (dy, [x]) => runtime.globalAveragePoolBackward(dy, x), [randomTensor([2, 3, 3, 4], 9)]);
  });

  it("globalMaxPoolBackward matches finite differences without ties", () => {
    checkKernel("global max", ([x]) => runtime.globalMaxPool(x), (dy, [x]) => runtime.globalMaxPoolBackward(dy, x), [distinctTensor([2, 3, 3, 4], 10)]);
  });

  it("shares the gradient among tied maxima as amax does, and a NaN plane gets NaN", () => {
    const x = tensorOf([1, 2, 2, 3], [1, 3, 3, 2, 3, 0, 5, NaN, 1, 2, 3, 4]);
    const [dx] = runtime.globalMaxPoolBackward(tensorOf([1, 2, 1, 1], [1, 1]), x);
    const third = Math.fround(1 / 3);
    expect(Array.from(dx.data.slice(0, 6))).toEqual([0, third, third, 0, third, 0]);
    expect(Array.from(dx.data.slice(6)).every(Number.isNaN)).toBe(true);
  });

  it("gives every tie of a grid input an equal share", () => {
    const x = gridTensor([2, 3, 3, 3], 11);
    const dy = randomTensor([2, 3, 1, 1], 12);
    const [dx] = runtime.globalMaxPoolBackward(dy, x);
    for (let p = 0; p < 6; p++) {
      const plane = Array.from(x.data.slice(p * 9, p * 9 + 9));
      const max = Math.max(...plane);
      const ties = plane.filter((v) => v === max).length;
      plane.forEach((v, i) => expect(dx.data[p * 9 + i]).toBe(v === max ? Math.fround(dy.data[p] / ties) : 0));
    }
  });
});

describe("structural kernels", () => {
  it("flattenBackward and reshapeBackward view the gradient in the input's shape", () => {
    checkKernel("flatten", ([x]) => runtime.flatten(x), (dy, [x]) => runtime.flattenBackward(dy, x), [randomTensor([2, 3, 2, 2], 13)]);
    checkKernel("reshape", ([x]) => runtime.reshape(x, [2, -1, 4]), (dy, [x]) => runtime.reshapeBackward(dy, x), [randomTensor([2, 6, 2], 14)]);
  });

  it.each([
    { axis: 1, shapes: [[2, 1, 3, 2], [2, 3, 3, 2], [2, 2, 3, 2]] },
    { axis: 2, shapes: [[2, 2, 1, 3], [2, 2, 4, 3]] },
    { axis: -1, shapes: [[3, 2], [3, 4], [3, 1]] },
  ])("concatBackward slices the gradient along axis $axis", ({ axis, shapes }) => {
    const inputs = shapes.map((s, k) => randomTensor(s, 20 + k));
    const all = inputs.map(() => 1);
    checkKernel(`concat axis ${axis}`, (xs) => runtime.concat(xs, { axis }), (dy, xs) => runtime.concatBackward(dy, ...xs, { axis, wants: all }), inputs);
    const some = inputs.map((_, k) => (k === 1 ? 0 : 1));
    checkKernel(`concat axis ${axis}, input 1 not wanted`, (xs) => runtime.concat(xs, { axis }), (dy, xs) => runtime.concatBackward(dy, ...xs, { axis, wants: some }), inputs, some);
  });

  it.each([
    { name: "channels of an image", shape: [2, 6, 3, 2], starts: [1], ends: [4], axes: [1] },
    { name: "the second half of features", shape: [3, 8], starts: [4], ends: [8], axes: [1] },
    { name: "two axes", shape: [2, 5, 4], starts: [2, 1], ends: [5, 3], axes: [1, 2] },
  ])("sliceBackward scatters the gradient into zeros: $name", ({ shape, starts, ends, axes }) => {
    const attrs = { starts, ends, axes };
    checkKernel("slice", ([x]) => runtime.slice(x, attrs), (dy, [x]) => runtime.sliceBackward(dy, x, { ...attrs, wants: [1] }), [randomTensor(shape, 15)]);
  });

  it.each([1, 2, 3, 6])("channelShuffleBackward applies the inverse permutation (groups %i)", (groups) => {
    checkKernel(
      `channel shuffle, groups ${groups}`,
      ([x]) => runtime.channelShuffle(x, { groups }),
      (dy) => runtime.channelShuffleBackward(dy, { groups, wants: [1] }),
      [randomTensor([2, 6, 2, 3], 16)],
    );
  });

  const BINARY = [
    { op: "add", forward: runtime.add, backward: runtime.addBackward },
    { op: "sub", forward: runtime.sub, backward: runtime.subBackward },
    { op: "mul", forward: runtime.mul, backward: runtime.mulBackward },
    { op: "div", forward: runtime.div, backward: runtime.divBackward },
  ];
  const SHAPES = [
    { name: "equal shapes", a: [2, 3, 2], b: [2, 3, 2] },
    { name: "per channel [1, C, 1, 1]", a: [2, 3, 2, 2], b: [1, 3, 1, 1] },
    { name: "lower rank [C, 1, 1]", a: [2, 3, 2, 2], b: [3, 1, 1] },
    { name: "both broadcast", a: [2, 1, 3], b: [4, 1] },
    { name: "first operand broadcast", a: [1, 3], b: [4, 3] },
  ];
  describe.each(BINARY)("$op", ({ op, forward, backward }) => {
    it.each(SHAPES)("matches finite differences, reducing over broadcast axes: $name", ({ a, b }) => {
      // Divisors away from zero: |b| in [0.5, 1.5] with either sign.
      const divisor = randomTensor(b, 31, 0.5, 1.5);
      divisor.data.forEach((v, i) => (divisor.data[i] = i % 2 === 0 ? v : -v));
      const inputs = [randomTensor(a, 30), op === "div" ? divisor : randomTensor(b, 31)];
      checkKernel(`${op} ${a} ${b}`, ([x, y]) => forward(x, y), (dy, [x, y]) => backward(dy, x, y, { wants: [1, 1] }), inputs);
      checkKernel(`${op}, only b`, ([x, y]) => forward(x, y), (dy, [x, y]) => backward(dy, x, y, { wants: [0, 1] }), inputs, [0, 1]);
    });
  });

  it("dropoutBackward multiplies by the mask dropoutWithMask applied, which reproduces dropout's output", () => {
    const p = 0.3;
    const x = randomTensor([4, 50], 40);
    const [y, mask] = runtime.dropoutWithMask(x, { p, training: true }, runtime.createRandom(41));
    expect(Array.from(y.data)).toEqual(Array.from(runtime.dropout(x, { p, training: true }, runtime.createRandom(41)).data));
    const scale = Math.fround(1 / (1 - p));
    expect(mask.data.every((m) => m === 0 || m === scale)).toBe(true);
    const dropped = mask.data.filter((m) => m === 0).length;
    expect(dropped).toBeGreaterThan(30);
    expect(dropped).toBeLessThan(90);
    mask.data.forEach((m, i) => expect(y.data[i]).toBeCloseTo(x.data[i] * m, 6));
    checkKernel(
      "dropout",
      ([t]) => runtime.dropoutWithMask(t, { p, training: true }, runtime.createRandom(41))[0],
      (dy) => runtime.dropoutBackward(dy, mask),
      [x],
    );
  });

  it("dropout with p = 0, or not training, keeps everything and passes the gradient through", () => {
    const x = randomTensor([3, 4], 42);
    const dy = randomTensor([3, 4], 43);
    for (const attrs of [{ p: 0, training: true }, { p: 0.5, training: false }]) {
      const random = runtime.createRandom(44);
      const [y, mask] = runtime.dropoutWithMask(x, attrs, random);
      expect(Array.from(y.data)).toEqual(Array.from(x.data));
      expect(mask.data.every((m) => m === 1)).toBe(true);
      expect(Array.from(runtime.dropoutBackward(dy, mask)[0].data)).toEqual(Array.from(dy.data));
      // No number was drawn: the stream continues where dropout's would.
      expect(random()).toBe(runtime.createRandom(44)());
    }
  });
});

/** A model's lowered graph and random parameters. */
function lowered(source: string) {
  const host = { readFile: (p: string) => readFileSync(p, "utf8") };
  const result = checkSource("model.nn", source, host);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const model = result.models[0] as CheckedModel;
  const params = new Map<string, Tensor>(model.params.map((p, k) => [p.name, randomTensor(p.shape as number[], 100 + k, -0.5, 0.5)]));
  return { graph: lowerModel(model), params };
}

/**
 * `seededGradients` of a model against finite differences of the whole forward graph (training
 * mode, dropout drawing from the same seed), on a few entries of every parameter and of the input:
 * the largest entry and five spread over the tensor, each within TOLERANCE of the tensor's
 * largest gradient entry.
 */
function checkModel(source: string, inputShape: number[], expectOps: readonly string[]) {
  const { graph, params } = lowered(source);
  const seeded = seededGradients(graph);
  expect(verify(seeded.graph)).toEqual([]);
  const ops = new Set(seeded.graph.nodes.map((n) => n.op));
  for (const op of expectOps) expect(ops, op).toContain(op);
  const x = randomTensor(inputShape, 50);
  const outShape = executeGraph(graph, params, [x], { training: true }).outputs[0].shape;
  const seed = randomTensor(outShape, 51);
  const run = { training: true, random: runtime.createRandom(52) };
  const result = executeGraph(seeded.graph, params, [x, seed], run).outputs;
  const loss = () => dot(seed, executeGraph(graph, params, [x], { training: true, random: runtime.createRandom(52) }).outputs[0]);
  expect(result[0].data).toEqual(executeGraph(graph, params, [x], { training: true, random: runtime.createRandom(52) }).outputs[0].data);
  const names = [...seeded.gradients.keys()];
  expect(names).toContain(graph.inputs[0]);
  for (const name of graph.values.keys()) {
    const value = graph.value(name);
    if (value.kind === "param" && !value.buffer) expect(names, name).toContain(name);
  }
  names.forEach((name, k) => {
    const grad = result[k + 1];
    const tensor = name === graph.inputs[0] ? x : params.get(name)!;
    expect(grad.shape, name).toEqual(tensor.shape);
    let largest = 0;
    grad.data.forEach((v, i) => (Math.abs(v) > Math.abs(grad.data[largest]) ? (largest = i) : undefined));
    const entries = [largest, ...Array.from({ length: 5 }, (_, j) => Math.floor(((j + 0.5) * grad.data.length) / 5))];
    const scale = Math.abs(grad.data[largest]);
    expect(scale, name).toBeGreaterThan(0);
    for (const i of entries) {
      const numeric = centralDifference(tensor.data, i, loss);
      expect(Math.abs(grad.data[i] - numeric) / scale, `${name}[${i}]: ${grad.data[i]} vs ${numeric}`).toBeLessThan(TOLERANCE);
      if (i === largest) expect(Math.abs(grad.data[i] * 1.01 - numeric) / scale, `${name}[${i}] scaled by 1.01`).toBeGreaterThan(TOLERANCE);
    }
  });
}

describe("models differentiated end to end", () => {
  it("conv -> maxpool -> flatten -> dense with a residual add, standardize and dropout", () => {
    const source = [
      "model Residual(x: [N, 2, 6, 6]) {",
      "  s = x -> standardize(mean: [0.1, -0.2], std: [0.5, 2.0])",
      "  a = s -> conv(4, 3, pad: 1)",
      "  b = s -> conv(4, 1, bias: false)",
      "  return (a + b) -> maxpool(2) -> flatten -> dropout(0.25) -> dense(3)",
      "}",
    ].join("\n");
    checkModel(source, [2, 2, 6, 6], ["ConvGrad", "MaxPoolGrad", "FlattenGrad", "DropoutGrad", "GemmGrad", "DivGrad"]);
  });

  it("depthwise and strided convs, avgpool with padding, concat, identity and both global pools", () => {
    const source = [
      "model Branches(x: [N, 4, 7, 7]) {",
      "  a = x -> conv(4, 3, pad: 1, groups: 4) -> avgpool(3, stride: 2, pad: 1)",
      "  b = x -> conv(2, 3, stride: 2, pad: 1, bias: false)",
      "  m = (a, b) -> concat -> identity -> dropout(0.0)",
      "  return (m -> global_maxpool) + (m -> global_avgpool) -> flatten -> dense(3)",
      "}",
    ].join("\n");
    checkModel(source, [2, 4, 7, 7], ["ConvGrad", "AveragePoolGrad", "ConcatGrad", "GlobalMaxPoolGrad", "GlobalAveragePoolGrad", "DropoutGrad", "GemmGrad"]);
  });

  it("an Add of equal shapes passes the gradient on without a node", () => {
    const { graph } = lowered("model A(x: [N, 3]) {\n  h = x -> dense(3)\n  return h + x -> dense(2)\n}");
    const ops = seededGradients(graph).graph.nodes.map((n) => n.op);
    expect(ops).not.toContain("AddGrad");
    expect(ops).toContain("GemmGrad");
  });
});
