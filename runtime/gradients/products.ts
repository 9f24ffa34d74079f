/**
 * The matrix products under the backward kernels of `conv` and `dense`:
 * `C (+)= op(A) · op(B)`, where op transposes when asked, on row-major views into Float32Arrays.
 * A conv's weight gradient is `dY · colᵀ`, its input gradient `Wᵀ · dY` (then col2im); a dense
 * layer's are `dYᵀ · X` and `dY · W`.
 *
 * Products of at least `WASM_PRODUCT_MIN_MACS` multiply-adds run on the WebAssembly SIMD GEMM
 * micro-kernel (`runtime/linalg/wasm-products.ts`: float32 lanes, a slab of ≤ 384 reduction steps
 * at a time); smaller ones, and every product where WebAssembly SIMD is unavailable, run the
 * TypeScript loop {@link matmulReference} (double sums).
 */
import { packScratchFloats, productHeap, type ProductHeap, type ProductLayout } from "../linalg/wasm-products.js";
import { MR, NR } from "../wasm/gemm-kernel.js";

/** One product `C (+)= op(A) · op(B)`, op(A) `m × k`, op(B) `k × n`, C `m × n`. */
export interface Product {
  m: number;
  n: number;
  k: number;
  /** A is `m × k` (or `k × m` when `transA`), element (r, c) at `a[aOffset + r * lda + c]`. */
  a: Float32Array;
  aOffset: number;
  lda: number;
  transA: boolean;
  /** B is `k × n` (or `n × k` when `transB`). */
  b: Float32Array;
  bOffset: number;
  ldb: number;
  transB: boolean;
  c: Float32Array;
  cOffset: number;
  ldc: number;
  /** Add to C instead of overwriting it. */
  accumulate: boolean;
}

/** Computes the product in place in `p.c`. */
export function matmul(p: Product): void {
  const { m, n, k } = p;
  if (m === 0 || n === 0) return;
  const scratch = packScratchFloats(m, n, k);
  const heap = productHeap(m, n, k, scratch);
  if (heap === undefined) {
    matmulReference(p);
    return;
  }
  // Cᵀ = op(B)ᵀ · op(A)ᵀ: the heap holds whichever orientation transposes fewer elements on the
  // way in and out (a conv's weight gradient dY · colᵀ packs the small dY transposed instead of col).
  const direct = p.transB ? k * n : 0;
  const swapped = (p.transA ? 0 : k * m) + m * n;
  if (swapped >= direct) {
    const l = heap.layout(m, n, k, scratch);
    if (inPlace(heap, l, p)) return;
    heap.packA(l, p.a, p.aOffset, p.lda, p.transA, l.extra);
    heap.packB(l, p.b, p.bOffset, p.ldb, p.transB, l.extra);
    heap.setBias(l);
    heap.run(l);
    const c = heap.floats;
    for (let i = 0; i < m; i++) {
      const from = l.c + i * l.ld;
      const to = p.cOffset + i * p.ldc;
      if (p.accumulate) for (let j = 0; j < n; j++) p.c[to + j] += c[from + j];
      else p.c.set(c.subarray(from, from + n), to);
    }
    return;
  }
  const l = heap.layout(n, m, k, scratch);
  heap.packA(l, p.b, p.bOffset, p.ldb, !p.transB, l.extra);
  heap.packB(l, p.a, p.aOffset, p.lda, !p.transA, l.extra);
  heap.setBias(l);
  heap.run(l);
  const c = heap.floats;
  for (let j = 0; j < n; j++) {
    const from = l.c + j * l.ld;
    if (p.accumulate) for (let i = 0; i < m; i++) p.c[p.cOffset + i * p.ldc + j] += c[from + i];
    else for (let i = 0; i < m; i++) p.c[p.cOffset + i * p.ldc + j] = c[from + i];
  }
}

/**
 * The product with C written where it is, when C is a tensor of the heap's arena that the
 * product overwrites in whole tiles (m and n multiples of the kernel's MR × NR, rows n apart),
 * and B read where it is when it is one too, untransposed and as compact: no copy of either in
 * or out (a dense layer's weight gradient, 128 × 3136 for MNIST's, and its input gradient). The
 * micro-kernel calls are those of the copying path, with C's and B's rows n apart instead of the
 * layout's padded stride: the same sums. False (nothing written) where C does not qualify.
 */
function inPlace(heap: ProductHeap, l: ProductLayout, p: Product): boolean {
  const { m, n } = p;
  const cAt = !p.accumulate && m % MR === 0 && n % NR === 0 && p.ldc === n ? heap.resident(p.c) : undefined;
  if (cAt === undefined) return false;
  const bAt = !p.transB && p.ldb === n ? heap.resident(p.b) : undefined;
  const at = { ...l, ld: n, c: cAt / 4 + p.cOffset, b: bAt === undefined ? l.b : bAt / 4 + p.bOffset };
  heap.packA(at, p.a, p.aOffset, p.lda, p.transA, l.extra);
  if (bAt === undefined) heap.packB(at, p.b, p.bOffset, p.ldb, p.transB, l.extra);
  heap.setBias(at);
  heap.run(at);
  return true;
}

/** The TypeScript product: the same result, summing in double per output element. */
export function matmulReference(p: Product): void {
  const { m, n, k, a, b, c } = p;
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let q = 0; q < k; q++) {
      const av = p.transA ? a[p.aOffset + q * p.lda + i] : a[p.aOffset + i * p.lda + q];
      if (av === 0) continue;
      if (p.transB) {
        for (let j = 0; j < n; j++) row[j] += av * b[p.bOffset + j * p.ldb + q];
      } else {
        const base = p.bOffset + q * p.ldb;
        for (let j = 0; j < n; j++) row[j] += av * b[base + j];
      }
    }
    const out = p.cOffset + i * p.ldc;
    if (p.accumulate) for (let j = 0; j < n; j++) c[out + j] += row[j];
    else for (let j = 0; j < n; j++) c[out + j] = row[j];
  }
}
