/**
 * The tensor arena (`runtime/linalg/tensor-arena.ts`): a buffer pool's large buffers live in the
 * training products' WebAssembly memory, where the element-wise kernels (relu, its backward, add,
 * the normalizers' sums and affine passes, the 2×2 pools, the optimizers' updates, whose state lives
 * there too) and the Winograd conv run on them without copying,
 * split across the worker threads on two. Checked: which buffers go there, zero-filled and in
 * blocks of their own; a kept result is never handed out again; the kernels on tensors there
 * give the TypeScript loops' bits on one thread and on two; a product too large for the scratch
 * moves the heap, after which the pool's old buffers still hold their values and make way for
 * new ones; and whole training steps through a pool on two threads equal those on one, bit for
 * bit, and those without a pool.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  add,
  averagePool,
  averagePoolBackward,
  batchNormalizationBackward,
  batchNormalizationTraining,
  BufferPool,
  conv,
  convBackward,
  createRandom,
  freshFloats,
  maxPool,
  maxPoolBackward,
  gelu,
  relu,
  reluBackward,
  sigmoid,
  silu,
  tanh,
  withBufferPool,
  type Tensor,
} from "../../runtime/index.js";
import { matmul } from "../../runtime/gradients/products.js";
import { gemmBackward } from "../../runtime/gradients/linear.js";
import { pointwiseHeap, ProductHeap, setTrainingThreads, setWasmProducts, WASM_POINTWISE_MIN_FLOATS } from "../../runtime/linalg/wasm-products.js";
import { ProductWorkers } from "../../runtime/linalg/product-threads.js";
import { ADAM_KERNEL, SGD_KERNEL } from "../../runtime/wasm/pointwise-kernel.js";
import { ACTIVATE_KERNEL } from "../../runtime/wasm/elementwise-kernels.js";
import { TensorArena } from "../../runtime/linalg/tensor-arena.js";
import { ParameterUpdate } from "../../runtime/train/index.js";
import { lastingFloats } from "../../runtime/tensor.js";
import { executorSteps } from "./trajectory-support.js";

afterEach(() => {
  setTrainingThreads(1);
  setWasmProducts(true);
});

const random = createRandom(5);

/** A tensor of `shape` from `pool` (in the arena when large), filled with values in [-1, 1). */
function pooled(pool: BufferPool, shape: number[]): Tensor {
  const data = withBufferPool(pool, () => freshFloats(shape.reduce((a, b) => a * b, 1)));
  for (let i = 0; i < data.length; i++) data[i] = random() * 2 - 1;
  return { shape, data };
}

/** The byte pointer of `data` in this thread's product heap where it lives in its arena. */
function resident(data: Float32Array): number | undefined {
  return pointwiseHeap(WASM_POINTWISE_MIN_FLOATS)!.resident(data);
}

/** The first index where `a` and `b` differ in their bits, or -1. */
function firstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

describe("a buffer pool over the tensor arena", () => {
  it("takes its large buffers there, zero-filled, each in a block of whole vectors, and its small ones plain", () => {
    const pool = new BufferPool();
    const [a, b, small] = withBufferPool(pool, () => [freshFloats(4097), freshFloats(4097), freshFloats(100)]);
    expect(resident(a)).toBeDefined();
    expect(resident(b)).toBeDefined();
    expect(resident(small)).toBeUndefined();
    // 4097 floats take 4100: the next block starts past the last vector.
    expect(Math.abs(resident(b)! - resident(a)!)).toBeGreaterThanOrEqual(4100 * 4);
    expect(a.every((v) => v === 0) && b.every((v) => v === 0)).toBe(true);
    a.fill(3);
    b.fill(3);
    pool.endRun([]);
    // One of the same blocks next run, zero-filled again (by the heap's memory.fill).
    const again = withBufferPool(pool, () => freshFloats(4097));
    expect([resident(a), resident(b)]).toContain(resident(again));
    expect(again.every((v) => v === 0)).toBe(true);
  });

  it("never hands out a kept result's block while the caller holds it (all its blocks share one buffer)", () => {
    const pool = new BufferPool();
    const kept = pooled(pool, [5000]);
    const copy = kept.data.slice();
    withBufferPool(pool, () => freshFloats(5000));
    pool.endRun([kept]);
    const next = withBufferPool(pool, () => freshFloats(5000).fill(9));
    expect(resident(next)).not.toBe(resident(kept.data));
    expect(firstDifference(kept.data, copy)).toBe(-1);
    pool.endRun([]);
    pool.giveBack([kept]);
    const first = withBufferPool(pool, () => [freshFloats(5000), freshFloats(5000)]);
    expect(first.map(resident)).toContain(resident(kept.data));
  });

  it("an arena takes back a block and hands it out again by size, zero-filled; when full it gives nothing", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    const arena = new TensorArena(memory, 100, 3 * 16_384, (floats) => {
      if (floats * 4 > memory.buffer.byteLength) memory.grow(Math.ceil((floats * 4 - memory.buffer.byteLength) / 65_536));
    });
    const first = arena.take(10)!;
    expect(first.byteOffset).toBe(100 * 4);
    first.fill(1);
    const second = arena.take(30_000)!;
    // The memory grew in place under the block, and the first block's view still reads.
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(second.byteOffset + second.byteLength);
    expect(first[9]).toBe(1);
    expect(arena.take(20_000)).toBeUndefined();
    arena.release(first);
    const reused = arena.take(12)!;
    expect(reused.byteOffset).toBe(first.byteOffset);
    expect([...reused]).toEqual(new Array(12).fill(0));
    expect(arena.holds(reused) && !arena.holds(reused.subarray(1))).toBe(true);
  });
});

describe.each([1, 2])("the kernels on tensors in the arena, %i thread(s)", (threads) => {
  /** `run`'s results (copied) with the WebAssembly kernels, then with the TypeScript loops. */
  function bothWays(run: () => Float32Array[]): [Float32Array[], Float32Array[]] {
    setTrainingThreads(threads);
    const wasm = run().map((t) => t.slice());
    setWasmProducts(false);
    const ts = run().map((t) => t.slice());
    setWasmProducts(true);
    return [wasm, ts];
  }

  it("relu, its backward and add (past 2¹⁶ floats, ending inside a vector) give the TypeScript loops' bits, reading and writing there", () => {
    const pool = new BufferPool();
    const shape = [70_001];
    setTrainingThreads(threads);
    const [a, b] = [pooled(pool, shape), pooled(pool, shape)];
    const outputs: Tensor[] = [];
    const [wasm, ts] = bothWays(() =>
      withBufferPool(pool, () => {
        const y = relu(a);
        const [dx] = reluBackward(b, a);
        const sum = add(a, b);
        outputs.push(y, dx, sum);
        return [y.data, dx.data, sum.data];
      }),
    );
    expect([a, b, ...outputs.slice(0, 3)].every((t) => resident(t.data) !== undefined)).toBe(true);
    wasm.forEach((data, k) => expect(firstDifference(data, ts[k])).toBe(-1));
  });

  it("tanh, sigmoid, silu and gelu (past 2¹⁶ floats) read and write there, split across the threads on two, to the bits of a call on plain arrays", () => {
    const pool = new BufferPool();
    const shape = [70_001];
    setTrainingThreads(threads);
    const x = pooled(pool, shape);
    for (let i = 0; i < x.data.length; i++) x.data[i] *= 8;
    const kernels = [tanh, sigmoid, silu, gelu];
    const split = vi.spyOn(ProductWorkers.prototype, "elementwise");
    const there = withBufferPool(pool, () => kernels.map((kernel) => kernel(x)));
    expect(split.mock.calls.filter(([kernel]) => kernel === ACTIVATE_KERNEL)).toHaveLength(threads === 2 ? 4 : 0);
    split.mockRestore();
    expect([x, ...there].every((t) => resident(t.data) !== undefined)).toBe(true);
    // Plain arrays go through the heap's scratch a chunk at a time, on this thread.
    const plain = kernels.map((kernel) => kernel({ shape, data: x.data.slice() }).data);
    expect(plain.every((data) => resident(data) === undefined)).toBe(true);
    there.forEach((t, k) => expect(firstDifference(t.data, plain[k])).toBe(-1));
    // The values are the functions' (the kernels' bounds are checked in pointwise-wasm.test.ts).
    expect(Math.abs(there[0].data[7] - Math.tanh(x.data[7]))).toBeLessThan(1e-6);
  });

  it.each([
    ["SGD with momentum", { name: "sgd" as const, lr: 0.1, momentum: 0.9, weightDecay: 1e-3 }],
    ["Adam", { name: "adam" as const, lr: 0.01, weightDecay: 1e-3 }],
  ])("%s: its state in the arena, the gradient pooled there and the weight plain, gives the TypeScript loops' bits", (_, optimizer) => {
    const pool = new BufferPool();
    const shape = [70_001];
    setTrainingThreads(threads);
    // An optimizer's state comes from the arena, for as long as its owner lives.
    const owner = {};
    expect(resident(lastingFloats(shape[0], owner))).toBeDefined();
    const gradients = [0, 1, 2].map(() => pooled(pool, shape));
    expect(gradients.every((g) => resident(g.data) !== undefined)).toBe(true);
    const start = Float32Array.from({ length: shape[0] }, () => random() * 2 - 1);
    const train = (): Float32Array[] => {
      const update = new ParameterUpdate([{ name: "w", shape }], { optimizer });
      const weights = { w: { shape, data: start.slice() } };
      for (const g of gradients) update.step(weights, { w: g });
      return [weights.w.data, ...Object.values(update.state())];
    };
    // On two threads the update is split across them (the weight copied into the heap, its odd last value included).
    const split = vi.spyOn(ProductWorkers.prototype, "elementwise");
    const [wasm, ts] = bothWays(train);
    expect(split.mock.calls.filter(([kernel]) => kernel === (optimizer.name === "sgd" ? SGD_KERNEL : ADAM_KERNEL))).toHaveLength(threads === 2 ? 3 : 0);
    split.mockRestore();
    expect(wasm.length).toBe(ts.length);
    wasm.forEach((data, k) => expect(firstDifference(data, ts[k])).toBe(-1));
    // The update found its state where it is (with the gradient): one buffer for SGD's momentum, two for Adam's moments.
    setTrainingThreads(threads);
    const where = vi.spyOn(ProductHeap.prototype, "resident");
    new ParameterUpdate([{ name: "w", shape }], { optimizer }).step({ w: { shape, data: start.slice() } }, { w: gradients[0] });
    expect(where.mock.results.filter((r) => r.value !== undefined)).toHaveLength(optimizer.name === "sgd" ? 2 : 3);
    where.mockRestore();
  });

  it("batch normalization and its backward (sums and affine passes per plane) give the TypeScript loops' bits", () => {
    const pool = new BufferPool();
    setTrainingThreads(threads);
    const [x, dy] = [pooled(pool, [32, 16, 32, 32]), pooled(pool, [32, 16, 32, 32])];
    const gamma = { shape: [16], data: Float32Array.from({ length: 16 }, () => random() + 0.5) };
    const beta = { shape: [16], data: Float32Array.from({ length: 16 }, () => random()) };
    const [mean, variance] = [{ shape: [16], data: new Float32Array(16) }, { shape: [16], data: new Float32Array(16).fill(1) }];
    const outputs: Tensor[] = [];
    const [wasm, ts] = bothWays(() =>
      withBufferPool(pool, () => {
        const [y, runningMean, runningVar] = batchNormalizationTraining(x, gamma, beta, mean, variance);
        outputs.push(y);
        const [dx, dGamma, dBeta] = batchNormalizationBackward(dy, x, gamma, beta, mean, variance, { wants: [1, 1, 1, 0, 0] });
        outputs.push(dx);
        return [y.data, runningMean.data, runningVar.data, dx.data, dGamma.data, dBeta.data];
      }),
    );
    expect([x, dy, outputs[0], outputs[1]].every((t) => resident(t.data) !== undefined)).toBe(true);
    wasm.forEach((data, k) => expect(firstDifference(data, ts[k])).toBe(-1));
  });

  it.each([false, true])("the 2×2 max and average pools and their backward give the TypeScript loops' bits (a NaN window: %s)", (nan) => {
    const pool = new BufferPool();
    setTrainingThreads(threads);
    const [x, dy] = [pooled(pool, [16, 32, 28, 28]), pooled(pool, [16, 32, 14, 14])];
    // A NaN sends the max pool back to the TypeScript scan, from whichever thread met it.
    if (nan) x.data[x.data.length - 30] = NaN;
    const window = { kernel_shape: [2, 2], strides: [2, 2], wants: [1] };
    const outputs: Tensor[] = [];
    const [wasm, ts] = bothWays(() =>
      withBufferPool(pool, () => {
        const results = [
          maxPool(x, { kernelShape: 2, strides: 2 }),
          maxPoolBackward(dy, x, window)[0],
          averagePool(x, { kernelShape: 2, strides: 2 }),
          averagePoolBackward(dy, x, window)[0],
        ];
        outputs.push(...results);
        return results.map((t) => t.data);
      }),
    );
    expect([x, dy, ...outputs.slice(0, 4)].every((t) => resident(t.data) !== undefined)).toBe(true);
    wasm.forEach((data, k) => expect(firstDifference(data, ts[k])).toBe(-1));
  });

  const convs: [string, number[], number[], { strides?: [number, number]; pads?: [number, number, number, number] }][] = [
    ["3×3 stride 2", [8, 16, 17, 17], [24, 16, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }],
    ["1×1", [8, 24, 15, 15], [32, 24, 1, 1], {}],
    ["an MNIST stem", [32, 1, 28, 28], [32, 1, 3, 3], { pads: [1, 1, 1, 1] }],
  ];
  it.each(convs)("an im2col conv (%s) and its gradients read and write there, to the TypeScript conv's values", (_, xShape, wShape, attributes) => {
    const pool = new BufferPool();
    setTrainingThreads(threads);
    const x = pooled(pool, xShape);
    const weight = { shape: wShape, data: Float32Array.from({ length: wShape.reduce((a, b) => a * b, 1) }, () => random() * 0.4 - 0.2) };
    // A block of dx's size left full of NaN, which the pool hands to dx unzeroed: the gradient must clear it.
    const stale = pooled(pool, xShape);
    stale.data.fill(NaN);
    pool.giveBack([stale]);
    const outputs: Tensor[] = [];
    const [wasm, ts] = bothWays(() =>
      withBufferPool(pool, () => {
        const y = conv(x, weight, undefined, attributes);
        const dy = { shape: y.shape, data: y.data.map((v, i) => Math.sin(i) * v) };
        const [dx, dw] = convBackward(dy, x, weight, undefined, { ...attributes, wants: [1, 1] });
        outputs.push(y, dx);
        return [y.data, dx.data, dw.data];
      }),
    );
    expect([x, ...outputs.slice(0, 2)].every((t) => resident(t.data) !== undefined)).toBe(true);
    wasm.forEach((data, k) => {
      const scale = ts[k].reduce((max, v) => Math.max(max, Math.abs(v)), 0);
      const worst = data.reduce((max, v, i) => Math.max(max, Math.abs(v - ts[k][i])), 0);
      expect(worst).toBeLessThan(1e-5 * scale);
    });
  });

  it("a dense layer's gradients are written where they are (and its input read there), to the bits of the same products on plain arrays", () => {
    const pool = new BufferPool();
    setTrainingThreads(threads);
    // MNIST's 3136 → 128 layer at a batch of 32: dW (128 × 3136) and dx (32 × 3136) in whole tiles.
    const [x, dy] = [pooled(pool, [32, 3136]), pooled(pool, [32, 128])];
    const weight = { shape: [128, 3136], data: Float32Array.from({ length: 128 * 3136 }, () => random() * 0.04 - 0.02) };
    const copies = vi.spyOn(ProductHeap.prototype, "packB");
    const resultsInArena: boolean[] = [];
    const inArena = withBufferPool(pool, () => {
      const [dx, dw] = gemmBackward(dy, x, weight, undefined, { wants: [1, 1] });
      resultsInArena.push(resident(dx.data) !== undefined, resident(dw.data) !== undefined);
      return [dx.data.slice(), dw.data.slice()];
    });
    expect(resultsInArena).toEqual([true, true]);
    // B is copied for dx (the weight, a plain array) but read where it is for dW (the input).
    expect(copies.mock.calls.map(([, b]) => b === weight.data)).toEqual([true]);
    copies.mockRestore();
    const plain = gemmBackward({ ...dy, data: dy.data.slice() }, { ...x, data: x.data.slice() }, weight, undefined, { wants: [1, 1] });
    expect(firstDifference(inArena[0], plain[0].data)).toBe(-1);
    expect(firstDifference(inArena[1], plain[1].data)).toBe(-1);
  });

  it("a Winograd conv and its gradients read and write there, to the TypeScript conv's values", () => {
    const pool = new BufferPool();
    setTrainingThreads(threads);
    const x = pooled(pool, [8, 16, 18, 18]);
    const weight = { shape: [16, 16, 3, 3], data: Float32Array.from({ length: 16 * 16 * 9 }, () => random() * 0.4 - 0.2) };
    const dy = pooled(pool, [8, 16, 18, 18]);
    const [wasm, ts] = bothWays(() =>
      withBufferPool(pool, () => {
        const y = conv(x, weight, undefined, { pads: 1 });
        const [dx, dw] = convBackward(dy, x, weight, undefined, { pads: [1, 1, 1, 1], wants: [1, 1] });
        return [y.data, dx.data, dw.data];
      }),
    );
    // Winograd's arithmetic is not the direct conv's: values within 1e-5 of each output's largest, not bits.
    wasm.forEach((data, k) => {
      const scale = ts[k].reduce((max, v) => Math.max(max, Math.abs(v)), 0);
      const worst = data.reduce((max, v, i) => Math.max(max, Math.abs(v - ts[k][i])), 0);
      expect(worst).toBeLessThan(1e-5 * scale);
    });
  });
});

describe("a product too large for the scratch", () => {
  it("moves the heap to a new memory: the old arena's tensors keep their values, and the pool replaces them with new ones", () => {
    const pool = new BufferPool();
    const before = pooled(pool, [8192]);
    const values = before.data.slice();
    pool.endRun([]);
    expect(resident(before.data)).toBeDefined();
    // 1024 × 1024 · 1024 × 4096 wants far more than the first 16 MiB of scratch.
    const [m, n, k] = [1024, 4096, 1024];
    matmul({ m, n, k, transA: false, transB: false, accumulate: false, lda: k, ldb: n, ldc: n, aOffset: 0, bOffset: 0, cOffset: 0, a: new Float32Array(m * k), b: new Float32Array(k * n), c: new Float32Array(m * n) });
    expect(resident(before.data)).toBeUndefined();
    expect(firstDifference(before.data, values)).toBe(-1);
    const after = withBufferPool(pool, () => freshFloats(8192));
    expect(after === before.data).toBe(false);
    expect(resident(after)).toBeDefined();
  });
});

describe("training steps through a pool over the arena", () => {
  /** Three steps of a trajectory fixture's run on `threads` threads, the gradients given back to the pool after each. */
  function steps(run: string, threads: number, pool: BufferPool | undefined) {
    setTrainingThreads(threads);
    const { outputs, params } = executorSteps(run, 3, pool, (results) => pool?.giveBack(results.slice(2)));
    return { outputs, params: [...params.values()] };
  }

  it.each(["resnet20-sgd", "norm_zoo-adam"])("%s: on two threads equal those on one, and those without a pool, bit for bit", (run) => {
    const plain = steps(run, 1, undefined);
    const one = steps(run, 1, new BufferPool());
    const two = steps(run, 2, new BufferPool());
    for (const other of [one, two]) {
      other.outputs.forEach((outputs, step) => outputs.forEach((data, k) => expect(firstDifference(data, plain.outputs[step][k])).toBe(-1)));
      other.params.forEach((data, k) => expect(firstDifference(data, plain.params[k])).toBe(-1));
    }
  });
});
