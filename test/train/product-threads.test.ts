/**
 * The training products on two threads (`setTrainingThreads`, `runtime/linalg/product-threads.ts`):
 * `matmul`, `conv` and `gemm` give bit-for-bit the one-thread result (each chunk of C makes the
 * same micro-kernel calls over its own rows or columns, so every element is summed in the same
 * order), over odd sizes split by rows and by columns, every transpose pair, several reduction
 * slabs, overwrite and accumulate, and the kernel's fused bias, relu and leaky relu; so does a
 * conv's backward, whose im2col is split by images as well; and a Winograd conv (3×3, unit
 * stride, ≥ 16 channels; F(2×2, 3×3) and F(4×4, 3×3)), whose chunks of images run whole on
 * either thread, and its weight
 * gradient, whose 16 matrices per chunk do. The worker really takes chunks (of a product, of a
 * Winograd conv and of its weight gradient), the switch goes back to one thread, and a process that used two threads
 * exits on its own (the workers are unref'ed).
 */
import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import { matmul, type Product } from "../../runtime/gradients/products.js";
import { pointwiseHeap, ProductHeap, productHeap, setTrainingThreads, trainingThreads } from "../../runtime/linalg/wasm-products.js";
import { conv, createRandom, gemm, type ConvAttributes, type Tensor } from "../../runtime/index.js";
import { convBackward } from "../../runtime/gradients/linear.js";
import { ProductWorkers } from "../../runtime/linalg/product-threads.js";
import { setTrainingWinogradTile } from "../../runtime/linalg/heap-winograd.js";

const random = createRandom(11);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const fill = (length: number) => Float32Array.from({ length }, () => random() * 2 - 1);

afterEach(() => {
  setTrainingThreads(1);
  setTrainingWinogradTile(2);
  vi.restoreAllMocks();
});

/**
 * Each of `runs` on one thread, then each on two (switching once: each switch starts the
 * workers afresh); the pairs of outputs.
 */
function oneAndTwo<T>(runs: (() => T)[]): [T, T][] {
  setTrainingThreads(1);
  const ones = runs.map((run) => run());
  setTrainingThreads(2);
  return runs.map((run, i) => [ones[i], run()]);
}

/** The first index where `a` and `b` differ in their bits, or -1 (expect's deep equality is slow on large arrays). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** A random product with its operands at offsets in wider buffers (as products.test.ts makes them). */
function product(m: number, n: number, k: number, transA: boolean, transB: boolean, accumulate: boolean): Product {
  const lda = (transA ? m : k) + int(0, 3);
  const ldb = (transB ? k : n) + int(0, 3);
  const ldc = n + int(0, 3);
  const [aOffset, bOffset, cOffset] = [int(0, 5), int(0, 5), int(0, 5)];
  return {
    m, n, k, transA, transB, accumulate, lda, ldb, ldc, aOffset, bOffset, cOffset,
    a: fill(aOffset + (transA ? k : m) * lda),
    b: fill(bOffset + (transB ? n : k) * ldb),
    c: fill(cOffset + m * ldc),
  };
}

describe("matmul on two threads", () => {
  it("uses two threads for a large product, and the switch resets to one", () => {
    expect(trainingThreads()).toBe(1);
    expect(productHeap(64, 64, 64)?.threads).toBe(1);
    setTrainingThreads(2);
    expect(trainingThreads()).toBe(2);
    expect(productHeap(64, 64, 64)?.threads).toBe(2);
    setTrainingThreads(1);
    expect(productHeap(64, 64, 64)?.threads).toBe(1);
    expect(() => setTrainingThreads(0)).toThrow(/whole number of threads/);
    expect(() => setTrainingThreads(1.5)).toThrow(/whole number of threads/);
  });

  // Past 2²⁰ multiply-adds (split), odd sizes; few rows (split by columns) and few columns (by
  // rows); depths of one slab and of several (> 384); the weight and input gradient shapes of a conv.
  const shapes: [number, number, number][] = [
    [67, 301, 257], [13, 1001, 401], [301, 9, 803], [5, 2049, 130], [64, 576, 1024], [147, 1024, 16], [130, 130, 130],
  ];
  for (const [m, n, k] of shapes) {
    it(`${m}×${k} · ${k}×${n}: every transpose pair, overwrite and accumulate, bit-for-bit the one-thread result`, () => {
      const products: Product[] = [];
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          for (const accumulate of [false, true]) products.push(product(m, n, k, transA, transB, accumulate));
        }
      }
      const results = oneAndTwo(products.map((p) => () => {
        const c = p.c.slice();
        matmul({ ...p, c });
        return c;
      }));
      results.forEach(([one, two], i) => {
        expect(firstDifference(two, one)).toBe(-1);
        // The product really ran: C inside it changed.
        expect(one[products[i].cOffset]).not.toBe(products[i].c[products[i].cOffset]);
      });
    });
  }

  it("element-wise ops share the products' heap, whose memory is shared (its tensor arena is the workers' too), on two threads and on one", () => {
    for (const threads of [2, 1]) {
      setTrainingThreads(threads);
      const products = productHeap(64, 64, 64)!;
      // Identity by hand: expect's comparison of two heaps walks their memory.
      expect(pointwiseHeap(1 << 16) === products).toBe(true);
      expect(products.floats.buffer instanceof SharedArrayBuffer).toBe(true);
      expect(products.arena).toBeDefined();
    }
  });

  it("the worker takes chunks, and products in quick succession each write the whole result", () => {
    setTrainingThreads(2);
    const heap = productHeap(64, 64, 64)!;
    const p = product(96, 300, 64, false, false, false);
    setTrainingThreads(1);
    const expected = p.c.slice();
    matmul({ ...p, c: expected });
    setTrainingThreads(2);
    expect(productHeap(64, 64, 64) !== heap).toBe(true);
    // 150 calls, and more (up to 3,000) while the worker has taken no chunk: on a loaded machine
    // the caller may finish the first calls' chunks before the worker thread is scheduled.
    for (let call = 0; call < 150 || (call < 3000 && productHeap(64, 64, 64)!.workerChunks === 0); call++) {
      const c = new Float32Array(p.c.length).fill(call);
      matmul({ ...p, c: c });
      expect(c.subarray(p.cOffset, p.cOffset + p.m * p.ldc).every((v, i) => (i % p.ldc >= p.n ? v === call : v === expected[p.cOffset + i]))).toBe(true);
    }
    expect(productHeap(64, 64, 64)!.workerChunks).toBeGreaterThan(0);
  });
});

  it("transposes of many matrices run on the worker too, each matrix transposed whole, and only the matrices' values written", () => {
    setTrainingThreads(2);
    const heap = productHeap(64, 64, 64)!;
    // 24 matrices of 32 × 100 floats (an MNIST stem's dY per image, shrunk), 4 × 4 at a time.
    const [count, rows, columns, ld] = [24, 32, 100, 36];
    const [src, dst] = [0, count * rows * columns];
    const end = dst + count * columns * ld;
    heap.layout(0, 0, 0, end);
    const values = fill(count * rows * columns);
    const split = vi.spyOn(ProductWorkers.prototype, "transposes");
    for (let call = 0; call < 50 && (call === 0 || heap.workerChunks === 0); call++) {
      heap.floats.set(values, src);
      heap.floats.fill(-7, dst, end);
      heap.transposes(count, [src * 4, rows * columns * 4, columns * 4], [dst * 4, columns * ld * 4, ld * 4], rows, columns);
      for (let i = 0; i < count; i++) {
        for (let r = 0; r < rows; r++) {
          for (let p = 0; p < columns; p++) {
            const at = dst + i * columns * ld + p * ld + r;
            if (heap.floats[at] !== values[i * rows * columns + r * columns + p]) throw new Error(`matrix ${i}, row ${r}, column ${p}: ${heap.floats[at]}`);
          }
        }
      }
      // Each transposed row's last columns (rows ≤ r < ld) are left as they were.
      for (let row = 0; row < count * columns; row++) expect(heap.floats.subarray(dst + row * ld + rows, dst + (row + 1) * ld).every((v) => v === -7)).toBe(true);
    }
    expect(split).toHaveBeenCalled();
    expect(heap.workerChunks).toBeGreaterThan(0);
  });

function tensor(shape: number[]): Tensor {
  return { shape, data: fill(shape.reduce((a, b) => a * b, 1)) };
}

describe("conv and gemm on two threads", () => {
  const convs: [string, number[], number[], boolean, ConvAttributes][] = [
    ["3×3 pad 1, bias and relu (a ResNet-20 layer)", [8, 16, 32, 32], [16, 16, 3, 3], true, { pads: 1, activation: { kind: "relu" } }],
    ["3×3 stride 2, odd sizes, no bias", [3, 13, 31, 29], [37, 13, 3, 3], false, { strides: 2, pads: 1 }],
    ["1×1, leaky relu", [4, 24, 27, 25], [10, 24, 1, 1], true, { activation: { kind: "leaky_relu", alpha: 0.1 } }],
    ["1 input channel (an MNIST stem)", [32, 1, 28, 28], [32, 1, 3, 3], true, { pads: 1 }],
  ];
  it("conv: a ResNet-20 layer, stride 2 at odd sizes, 1×1, an MNIST stem; bias, relu and leaky relu fused: bit-for-bit", () => {
    const runs = convs.map(([, xs, ws, bias, attributes]) => {
      const x = tensor(xs);
      const w = tensor(ws);
      const b = bias ? tensor([ws[0]]) : undefined;
      return () => conv(x, w, b, attributes);
    });
    for (const [one, two] of oneAndTwo(runs)) expect(firstDifference(two.data, one.data)).toBe(-1);
  });

  it("conv's backward (dW by channel groups, dx as a conv, and at stride 2 as Wᵀ · dY with col2im, by chunks of images): bit-for-bit", () => {
    const backwards: [number[], number[], ConvAttributes & { strides?: [number, number]; pads?: [number, number, number, number] }][] = [
      [[8, 16, 32, 32], [16, 16, 3, 3], { pads: [1, 1, 1, 1] }],
      [[5, 13, 17, 15], [24, 13, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }],
      [[32, 1, 28, 28], [32, 1, 3, 3], { pads: [1, 1, 1, 1] }],
      [[8, 16, 32, 32], [16, 16, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }],
    ];
    const runs = backwards.map(([xs, ws, attributes]) => {
      const x = tensor(xs);
      const w = tensor(ws);
      const dy = tensor(conv(x, w, undefined, attributes).shape);
      return () => convBackward(dy, x, w, undefined, { strides: attributes.strides, pads: attributes.pads, wants: [1, 1] });
    });
    for (const [one, two] of oneAndTwo(runs)) {
      for (const [k, gradient] of one.entries()) expect(firstDifference(two[k].data, gradient.data)).toBe(-1);
    }
  });

  for (const tile of [2, 4] as const) {
    it(`a Winograd conv as F(${tile}×${tile}, 3×3): its chunks of images run on the worker too, each call bit-for-bit the one-thread result`, () => {
      const x = tensor([12, 32, 14, 14]);
      const w = tensor([64, 32, 3, 3]);
      const b = tensor([64]);
      const attributes: ConvAttributes = { pads: [1, 0, 2, 1], activation: { kind: "relu" } };
      setTrainingWinogradTile(tile);
      setTrainingThreads(1);
      const expected = conv(x, w, b, attributes);
      setTrainingThreads(2);
      const chunks = vi.spyOn(ProductHeap.prototype, "winogradChunks");
      for (let call = 0; call < 200 && productHeap(64, 64, 64)!.workerChunks === 0; call++) {
        expect(firstDifference(conv(x, w, b, attributes).data, expected.data)).toBe(-1);
      }
      expect(chunks).toHaveBeenCalled();
      for (const [, words] of chunks.mock.calls) expect(words.tile).toBe(tile);
      expect(productHeap(64, 64, 64)!.workerChunks).toBeGreaterThan(0);
    });
  }

  it.each([
    ["6 images, one a chunk: three chunks a lane", [6, 32, 14, 14], [64, 32, 3, 3]],
    ["5 images: lanes of three and two chunks", [5, 32, 14, 14], [64, 32, 3, 3]],
    ["2 images: one chunk a lane", [2, 32, 28, 28], [32, 32, 3, 3]],
  ])("a Winograd weight gradient (%s): its lanes run on the worker too, each call bit-for-bit the one-thread result", (_, xs, ws) => {
    const x = tensor(xs);
    const w = tensor(ws);
    const dy = tensor([xs[0], ws[0], xs[2], xs[3]]);
    const attributes = { pads: [1, 1, 1, 1] as [number, number, number, number], wants: [0, 1] };
    setTrainingThreads(1);
    const [expected] = convBackward(dy, x, w, undefined, attributes);
    setTrainingThreads(2);
    const lanes = vi.spyOn(ProductWorkers.prototype, "winogradGradientLanes");
    for (let call = 0; call < 200 && productHeap(64, 64, 64)!.workerChunks === 0; call++) {
      expect(firstDifference(convBackward(dy, x, w, undefined, attributes)[0].data, expected.data)).toBe(-1);
    }
    expect(lanes).toHaveBeenCalled();
    expect(productHeap(64, 64, 64)!.workerChunks).toBeGreaterThan(0);
    lanes.mockRestore();
  });

  it("a Winograd weight gradient of 4 small images, which the cache bound would take in one chunk: two lanes of two images, bit-for-bit the one-thread result", () => {
    const [x, w, dy] = [tensor([4, 16, 16, 16]), tensor([16, 16, 3, 3]), tensor([4, 16, 16, 16])];
    const attributes = { pads: [1, 1, 1, 1] as [number, number, number, number], wants: [0, 1] };
    setTrainingThreads(1);
    const [expected] = convBackward(dy, x, w, undefined, attributes);
    setTrainingThreads(2);
    const lanes = vi.spyOn(ProductWorkers.prototype, "winogradGradientLanes");
    expect(firstDifference(convBackward(dy, x, w, undefined, attributes)[0].data, expected.data)).toBe(-1);
    expect(lanes.mock.calls.map(([words]) => [words.lanes, words.chunks])).toEqual([[2, 2]]);
    lanes.mockRestore();
  });

  it.each([
    ["one input channel (MNIST's stem)", [32, 1, 28, 28], [32, 1, 3, 3], 1],
    ["three input channels, one group of channels (ResNet-20's stem)", [32, 3, 32, 32], [16, 3, 3, 3], 1],
  ])("an im2col weight gradient of %s: its two lanes run on the worker too, each call bit-for-bit the one-thread result", (_, xs, ws, stride) => {
    const x = tensor(xs);
    const w = tensor(ws);
    const attributes = { strides: [stride, stride] as [number, number], pads: [1, 1, 1, 1] as [number, number, number, number], wants: [0, 1] };
    const dy = tensor(conv(x, w, undefined, attributes).shape);
    setTrainingThreads(1);
    const [expected] = convBackward(dy, x, w, undefined, attributes);
    setTrainingThreads(2);
    const split = vi.spyOn(ProductWorkers.prototype, "weightGradient");
    // Twenty calls at least: lanes that ran at once on shared operands would differ in some.
    for (let call = 0; call < 200 && (call < 20 || productHeap(64, 64, 64)!.workerChunks === 0); call++) {
      expect(firstDifference(convBackward(dy, x, w, undefined, attributes)[0].data, expected.data)).toBe(-1);
    }
    expect(split).toHaveBeenCalled();
    for (const [groups, words] of split.mock.calls) expect([groups, words.lanes]).toEqual([1, 2]);
    expect(productHeap(64, 64, 64)!.workerChunks).toBeGreaterThan(0);
    split.mockRestore();
  });

  it("gemm with bias, relu and leaky relu fused, odd sizes: bit-for-bit", () => {
    const runs: (() => Tensor)[] = [];
    for (const [n, f, units] of [[32, 3136, 128], [33, 1031, 67]]) {
      const x = tensor([n, f]);
      const w = tensor([units, f]);
      const b = tensor([units]);
      for (const activation of [undefined, { kind: "relu" as const }, { kind: "leaky_relu" as const, alpha: 0.3 }]) {
        runs.push(() => gemm(x, w, b, { activation }));
      }
    }
    for (const [one, two] of oneAndTwo(runs)) expect(firstDifference(two.data, one.data)).toBe(-1);
  });
});

it("a process that ran products on two threads exits on its own", () => {
  const script = [
    'const { setTrainingThreads } = await import("./runtime/linalg/wasm-products.ts");',
    'const { matmul } = await import("./runtime/gradients/products.ts");',
    "setTrainingThreads(2);",
    "const [m, n, k] = [128, 128, 128];",
    "const c = new Float32Array(m * n);",
    "matmul({ m, n, k, a: new Float32Array(m * k).fill(1), aOffset: 0, lda: k, transA: false, b: new Float32Array(k * n).fill(1), bOffset: 0, ldb: n, transB: false, c, cOffset: 0, ldc: n, accumulate: false });",
    'console.log(c[0] === k ? "ok" : "wrong");',
  ].join("\n");
  const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  expect(result.stderr).toBe("");
  expect(result.stdout.trim()).toBe("ok");
  expect(result.status).toBe(0);
});
