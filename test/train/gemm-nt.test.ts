/**
 * `gemm_nt` (`runtime/wasm/gemm-nt-kernel.ts`), the Winograd weight gradient's product of two
 * matrices stored along the reduction: C (+)= A · Bᵀ against float64 sums, for reductions of every
 * length mod 4 (the vector steps and the last one to three), overwriting and accumulating, with
 * a multiply and an add and (where the engine has relaxed SIMD) fused multiply-adds; nothing
 * past C's `m` rows and `n` columns written.
 */
import { describe, expect, it } from "vitest";
import { createRandom } from "../../runtime/index.js";
import { encodeModule } from "../../runtime/wasm/module.js";
import { GEMM_NT_KERNEL, gemmNtFunction } from "../../runtime/wasm/gemm-nt-kernel.js";
import { enableRelaxedSimd } from "../../runtime/wasm/relaxed-simd.js";

type GemmNt = (a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number, accumulate: number) => void;

const relaxed = enableRelaxedSimd();
if (!relaxed) console.log("gemm-nt.test.ts: the fused cases skipped, this engine has no relaxed SIMD (f32x4.relaxed_madd)");

function kernel(fma: boolean): { run: GemmNt; floats: Float32Array } {
  const memory = new WebAssembly.Memory({ initial: 16 });
  const module = new WebAssembly.Module(encodeModule({ minimumPages: 1 }, [gemmNtFunction(fma)]) as Uint8Array<ArrayBuffer>);
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  return { run: exports[GEMM_NT_KERNEL] as GemmNt, floats: new Float32Array(memory.buffer) };
}

const random = createRandom(7);
const shapes: [m: number, n: number, k: number][] = [
  [2, 4, 1], [2, 4, 2], [2, 4, 3], [2, 4, 4], [4, 8, 5], [6, 12, 30], [16, 16, 64], [8, 20, 49], [64, 32, 131],
];

describe.each([false, true])("gemm_nt (fused multiply-adds: %s)", (fma) => {
  it.skipIf(fma && !relaxed).each(shapes.flatMap((shape) => [0, 1].map((accumulate) => [...shape, accumulate] as const)))(
    "%i × %i from a reduction of %i (accumulate %i): float64 sums within float32 rounding, nothing else written",
    (m, n, k, accumulate) => {
      const { run, floats } = kernel(fma);
      // Row strides past the used lengths, so that a read or write outside them shows.
      const [lda, ldb, ldc] = [k + 3, k + 5, n + 4];
      const a = 64;
      const b = a + m * lda + 8;
      const c = b + n * ldb + 8;
      const end = c + (m + 1) * ldc;
      for (let i = 0; i < end; i++) floats[i] = random() * 2 - 1;
      // NaN past each row's last used value of A and B: a step beyond k would spread it.
      for (let i = 0; i < m; i++) floats.fill(NaN, a + i * lda + k, a + (i + 1) * lda);
      for (let j = 0; j < n; j++) floats.fill(NaN, b + j * ldb + k, b + (j + 1) * ldb);
      const before = floats.slice(0, end);
      run(a * 4, lda * 4, b * 4, ldb * 4, c * 4, ldc * 4, m, n, k, accumulate);
      let worst = 0;
      let changed = 0;
      for (let at = 0; at < end; at++) {
        const [i, j] = [Math.floor((at - c) / ldc), (at - c) % ldc];
        if (at < c || i >= m || j >= n) {
          if (!Object.is(floats[at], before[at])) changed++;
          continue;
        }
        let exact = accumulate === 1 ? before[at] : 0;
        let magnitude = Math.abs(exact);
        for (let t = 0; t < k; t++) {
          const product = before[a + i * lda + t] * before[b + j * ldb + t];
          exact += product;
          magnitude += Math.abs(product);
        }
        worst = Math.max(worst, Math.abs(floats[at] - exact) / magnitude);
      }
      expect(changed).toBe(0);
      // Float32 sums of k + 1 terms: each rounding at most 2⁻²⁴ of the running magnitude.
      expect(worst).toBeLessThan((k + 2) * 2 ** -24);
    },
  );
});
