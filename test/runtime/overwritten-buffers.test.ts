/**
 * Kernels that take their output from a buffer pool without the zero fill
 * (`overwrittenFloats`) must write every element. Each kernel here runs twice in one pool: the
 * first run's outputs go back to the pool filled with NaN, the second run takes them, and its
 * results must equal, exactly, those of a run outside any pool (fresh zeroed buffers).
 */
import { describe, expect, it } from "vitest";
import * as runtime from "../../runtime/index.js";
import { BufferPool, createRandom, withBufferPool, type Tensor } from "../../runtime/index.js";

/** Exact text of each value (−0 and NaN included). */
function exact(values: ArrayLike<number>): string[] {
  return Array.from(values, (v) => (Object.is(v, -0) ? "-0" : String(v)));
}

/** A tensor of `shape` with values in [−2, 2), the same for the same seed. */
function random(shape: number[], seed: number): Tensor {
  const next = createRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: size }, () => 4 * next() - 2) };
}

/** The kernel's results in a pool whose buffers hold the NaNs its first run's outputs were overwritten with. */
function inUsedPool(run: () => Tensor[]): Tensor[] {
  const pool = new BufferPool();
  const first = withBufferPool(pool, run);
  pool.endRun([]);
  for (const t of first) t.data.fill(NaN);
  const second = withBufferPool(pool, run);
  pool.endRun(second);
  return second;
}

const x = random([2, 3, 6, 4], 1);
const odd = random([2, 3, 7, 5], 2);
const dy = random([2, 3, 6, 4], 3);
const dyPairs = random([2, 3, 3, 2], 4);
const dyOddPairs = random([2, 3, 3, 2], 5);
const dyPadded = random([2, 3, 3, 2], 6);
const [gamma, beta, mean, variance] = [7, 8, 9, 10].map((seed) => random([3], seed));
const slope = random([3], 11);
const wants = { wants: [1, 1, 1, 0, 0] };
// Convs large enough for the WebAssembly products (one product over the batch), and a grouped one.
const convX = random([2, 8, 12, 12], 12);
const convW = random([16, 8, 3, 3], 13);
const groupedW = random([16, 4, 3, 3], 14);
const convDy = random([2, 16, 12, 12], 15);
const convDyStrided = random([2, 16, 6, 6], 16);
const same = { pads: [1, 1, 1, 1] as [number, number, number, number] };
const strided = { ...same, strides: [2, 2] as [number, number] };

const KERNELS: [string, () => Tensor[]][] = [
  ["relu", () => [runtime.relu(x)]],
  ["add", () => [runtime.add(x, dy)]],
  ["reluBackward", () => runtime.reluBackward(dy, runtime.relu(x))],
  ["sigmoidBackward", () => runtime.sigmoidBackward(dy, x)],
  ["tanhBackward", () => runtime.tanhBackward(dy, x)],
  ["geluBackward", () => runtime.geluBackward(dy, x)],
  ["siluBackward", () => runtime.siluBackward(dy, x)],
  ["leakyReluBackward", () => runtime.leakyReluBackward(dy, x, { alpha: 0.1 })],
  ["eluBackward", () => runtime.eluBackward(dy, x)],
  ["clipBackward", () => runtime.clipBackward(dy, x, { min: -1, max: 1 })],
  ["hardswishBackward", () => runtime.hardswishBackward(dy, x)],
  ["hardsigmoidBackward", () => runtime.hardsigmoidBackward(dy, x)],
  ["preluBackward", () => runtime.preluBackward(dy, x, slope)],
  ["softmaxBackward", () => runtime.softmaxBackward(dy, x)],
  ["logSoftmaxBackward", () => runtime.logSoftmaxBackward(dy, x)],
  ["maxPool 2×2, tiling", () => [runtime.maxPool(x, { kernelShape: 2 })]],
  ["maxPool 2×2, odd sizes", () => [runtime.maxPool(odd, { kernelShape: 2 })]],
  ["maxPool 3×3 padded", () => [runtime.maxPool(x, { kernelShape: 3, strides: 2, pads: 1 })]],
  ["averagePool 3×3 padded", () => [runtime.averagePool(x, { kernelShape: 3, strides: 2, pads: 1 })]],
  ["maxPoolBackward 2×2, tiling", () => runtime.maxPoolBackward(dyPairs, x, { kernel_shape: [2, 2] })],
  ["maxPoolBackward 2×2, odd sizes", () => runtime.maxPoolBackward(dyOddPairs, odd, { kernel_shape: [2, 2] })],
  ["maxPoolBackward 3×3 padded", () => runtime.maxPoolBackward(dyPadded, x, { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })],
  ["conv on the products' heap", () => [runtime.conv(convX, convW, undefined, same)]],
  ["convBackward, unit stride (dW and dx on the heap)", () => runtime.convBackward(convDy, convX, convW, undefined, { ...same, wants: [1, 1] })],
  ["convBackward, stride 2 (dx per image and col2im)", () => runtime.convBackward(convDyStrided, convX, convW, undefined, { ...strided, wants: [1, 1] })],
  ["convBackward, 2 groups", () => runtime.convBackward(convDy, convX, groupedW, undefined, { ...same, group: 2, wants: [1, 1] })],
  ["batchNormalizationTraining", () => runtime.batchNormalizationTraining(x, gamma, beta, mean, variance)],
  ["batchNormalizationBackward", () => runtime.batchNormalizationBackward(dy, x, gamma, beta, mean, variance, wants)],
  ["instanceNormalizationBackward", () => runtime.instanceNormalizationBackward(dy, x, gamma, beta, wants)],
  ["groupNormalizationBackward", () => runtime.groupNormalizationBackward(dy, x, gamma, beta, { ...wants, num_groups: 3 })],
];

describe("kernels that skip the zero fill write every element", () => {
  it.each(KERNELS)("%s in a pool of used buffers equals a run outside a pool", (_, run) => {
    const want = run();
    const got = inUsedPool(run);
    expect(got.length).toBe(want.length);
    got.forEach((t, i) => {
      expect(t.shape).toEqual(want[i].shape);
      expect(exact(t.data)).toEqual(exact(want[i].data));
    });
  });
});
