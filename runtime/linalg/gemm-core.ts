/**
 * The matrix product under `conv` and `gemm`: `C = act(A · op(B) + bias)` on Float32Arrays.
 *
 * Blocking: the product walks N in panels of `PANEL_COLS` columns and K in slabs of `SLAB_DEPTH`;
 * each `SLAB_DEPTH × PANEL_COLS` block of op(B) is packed once into a scratch buffer (transposing
 * it on the way when `transB`) in strips of four columns, and a 4×4 register-blocked micro-kernel
 * runs each four rows of A against each strip. A panel of C is initialised with the bias (or zero)
 * before its first slab, and the activation runs on it after the last slab, while it is still in
 * cache: that is the fused epilogue.
 *
 * Precision: partial sums run in double within a slab and are added to the float32 C once per
 * slab, so a reduction of K terms rounds to float32 only ceil(K / 256) times.
 */
import { applyActivation, type FusedActivation } from "./epilogue.js";

/** Columns of B (and C) per packed panel. */
const PANEL_COLS = 256;
/** Rows of op(B) (columns of A) per packed slab; a packed block is 256 KiB. */
const SLAB_DEPTH = 256;

/** The operands of one product. Matrices are row-major views into larger buffers. */
export interface GemmOperands {
  /** Rows of A and C. */
  m: number;
  /** Columns of op(B) and C. */
  n: number;
  /** Columns of A, rows of op(B): the reduction length. */
  k: number;
  /** A is `m × k`, element (i, p) at `a[aOffset + i * lda + p]`. */
  a: Float32Array;
  aOffset: number;
  lda: number;
  /** B is `k × n`, or `n × k` when `transB` (then op(B) = Bᵀ, as a dense layer's weight is stored). */
  b: Float32Array;
  bOffset: number;
  ldb: number;
  transB: boolean;
  /** C is `m × n`; it is overwritten, never read before being initialised. */
  c: Float32Array;
  cOffset: number;
  ldc: number;
  /** Optional bias added before the activation: one value per row of C, or per column. */
  bias?: { data: Float32Array; offset: number; per: "row" | "column" };
  /** Optional activation applied on write-back. */
  activation?: FusedActivation;
  /**
   * Optional scratch for the packed blocks of B, at least {@link packedScratchSize} long, so that
   * a caller running many products (one per image and group in a conv) allocates it once.
   */
  scratch?: Float32Array;
}

/** The scratch length that {@link gemmCore} needs to pack op(B) of a product with these sizes. */
export function packedScratchSize(n: number, k: number): number {
  return Math.min(k, SLAB_DEPTH) * Math.ceil(Math.min(n, PANEL_COLS) / 4) * 4;
}

/** Computes `C = act(A · op(B) + bias)` in place in `op.c`. */
export function gemmCore(op: GemmOperands): void {
  const { m, n, k } = op;
  if (m === 0 || n === 0) return;
  const size = packedScratchSize(n, k);
  if (op.scratch !== undefined && op.scratch.length < size) {
    throw new Error(`gemmCore: scratch holds ${op.scratch.length} values, needs ${size}`);
  }
  const packed = op.scratch ?? new Float32Array(size);
  for (let jc = 0; jc < n; jc += PANEL_COLS) {
    const cols = Math.min(PANEL_COLS, n - jc);
    initialisePanel(op, jc, cols);
    for (let pc = 0; pc < k; pc += SLAB_DEPTH) {
      const depth = Math.min(SLAB_DEPTH, k - pc);
      packB(op, pc, depth, jc, cols, packed);
      multiplyPanel(op, pc, depth, jc, cols, packed);
    }
    if (op.activation !== undefined) applyActivation(op.c, op.cOffset + jc, m, cols, op.ldc, op.activation);
  }
}

/** Writes the bias (or zero) into columns `jc … jc+cols-1` of every row of C. */
function initialisePanel(op: GemmOperands, jc: number, cols: number): void {
  const { c, cOffset, ldc, m, bias } = op;
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc + jc;
    if (bias === undefined) c.fill(0, row, row + cols);
    else if (bias.per === "row") c.fill(bias.data[bias.offset + i], row, row + cols);
    else c.set(bias.data.subarray(bias.offset + jc, bias.offset + jc + cols), row);
  }
}

/**
 * Copies the `depth × cols` block of op(B) at (pc, jc) into `packed` as strips of four columns:
 * strip s holds, for each p, the four values of columns 4s … 4s+3 side by side, so the micro-kernel
 * reads one contiguous quadruple per step of the reduction. A last partial strip is zero-padded.
 */
function packB(op: GemmOperands, pc: number, depth: number, jc: number, cols: number, packed: Float32Array): void {
  const { b, bOffset, ldb, transB } = op;
  const strips = Math.ceil(cols / 4);
  for (let s = 0; s < strips; s++) {
    const base = s * depth * 4;
    for (let t = 0; t < 4; t++) {
      const j = s * 4 + t;
      if (j >= cols) {
        for (let p = 0; p < depth; p++) packed[base + p * 4 + t] = 0;
      } else if (transB) {
        // B is stored n × k: column j of op(B) is a contiguous stored row.
        const from = bOffset + (jc + j) * ldb + pc;
        for (let p = 0; p < depth; p++) packed[base + p * 4 + t] = b[from + p];
      } else {
        const from = bOffset + pc * ldb + jc + j;
        for (let p = 0; p < depth; p++) packed[base + p * 4 + t] = b[from + p * ldb];
      }
    }
  }
}

/**
 * Adds `A[:, pc:pc+depth] · packed` into the panel of C with a 4×4 register block: sixteen
 * partial sums live in local (double) variables for the whole slab, so each step of the reduction
 * loads four values of A and four of B for sixteen multiply-adds and C is touched once per slab.
 */
function multiplyPanel(op: GemmOperands, pc: number, depth: number, jc: number, cols: number, packed: Float32Array): void {
  const { a, aOffset, lda, c, cOffset, ldc, m } = op;
  const strips = Math.ceil(cols / 4);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = aOffset + i * lda + pc;
    const a1 = a0 + lda;
    const a2 = a1 + lda;
    const a3 = a2 + lda;
    for (let s = 0; s < strips; s++) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, q = s * depth * 4; p < depth; p++, q += 4) {
        const b0 = packed[q];
        const b1 = packed[q + 1];
        const b2 = packed[q + 2];
        const b3 = packed[q + 3];
        const x0 = a[a0 + p];
        const x1 = a[a1 + p];
        const x2 = a[a2 + p];
        const x3 = a[a3 + p];
        c00 += x0 * b0; c01 += x0 * b1; c02 += x0 * b2; c03 += x0 * b3;
        c10 += x1 * b0; c11 += x1 * b1; c12 += x1 * b2; c13 += x1 * b3;
        c20 += x2 * b0; c21 += x2 * b1; c22 += x2 * b2; c23 += x2 * b3;
        c30 += x3 * b0; c31 += x3 * b1; c32 += x3 * b2; c33 += x3 * b3;
      }
      const row = cOffset + i * ldc + jc + s * 4;
      const width = Math.min(4, cols - s * 4);
      storeRow(c, row, width, c00, c01, c02, c03);
      storeRow(c, row + ldc, width, c10, c11, c12, c13);
      storeRow(c, row + 2 * ldc, width, c20, c21, c22, c23);
      storeRow(c, row + 3 * ldc, width, c30, c31, c32, c33);
    }
  }
  for (; i < m; i++) {
    const a0 = aOffset + i * lda + pc;
    for (let s = 0; s < strips; s++) {
      let c0 = 0, c1 = 0, c2 = 0, c3 = 0;
      for (let p = 0, q = s * depth * 4; p < depth; p++, q += 4) {
        const x = a[a0 + p];
        c0 += x * packed[q];
        c1 += x * packed[q + 1];
        c2 += x * packed[q + 2];
        c3 += x * packed[q + 3];
      }
      storeRow(c, cOffset + i * ldc + jc + s * 4, Math.min(4, cols - s * 4), c0, c1, c2, c3);
    }
  }
}

/** Adds up to four partial sums into consecutive elements of C (fewer at a panel's ragged edge). */
function storeRow(c: Float32Array, at: number, width: number, v0: number, v1: number, v2: number, v3: number): void {
  c[at] += v0;
  if (width > 1) c[at + 1] += v1;
  if (width > 2) c[at + 2] += v2;
  if (width > 3) c[at + 3] += v3;
}
