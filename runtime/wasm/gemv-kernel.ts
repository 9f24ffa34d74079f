/**
 * Generates the plan's matrix-vector kernel, a dense layer at batch 1:
 *
 *   y[blocks · MR] = A · x + bias
 *
 * over A packed as the GEMM micro-kernel packs it (`gemm-kernel.ts`: row blocks of MR = 4 rows,
 * each step p of the reduction holding the block's four values A[4b + r, p] side by side), so a
 * dense layer's one packed weight serves both kernels. Each step is one `v128.load` of A and one
 * `load32_splat` of x into a multiply-add of the block's four sums; four steps at a time go to
 * four vectors of partial sums, which hides the multiply-add's latency and are added at the end,
 * (s0 + s1) + (s2 + s3), then the bias.
 *
 * The GEMM kernel would pad the batch's one column to its tile's eight and do eight times the
 * work: MobileNetV2's 1280 → 1000 classifier took 1.6 ms there at batch 1, a GEMV streams its 5 MB
 * of weights once. Pointers are bytes; `depth` is the reduction's length, any positive number.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import type { ModuleFunction } from "./module.js";

const { i32, v128 } = ValueType;

/** The kernel's export name: `gemv(a, blocks, depth, x, y, bias)`. */
export const GEMV_KERNEL = "gemv";

/** Independent sums per block (steps of the reduction per pass of the inner loop). */
const SUMS = 4;

/** The kernel, its multiply-adds fused (relaxed SIMD) where `fma`. */
export function gemvFunction(fma: boolean): ModuleFunction {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32]);
  const [a, blocks, depth, x, y, bias] = [0, 1, 2, 3, 4, 5];
  const steps = f.local(i32);
  const xp = f.local(i32);
  const sums = Array.from({ length: SUMS }, () => f.local(v128));
  // sum += A[step] · x[step], for the step `at` vectors past a and x.
  const step = (sum: number, at: number): void => {
    f.localGet(a).v128Load(16 * at, 2).localGet(xp).v128Load32Splat(4 * at);
    if (fma) f.localGet(sum).f32x4RelaxedMadd();
    else f.f32x4Mul().localGet(sum).f32x4Add();
    f.localSet(sum);
  };
  const advance = (count: number): void => {
    f.localGet(a).i32Const(16 * count).i32Add().localSet(a);
    f.localGet(xp).i32Const(4 * count).i32Add().localSet(xp);
    f.localGet(steps).i32Const(1).i32Sub().localTee(steps).brIf(0);
  };
  f.localGet(blocks).i32Eqz().if().return().end();
  f.loop();
  {
    for (const sum of sums) f.f32Const(0).f32x4Splat().localSet(sum);
    f.localGet(x).localSet(xp);
    // SUMS steps at a time, then the rest one at a time into the first sum.
    f.localGet(depth).i32Const(SUMS).i32DivU().localTee(steps).if().loop();
    sums.forEach((sum, k) => step(sum, k));
    advance(SUMS);
    f.end().end();
    f.localGet(depth).i32Const(SUMS).i32RemU().localTee(steps).if().loop();
    step(sums[0], 0);
    advance(1);
    f.end().end();
    f.localGet(y);
    f.localGet(sums[0]).localGet(sums[1]).f32x4Add().localGet(sums[2]).localGet(sums[3]).f32x4Add().f32x4Add();
    f.localGet(bias).v128Load(0, 2).f32x4Add().v128Store(0, 2);
    f.localGet(y).i32Const(16).i32Add().localSet(y);
    f.localGet(bias).i32Const(16).i32Add().localSet(bias);
    f.localGet(blocks).i32Const(1).i32Sub().localTee(blocks).brIf(0);
  }
  f.end();
  return { name: GEMV_KERNEL, results: [], body: f };
}
