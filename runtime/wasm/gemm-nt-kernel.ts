/**
 * A product of two matrices that are both stored along the reduction, `C = A · Bᵀ` (or `C += …`):
 *
 *   gemm_nt(a, lda, b, ldb, c, ldc, m, n, k, accumulate)
 *
 * C[i][j] = Σ_{t < k} A[i][t] · B[j][t] for i < m (a multiple of 2) and j < n (a multiple of 4):
 * A's row i at `a + i·lda`, B's row j at `b + j·ldb`, C's row i at `c + i·ldc` (pointers and
 * strides in bytes); `accumulate` 1 adds onto C. It is the Winograd weight gradient's product
 * (`runtime/linalg/heap-winograd.ts`): dU_ξ = dM_ξ · V_ξᵀ, whose two operands the transforms write
 * with the tiles along each row, so neither is transposed into the GEMM micro-kernel's operands.
 *
 * A 2 × 4 block of C takes eight accumulators, one per element, each a vector of four partial
 * sums over the reduction (t ≡ 0, 1, 2, 3 mod 4), loaded from two rows of A and four of B per
 * step of four, so six loads feed eight multiply-adds, as in the micro-kernel. The block's partial
 * sums are added across their lanes with shuffles (lanes 0 + 2 and 1 + 3, then the two), and the
 * last `k mod 4` steps follow, each from one float of every row. With `fma` the steps accumulate
 * with relaxed SIMD's fused multiply-add, as the micro-kernel's do. Each element's sum has one
 * order, whatever the threads that call it, so the results do not depend on how calls are shared.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import type { ModuleFunction } from "./module.js";

/** The kernel's export name. */
export const GEMM_NT_KERNEL = "gemm_nt";

/** The kernel, for a module over the product heap; with `fma`, fused multiply-adds (relaxed SIMD). */
export function gemmNtFunction(fma: boolean): ModuleFunction {
  return { name: GEMM_NT_KERNEL, results: [], body: gemmNtBody(fma) };
}

/** Rows of A and of B a block of C takes. */
const ROWS_A = 2;
const ROWS_B = 4;

function gemmNtBody(fma: boolean): FunctionBody {
  const { i32, v128 } = ValueType;
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [a, lda, b, ldb, c, ldc, m, n, k, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [i, j, t, vectorBytes, kBytes, aRow, bRow, cRow] = Array.from({ length: 8 }, () => f.local(i32));
  const ap = Array.from({ length: ROWS_A }, () => f.local(i32));
  const bp = Array.from({ length: ROWS_B }, () => f.local(i32));
  const acc = Array.from({ length: ROWS_A }, () => Array.from({ length: ROWS_B }, () => f.local(v128)));
  const av = Array.from({ length: ROWS_A }, () => f.local(v128));
  const bv = Array.from({ length: ROWS_B }, () => f.local(v128));
  const [low, high] = [f.local(v128), f.local(v128)];
  const multiplyAdd = (sum: number, x: number, y: number): void => {
    if (fma) f.localGet(x).localGet(y).localGet(sum).f32x4RelaxedMadd().localSet(sum);
    else f.localGet(sum).localGet(x).localGet(y).f32x4Mul().f32x4Add().localSet(sum);
  };

  // The steps in whole vectors, and all of k's, in bytes.
  f.localGet(k).i32Const(-4).i32And().i32Const(4).i32Mul().localSet(vectorBytes);
  f.localGet(k).i32Const(4).i32Mul().localSet(kBytes);
  f.localGet(a).localSet(aRow);
  f.localGet(c).localSet(cRow);
  f.i32Const(0).localSet(i);
  f.loop(); // pairs of A's rows
  {
    f.localGet(aRow).localSet(ap[0]);
    f.localGet(aRow).localGet(lda).i32Add().localSet(ap[1]);
    f.localGet(b).localSet(bRow);
    f.i32Const(0).localSet(j);
    f.loop(); // fours of B's rows
    {
      f.localGet(bRow).localSet(bp[0]);
      for (let s = 1; s < ROWS_B; s++) f.localGet(bp[s - 1]).localGet(ldb).i32Add().localSet(bp[s]);
      for (const v of acc.flat()) f.f32Const(0).f32x4Splat().localSet(v);
      f.i32Const(0).localSet(t);
      f.block();
      f.localGet(vectorBytes).i32Eqz().brIf(0);
      f.loop(); // the reduction, four steps at a time
      {
        for (let r = 0; r < ROWS_A; r++) f.localGet(ap[r]).localGet(t).i32Add().v128Load().localSet(av[r]);
        for (let s = 0; s < ROWS_B; s++) f.localGet(bp[s]).localGet(t).i32Add().v128Load().localSet(bv[s]);
        for (let r = 0; r < ROWS_A; r++) for (let s = 0; s < ROWS_B; s++) multiplyAdd(acc[r][s], av[r], bv[s]);
        f.localGet(t).i32Const(16).i32Add().localTee(t).localGet(vectorBytes).i32LtU().brIf(0);
      }
      f.end();
      f.end();
      // Row r's four sums: lanes 0 + 2 and 1 + 3 of each accumulator, then those two.
      for (let r = 0; r < ROWS_A; r++) {
        const [s0, s1, s2, s3] = acc[r];
        f.localGet(s0).localGet(s1).f32x4Shuffle([0, 1, 4, 5]).localGet(s0).localGet(s1).f32x4Shuffle([2, 3, 6, 7]).f32x4Add().localSet(low);
        f.localGet(s2).localGet(s3).f32x4Shuffle([0, 1, 4, 5]).localGet(s2).localGet(s3).f32x4Shuffle([2, 3, 6, 7]).f32x4Add().localSet(high);
        f.localGet(low).localGet(high).f32x4Shuffle([0, 2, 4, 6]).localGet(low).localGet(high).f32x4Shuffle([1, 3, 5, 7]).f32x4Add().localSet(s0);
      }
      // The last k mod 4 steps: one float of each row of B into the lanes, one of A's broadcast.
      f.block();
      f.localGet(t).localGet(kBytes).i32GeU().brIf(0);
      f.loop();
      {
        f.f32Const(0).f32x4Splat().localSet(bv[0]);
        for (let s = 0; s < ROWS_B; s++) f.localGet(bp[s]).localGet(t).i32Add().localGet(bv[0]).v128Load32Lane(s).localSet(bv[0]);
        for (let r = 0; r < ROWS_A; r++) {
          f.localGet(ap[r]).localGet(t).i32Add().v128Load32Splat().localSet(av[r]);
          multiplyAdd(acc[r][0], av[r], bv[0]);
        }
        f.localGet(t).i32Const(4).i32Add().localTee(t).localGet(kBytes).i32LtU().brIf(0);
      }
      f.end();
      f.end();
      for (let r = 0; r < ROWS_A; r++) {
        const row = () => f.localGet(cRow).localGet(j).i32Const(4).i32Mul().i32Add().localGet(ldc).i32Const(r).i32Mul().i32Add();
        f.localGet(accumulate).if();
        row().v128Load().localGet(acc[r][0]).f32x4Add().localSet(acc[r][0]);
        f.end();
        row().localGet(acc[r][0]).v128Store();
      }
      f.localGet(bRow).localGet(ldb).i32Const(ROWS_B).i32Mul().i32Add().localSet(bRow);
      f.localGet(j).i32Const(ROWS_B).i32Add().localTee(j).localGet(n).i32LtU().brIf(0);
    }
    f.end();
    f.localGet(aRow).localGet(lda).i32Const(ROWS_A).i32Mul().i32Add().localSet(aRow);
    f.localGet(cRow).localGet(ldc).i32Const(ROWS_A).i32Mul().i32Add().localSet(cRow);
    f.localGet(i).i32Const(ROWS_A).i32Add().localTee(i).localGet(m).i32LtU().brIf(0);
  }
  f.end();
  return f;
}
