/**
 * The WebAssembly SIMD products. `matmul` (runtime/gradients/products.ts) on the WebAssembly SIMD micro-kernel against its
 * TypeScript loop (`matmulReference`, double sums), and both against a double-precision product:
 * random shapes with odd sizes (past the kernel's 4 × 8 tile and its 384-step slabs), every
 * transpose pair, views at offsets with row strides wider than the matrix, overwrite and
 * accumulate. Tolerance: |C − C_exact| ≤ 4·k·2⁻²⁴·Σ|a||b| + 1e-6 per element (float32 sums of
 * k terms, plus one rounding on the accumulate), the standard bound for a float32 dot product.
 * The `conv` and `gemm` kernels on the heap (one product over the whole batch, bias and relu in
 * the kernel) against their TypeScript products (`setWasmProducts(false)`): within 1e-5 of the
 * output's largest magnitude, for strides, padding, dilation, 1×1, odd sizes and every fused
 * activation kind the kernel fuses or leaves to the write-back. A conv's backward on the heap
 * (dW as one product over the batch; dx of a unit-stride conv as the conv of dY with the flipped
 * weights, of other convs as Wᵀ · dY and a WebAssembly col2im) against the per-image TypeScript
 * products and col2im: within 1e-5 of each gradient's largest magnitude. Winograd
 * (`heap-winograd.ts`: 3×3 unit-stride forwards of ≥ 16 input channels, so dx of such convs whose
 * dY has ≥ 16 channels, as F(2×2, 3×3) or F(4×4, 3×3), each case run as both; and their dW, as
 * F(2×2, 3×3), where the channels are multiples of 4 and the output size even) is held to the
 * same bound, over odd sizes, asymmetric padding, outputs narrower than a group of four tiles
 * and chunks of images; each case states which path must run.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { matmul, matmulReference, type Product } from "../../runtime/gradients/products.js";
import { ProductHeap, productHeap, setWasmProducts } from "../../runtime/linalg/wasm-products.js";
import { conv, createRandom, gemm, type ConvAttributes, type Tensor } from "../../runtime/index.js";
import { convBackward } from "../../runtime/gradients/linear.js";
import { im2col } from "../../runtime/linalg/im2col.js";
import { window2d } from "../../runtime/window.js";
import { setTrainingWinogradTile, trainingWinogradTile } from "../../runtime/linalg/heap-winograd.js";

const random = createRandom(7);
const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));

interface Case {
  product: Product;
  /** The exact result and Σ|a||b| per element of C, in double. */
  exact: Float64Array;
  magnitude: Float64Array;
}

/** A random product `m × k` by `k × n` with the operands at offsets in wider buffers. */
function makeCase(m: number, n: number, k: number, transA: boolean, transB: boolean, accumulate: boolean): Case {
  const fill = (length: number) => Float32Array.from({ length }, () => random() * 2 - 1);
  const lda = (transA ? m : k) + int(0, 3);
  const ldb = (transB ? k : n) + int(0, 3);
  const ldc = n + int(0, 3);
  const [aOffset, bOffset, cOffset] = [int(0, 5), int(0, 5), int(0, 5)];
  const a = fill(aOffset + (transA ? k : m) * lda);
  const b = fill(bOffset + (transB ? n : k) * ldb);
  const c = fill(cOffset + m * ldc);
  const exact = new Float64Array(m * n);
  const magnitude = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = accumulate ? c[cOffset + i * ldc + j] : 0;
      let abs = Math.abs(sum);
      for (let q = 0; q < k; q++) {
        const x = transA ? a[aOffset + q * lda + i] : a[aOffset + i * lda + q];
        const y = transB ? b[bOffset + j * ldb + q] : b[bOffset + q * ldb + j];
        sum += x * y;
        abs += Math.abs(x * y);
      }
      exact[i * n + j] = sum;
      magnitude[i * n + j] = abs;
    }
  }
  const product = { m, n, k, a, aOffset, lda, transA, b, bOffset, ldb, transB, c, cOffset, ldc, accumulate };
  return { product, exact, magnitude };
}

/** Runs `run` on a copy of the case's C and returns the worst error over the tolerance, and whether C outside the product kept its values. */
function check(t: Case, run: (p: Product) => void): { worst: number; untouched: boolean } {
  const { product: p } = t;
  const c = p.c.slice();
  run({ ...p, c });
  let worst = 0;
  let untouched = true;
  for (let at = 0; at < c.length; at++) {
    const r = Math.floor((at - p.cOffset) / p.ldc);
    const col = at - p.cOffset - r * p.ldc;
    if (at < p.cOffset || r >= p.m || col >= p.n) {
      if (!Object.is(c[at], p.c[at])) untouched = false;
      continue;
    }
    const e = r * p.n + col;
    const tolerance = 4 * p.k * 2 ** -24 * t.magnitude[e] + 1e-6;
    worst = Math.max(worst, Math.abs(c[at] - t.exact[e]) / tolerance);
  }
  return { worst, untouched };
}

afterEach(() => {
  setWasmProducts(true);
  setTrainingWinogradTile(2);
  vi.restoreAllMocks();
});

describe("matmul", () => {
  it("runs on WebAssembly SIMD here (the products below exercise the kernel)", () => {
    expect(productHeap(64, 64, 64)).toBeDefined();
  });

  const shapes: [number, number, number][] = [
    [1, 1, 1], [3, 5, 7], [4, 8, 512], [13, 29, 37], [31, 9, 401], [64, 288, 33], [10, 127, 65], [67, 3, 800], [5, 201, 17],
  ];
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        it(`${m}×${k} · ${k}×${n}, transA ${transA}, transB ${transB}: overwrite and accumulate within the float32 bound`, () => {
          for (const accumulate of [false, true]) {
            const t = makeCase(m, n, k, transA, transB, accumulate);
            const simd = check(t, matmul);
            const loop = check(t, matmulReference);
            expect(simd.worst).toBeLessThanOrEqual(1);
            expect(loop.worst).toBeLessThanOrEqual(1);
            expect(simd.untouched).toBe(true);
            expect(loop.untouched).toBe(true);
          }
        });
      }
    }
  }

  it("agrees with the TypeScript loop when the WebAssembly products are switched off, and on random shapes", () => {
    for (let trial = 0; trial < 20; trial++) {
      const t = makeCase(int(1, 70), int(1, 70), int(1, 500), random() < 0.5, random() < 0.5, random() < 0.5);
      expect(check(t, matmul).worst).toBeLessThanOrEqual(1);
      setWasmProducts(false);
      const c1 = t.product.c.slice();
      const c2 = t.product.c.slice();
      matmul({ ...t.product, c: c1 });
      matmulReference({ ...t.product, c: c2 });
      expect(c1).toEqual(c2);
      setWasmProducts(true);
    }
  });

  it("a zero-depth product writes zeros, or leaves C when accumulating", () => {
    const c = new Float32Array([1, 2, 3, 4]);
    const p = { m: 2, n: 2, k: 0, a: new Float32Array(0), aOffset: 0, lda: 0, transA: false, b: new Float32Array(0), bOffset: 0, ldb: 2, transB: false, c, cOffset: 0, ldc: 2, accumulate: true };
    matmul(p);
    expect([...c]).toEqual([1, 2, 3, 4]);
    matmul({ ...p, accumulate: false });
    expect([...c]).toEqual([0, 0, 0, 0]);
  });
});

function tensor(shape: number[]): Tensor {
  return { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1) };
}

const made = new Map<string, unknown>();

/** A case's operands, made on its first run, so that its second (the other Winograd tile) gets the same and the generator's later values stay as they were. */
function operands<T>(name: string, make: () => T): T {
  if (!made.has(name)) made.set(name, make());
  return made.get(name) as T;
}

/** The largest difference between the heap's and the TypeScript product's output, over the output's scale. */
function heapVersusTs(run: () => Tensor): number {
  expect(productHeap(64, 64, 64)).toBeDefined();
  const heap = run();
  setWasmProducts(false);
  const ts = run();
  setWasmProducts(true);
  expect(heap.shape).toEqual(ts.shape);
  let scale = 0;
  let worst = 0;
  ts.data.forEach((v, i) => {
    scale = Math.max(scale, Math.abs(v));
    worst = Math.max(worst, Math.abs(heap.data[i] - v));
  });
  expect(scale).toBeGreaterThan(0);
  return worst / scale;
}

describe("im2col in WebAssembly", () => {
  const windows: [string, number[], Parameters<typeof window2d>[3], Parameters<typeof window2d>[4], Parameters<typeof window2d>[5], Parameters<typeof window2d>[6]][] = [
    ["LeNet's first conv: 5×5, pad 2, 28 wide", [1, 28, 28], 5, 1, 2, 1],
    ["LeNet's second conv: 5×5 over 6 channels, rows of 10", [6, 14, 14], 5, 1, 0, 1],
    ["its input gradient: 5×5 over 16 planes of 10 × 10 padded by 4", [16, 10, 10], 5, 1, 4, 1],
    ["3×3, pad 1, rows of 5 (one vector and a tail of one)", [2, 5, 5], 3, 1, 1, 1],
    ["rows of 3 and 2 values (no vector)", [3, 4, 4], [3, 3], 1, [1, 0, 1, 0], 1],
    ["dilation 2, asymmetric pads, rows of 11", [2, 9, 13], [3, 3], 1, [2, 1, 0, 3], 2],
    ["stride 2 (the scalar path)", [3, 15, 15], 3, 2, 1, 1],
  ];
  it.each(windows)("%s: exactly the TypeScript im2col's values, and nothing written past the columns", (_, [channels, height, width], kernel, strides, pads, dilations) => {
    const win = window2d("test", height, width, kernel, strides, pads, dilations);
    const random = createRandom(channels * height * width);
    const x = Float32Array.from({ length: channels * height * width }, () => random() * 2 - 1);
    const rows = channels * win.kh * win.kw;
    const positions = win.oh * win.ow;
    const expected = new Float32Array(rows * positions);
    im2col(x, 0, channels, height, width, win, expected);
    const heap = productHeap(64, 64, 64)!;
    const xAt = heap.layout(0, 0, 0, 0).extra;
    const table = xAt + x.length;
    const col = table + 1 + 3 * win.kw;
    heap.layout(0, 0, 0, x.length + 1 + 3 * win.kw + expected.length + 8);
    heap.floats.set(x, xAt);
    heap.floats.fill(7, col, col + expected.length + 8);
    heap.im2col(1, xAt, channels, height, width, win, table, col * 4, positions * 4, 0, false);
    expect(heap.floats.subarray(col, col + expected.length)).toEqual(expected);
    expect([...heap.floats.subarray(col + expected.length, col + expected.length + 8)]).toEqual(Array(8).fill(7));
  });
});

describe("conv and gemm on the WebAssembly products", () => {
  const convs: [string, number[], number[], boolean, ConvAttributes][] = [
    ["3×3 pad 1 with bias and relu", [3, 5, 11, 13], [12, 5, 3, 3], true, { pads: 1, activation: { kind: "relu" } }],
    ["3×3 stride 2, no bias", [2, 16, 15, 15], [32, 16, 3, 3], false, { strides: 2, pads: 1 }],
    ["1×1 direct, leaky relu", [2, 24, 9, 7], [10, 24, 1, 1], true, { activation: { kind: "leaky_relu", alpha: 0.1 } }],
    ["5×3 dilated, asymmetric pads, tanh after the product", [1, 3, 20, 17], [7, 3, 5, 3], true, { dilations: 2, pads: [1, 2, 0, 1], activation: { kind: "tanh" } }],
    ["1 input channel (an MNIST stem)", [4, 1, 28, 28], [32, 1, 3, 3], true, { pads: 1 }],
    ["8 images in products of 3, 3 and 2", [8, 8, 24, 24], [12, 8, 3, 3], true, { pads: 1, activation: { kind: "relu" } }],
    ["Winograd, 16 channels, odd 13×11 images, bias and relu", [3, 16, 13, 11], [24, 16, 3, 3], true, { pads: 1, activation: { kind: "relu" } }],
    ["Winograd over 12 images in chunks of 3, 14×14", [12, 32, 14, 14], [64, 32, 3, 3], true, { pads: 1 }],
    ["Winograd, no padding, a 3×7 output", [8, 16, 5, 9], [32, 16, 3, 3], false, { activation: { kind: "relu" } }],
    ["Winograd, asymmetric pads, a 1×2 output", [8, 16, 2, 3], [32, 16, 3, 3], true, { pads: [1, 0, 0, 1] }],
    ["Winograd, pad 2, a 1×1 input", [16, 20, 1, 1], [32, 20, 3, 3], true, { pads: 2 }],
    ["5 input channels stay on im2col after all", [3, 5, 11, 13], [12, 5, 3, 3], false, { pads: 1 }],
  ];
  for (const [name, xs, ws, bias, attributes] of convs) {
    // A Winograd case runs as F(2×2, 3×3) and as F(4×4, 3×3), each forced.
    for (const tile of name.startsWith("Winograd") ? ([2, 4] as const) : [undefined]) {
      it(`conv ${name}${tile === undefined ? "" : ` as F(${tile}×${tile}, 3×3)`}`, () => {
        const [x, w, b] = operands(name, (): [Tensor, Tensor, Tensor | undefined] => [tensor(xs), tensor(ws), bias ? tensor([ws[0]]) : undefined]);
        const winograd = vi.spyOn(ProductHeap.prototype, "winogradInput");
        setTrainingWinogradTile(tile ?? 2);
        expect(heapVersusTs(() => conv(x, w, b, attributes))).toBeLessThan(1e-5);
        expect(winograd.mock.calls.length > 0).toBe(tile !== undefined);
        for (const call of winograd.mock.calls) expect(call[0]).toBe(tile);
      });
    }
  }

  it("Winograd forwards are F(2×2, 3×3) unless F(4×4, 3×3) is asked for, and no other tile is taken", () => {
    const spy = vi.spyOn(ProductHeap.prototype, "winogradInput");
    // Zeros: the data do not matter here, and the shared generator's values stay as they were. One image: one chunk, one call per conv.
    const [x, w] = [[1, 16, 8, 8], [16, 16, 3, 3]].map((shape) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }));
    expect(trainingWinogradTile()).toBe(2);
    conv(x, w, undefined, { pads: 1 });
    setTrainingWinogradTile(4);
    expect(trainingWinogradTile()).toBe(4);
    conv(x, w, undefined, { pads: 1 });
    expect(spy.mock.calls.map((call) => call[0])).toEqual([2, 4]);
    expect(() => setTrainingWinogradTile(3 as 2)).toThrow(/the tile is 2 or 4, not 3/);
    expect(trainingWinogradTile()).toBe(4);
  });

  it("3×3 unit-stride convs of random sizes, paddings and batches, forward, dx and dW (Winograd where it takes them)", () => {
    // A generator of its own, so that the other tests' data stay as they were.
    const own = createRandom(23);
    const pick = (lo: number, hi: number) => lo + Math.floor(own() * (hi - lo + 1));
    const values = (shape: number[]): Tensor => ({ shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => own() * 2 - 1) });
    const winograd = vi.spyOn(ProductHeap.prototype, "winogradInput");
    for (let trial = 0; trial < 12; trial++) {
      const [c, m] = [[16, 20, 24, 32][pick(0, 3)], [4, 8, 12, 16, 32][pick(0, 4)]];
      const pads: [number, number, number, number] = [pick(0, 2), pick(0, 2), pick(0, 2), pick(0, 2)];
      const [h, w] = [pick(3, 24), pick(3, 24)];
      const x = values([pick(1, 12), c, h, w]);
      const weight = values([m, c, 3, 3]);
      const b = values([m]);
      expect(heapVersusTs(() => conv(x, weight, b, { pads, activation: trial % 3 === 0 ? { kind: "relu" } : undefined }))).toBeLessThan(1e-5);
      const dy = values(conv(x, weight, undefined, { pads }).shape);
      for (const wants of [[1, 0], [0, 1]]) {
        expect(heapVersusTs(() => convBackward(dy, x, weight, undefined, { pads, wants })[0])).toBeLessThan(1e-5);
      }
    }
    expect(winograd).toHaveBeenCalled();
  });

  it("gemm with and without bias, relu and leaky relu fused, odd sizes", () => {
    for (const [n, f, units] of [[32, 3136, 128], [7, 131, 10], [33, 64, 9]]) {
      const x = tensor([n, f]);
      const w = tensor([units, f]);
      const b = tensor([units]);
      expect(heapVersusTs(() => gemm(x, w, b))).toBeLessThan(1e-5);
      expect(heapVersusTs(() => gemm(x, w, undefined, { activation: { kind: "relu" } }))).toBeLessThan(1e-5);
      expect(heapVersusTs(() => gemm(x, w, b, { activation: { kind: "leaky_relu", alpha: 0.3 } }))).toBeLessThan(1e-5);
      expect(heapVersusTs(() => gemm(x, w, b, { activation: { kind: "sigmoid" } }))).toBeLessThan(1e-5);
    }
  });
});

describe("a conv's backward on the WebAssembly products", () => {
  type Attributes = { strides?: [number, number]; pads?: [number, number, number, number]; dilations?: [number, number] };
  // The last two flags: whether dx (as the conv of dY) and dW must run as Winograd.
  const cases: [string, number[], number[], Attributes, boolean, boolean][] = [
    ["3×3 pad 1 (dx as a conv)", [3, 5, 11, 13], [12, 5, 3, 3], { pads: [1, 1, 1, 1] }, false, false],
    ["3×3 stride 2 (dx as Wᵀ · dY and col2im)", [2, 16, 15, 15], [32, 16, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }, false, false],
    ["1×1", [2, 24, 9, 7], [10, 24, 1, 1], {}, false, false],
    ["5×3 dilated, asymmetric pads", [1, 3, 20, 17], [7, 3, 5, 3], { dilations: [2, 2], pads: [1, 2, 0, 1] }, false, false],
    ["1 input channel: 9 rows of A, the last block padded (Winograd dx: dY has 32 channels)", [4, 1, 28, 28], [32, 1, 3, 3], { pads: [1, 1, 1, 1] }, true, false],
    ["padding wider than the kernel (dx as Wᵀ · dY and col2im)", [2, 4, 9, 9], [8, 4, 3, 3], { pads: [3, 3, 3, 3] }, false, false],
    ["8 images in products of 3, 3 and 2 (512 KiB of columns at a time)", [8, 8, 24, 24], [12, 8, 3, 3], { pads: [1, 1, 1, 1] }, false, false],
    ["stride 2 over 8 images in products of 3, 3 and 2", [8, 16, 32, 32], [16, 16, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }, false, false],
    ["5×5 stride 3, dilation 2", [3, 4, 23, 19], [6, 4, 5, 5], { strides: [3, 3], pads: [2, 1, 3, 0], dilations: [2, 2] }, false, false],
    ["Winograd dx, 16 → 32 channels, odd 9×7 outputs (dW on im2col)", [6, 16, 9, 7], [32, 16, 3, 3], { pads: [1, 1, 1, 1] }, true, false],
    ["Winograd dx and dW, asymmetric pads (dx of dY padded 2, 1, 0, 1)", [6, 16, 8, 8], [16, 16, 3, 3], { pads: [0, 1, 2, 1] }, true, true],
    ["Winograd dx, asymmetric pads, 7×7 outputs (dW on im2col)", [6, 16, 8, 8], [16, 16, 3, 3], { pads: [0, 1, 1, 0] }, true, false],
    ["Winograd dx and dW over 12 images in chunks, 32 → 64 channels at 14×14", [12, 32, 14, 14], [64, 32, 3, 3], { pads: [1, 1, 1, 1] }, true, true],
    ["Winograd dx and dW, no padding, 6×4 outputs, 4 output channels", [5, 16, 8, 6], [4, 16, 3, 3], {}, false, true],
    ["18 input channels: Winograd dx, dW on im2col", [4, 18, 8, 8], [16, 18, 3, 3], { pads: [1, 1, 1, 1] }, true, false],
    ["LeNet's second conv, 5×5 without padding (dx as Wᵀ · dY and col2im)", [4, 6, 14, 14], [16, 6, 5, 5], {}, false, false],
  ];

  it("takes dx of a unit-stride conv as Wᵀ · dY and col2im where the input has over 1.5× the output's positions, else as the conv of dY", () => {
    const col2im = vi.spyOn(ProductHeap.prototype, "col2im");
    const dx = (xs: number[], ws: number[], pad: number): number => {
      col2im.mockClear();
      const [x, w] = [tensor(xs), tensor(ws)];
      const pads: [number, number, number, number] = [pad, pad, pad, pad];
      convBackward(tensor(conv(x, w, undefined, { pads }).shape), x, w, undefined, { pads, wants: [1, 0] });
      return col2im.mock.calls.length;
    };
    // 14 × 14 over 10 × 10 (1.96×), 12 × 12 over 10 × 10 (1.44×), 10 × 10 padded to itself.
    expect([dx([2, 6, 14, 14], [16, 6, 5, 5], 0), dx([2, 6, 12, 12], [16, 6, 3, 3], 0), dx([2, 6, 10, 10], [16, 6, 5, 5], 2)].map((calls) => calls > 0)).toEqual([true, false, false]);
  });
  for (const [name, xs, ws, attributes, winogradDx, winogradDw] of cases) {
    // A Winograd dx runs as F(2×2, 3×3) and as F(4×4, 3×3), each forced.
    for (const tile of winogradDx ? ([2, 4] as const) : [undefined]) {
      it(`conv ${name}: dx${tile === undefined ? "" : ` as F(${tile}×${tile}, 3×3)`} and dW`, () => {
        const [x, w, dy] = operands(name, (): Tensor[] => {
          const [x, w] = [tensor(xs), tensor(ws)];
          return [x, w, tensor(conv(x, w, undefined, attributes).shape)];
        });
        const run = () => convBackward(dy, x, w, undefined, { ...attributes, wants: [1, 1] });
        expect(productHeap(64, 64, 64)).toBeDefined();
        const dxPath = vi.spyOn(ProductHeap.prototype, "winogradOutput");
        const dwPath = vi.spyOn(ProductHeap.prototype, "winogradGradient");
        setTrainingWinogradTile(tile ?? 2);
        const heap = run();
        expect(dxPath.mock.calls.length > 0).toBe(winogradDx);
        for (const call of dxPath.mock.calls) expect(call[0]).toBe(tile);
        expect(dwPath.mock.calls.length > 0).toBe(winogradDw);
        setWasmProducts(false);
        const ts = run();
        setWasmProducts(true);
        for (const [k, reference] of ts.entries()) {
          expect(heap[k].shape).toEqual(reference.shape);
          const scale = reference.data.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
          const worst = reference.data.reduce((s, v, i) => Math.max(s, Math.abs(heap[k].data[i] - v)), 0);
          expect(scale).toBeGreaterThan(0);
          expect(worst / scale).toBeLessThan(1e-5);
        }
      });
    }
  }
});
