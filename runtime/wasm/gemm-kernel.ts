/**
 * Generates the WebAssembly SIMD128 GEMM micro-kernel behind the plan's dense layers
 * (`runtime/fast/steps/gemm-step.ts`):
 *
 *   C[m × n] = epilogue(A · B + init)      over one slab of the reduction (depth k)
 *
 * - A is pre-packed in row blocks of `MR` rows: block `b` starts at `a + b·aStride` and holds,
 *   for each step p of the reduction, the `MR` values A[b·MR + r, p] side by side, so one
 *   `v128.load32_splat` per row broadcasts the multiplier.
 * - B is row-major (`ldb` bytes per row); each step reads `NR` consecutive columns as `NR/4`
 *   vectors, so a transposed input serves without packing.
 * - The `MR × NR` tile of C lives in `MR·NR/4` v128 registers for the whole slab (4 × 8 = eight
 *   accumulators, leaving room for the B vectors and the broadcast in x64's sixteen XMM
 *   registers). The tile starts from the bias of its rows (`flags & 1` clear) or from C itself
 *   (set: a later slab of a long reduction), and is stored once at the end.
 * - Epilogue: `flags & 2` applies relu and `flags & 4` leaky relu with slope `alpha` while the
 *   tile is still in registers; the caller sets them on the last slab only.
 *
 * Tiles are walked column strip by column strip, each strip against every row block, so a strip
 * of B stays in L1 while the slab of A streams from L2. `m` and `n` must be multiples of `MR`
 * and `NR` (callers pad), and `k ≥ 1`.
 */
import { encodeModule, type MemoryImport } from "./module.js";
import { FunctionBody, ValueType } from "./instructions.js";

/** Rows of the register tile (rows of A per packed block). */
export const MR = 4;
/** Columns of the register tile (a multiple of 4). */
export const NR = 8;

/** Bits of the kernel's `flags` argument. */
export const GemmFlags = { accumulate: 1, relu: 2, leakyRelu: 4 } as const;

/** The kernel's export name. */
export const GEMM_KERNEL = "gemm_tile";

/** Encodes the kernel module over an imported memory with these limits (tile `mr × nr`). */
export function gemmKernelModule(memory: MemoryImport, mr = MR, nr = NR): Uint8Array {
  return encodeModule(memory, [{ name: GEMM_KERNEL, results: [], body: gemmKernelBody(mr, nr) }]);
}

/**
 * The kernel's body: `gemm_tile(a, aStride, b, ldb, c, ldc, bias, m, n, k, flags, alpha)`,
 * pointers and strides in bytes. The tile size is a parameter for experiments; the runtime packs
 * for the exported {@link MR} × {@link NR}. With `fma` each step accumulates with relaxed SIMD's
 * `f32x4.relaxed_madd` (one fused multiply-add on x64 with FMA3, rounded once) instead of a
 * multiply and an add; the engine must have relaxed SIMD (`relaxedMaddSupported`).
 */
export function gemmKernelBody(mr = MR, nr = NR, fma = false): FunctionBody {
  const { i32, f32, v128 } = ValueType;
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, f32]);
  const [a, aStride, b, ldb, c, ldc, bias, m, n, k, flags, alpha] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const quads = nr / 4;
  const i = f.local(i32);
  const j = f.local(i32);
  const nBytes = f.local(i32);
  const aBlock = f.local(i32);
  const ap = f.local(i32);
  const bp = f.local(i32);
  const cp = f.local(i32);
  const row = f.local(i32);
  const kk = f.local(i32);
  const acc: number[][] = [];
  for (let r = 0; r < mr; r++) acc.push(Array.from({ length: quads }, () => f.local(v128)));
  const bv = Array.from({ length: quads }, () => f.local(v128));
  const av = f.local(v128);
  const zero = f.local(v128);
  const slope = f.local(v128);

  f.f32Const(0).f32x4Splat().localSet(zero);
  f.localGet(alpha).f32x4Splat().localSet(slope);
  f.localGet(n).i32Const(4).i32Mul().localSet(nBytes);
  f.i32Const(0).localSet(j);
  f.loop(); // column strips
  {
    f.i32Const(0).localSet(i);
    f.localGet(a).localSet(aBlock);
    f.loop(); // row blocks
    {
      // cp = c + i·ldc + j: the tile's first row in C.
      f.localGet(c).localGet(i).localGet(ldc).i32Mul().i32Add().localGet(j).i32Add().localSet(cp);
      f.localGet(flags).i32Const(GemmFlags.accumulate).i32And().if();
      {
        f.localGet(cp).localSet(row);
        for (let r = 0; r < mr; r++) {
          for (let q = 0; q < quads; q++) f.localGet(row).v128Load(q * 16).localSet(acc[r][q]);
          if (r + 1 < mr) f.localGet(row).localGet(ldc).i32Add().localSet(row);
        }
      }
      f.else();
      {
        for (let r = 0; r < mr; r++) {
          f.localGet(bias).localGet(i).i32Const(4).i32Mul().i32Add().v128Load32Splat(r * 4).localSet(acc[r][0]);
          for (let q = 1; q < quads; q++) f.localGet(acc[r][0]).localSet(acc[r][q]);
        }
      }
      f.end();

      f.localGet(aBlock).localSet(ap);
      f.localGet(b).localGet(j).i32Add().localSet(bp);
      f.localGet(k).localSet(kk);
      f.loop(); // the reduction
      {
        for (let q = 0; q < quads; q++) f.localGet(bp).v128Load(q * 16).localSet(bv[q]);
        for (let r = 0; r < mr; r++) {
          f.localGet(ap).v128Load32Splat(r * 4).localSet(av);
          for (let q = 0; q < quads; q++) {
            if (fma) f.localGet(av).localGet(bv[q]).localGet(acc[r][q]).f32x4RelaxedMadd().localSet(acc[r][q]);
            else f.localGet(acc[r][q]).localGet(av).localGet(bv[q]).f32x4Mul().f32x4Add().localSet(acc[r][q]);
          }
        }
        f.localGet(ap).i32Const(mr * 4).i32Add().localSet(ap);
        f.localGet(bp).localGet(ldb).i32Add().localSet(bp);
        f.localGet(kk).i32Const(1).i32Sub().localTee(kk).brIf(0);
      }
      f.end();

      f.localGet(flags).i32Const(GemmFlags.relu).i32And().if();
      for (const v of acc.flat()) f.localGet(v).localGet(zero).f32x4Max().localSet(v);
      f.end();
      f.localGet(flags).i32Const(GemmFlags.leakyRelu).i32And().if();
      for (const v of acc.flat()) {
        f.localGet(v).localGet(zero).f32x4Max();
        f.localGet(v).localGet(zero).f32x4Min().localGet(slope).f32x4Mul();
        f.f32x4Add().localSet(v);
      }
      f.end();

      f.localGet(cp).localSet(row);
      for (let r = 0; r < mr; r++) {
        for (let q = 0; q < quads; q++) f.localGet(row).localGet(acc[r][q]).v128Store(q * 16);
        if (r + 1 < mr) f.localGet(row).localGet(ldc).i32Add().localSet(row);
      }

      f.localGet(aBlock).localGet(aStride).i32Add().localSet(aBlock);
      f.localGet(i).i32Const(mr).i32Add().localTee(i).localGet(m).i32LtU().brIf(0);
    }
    f.end();
    f.localGet(j).i32Const(nr * 4).i32Add().localTee(j).localGet(nBytes).i32LtU().brIf(0);
  }
  f.end();
  return f;
}
