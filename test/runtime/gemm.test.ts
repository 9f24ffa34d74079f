/**
 * The dense layer against `nn.Linear` (fixtures gemm_*), and the blocked GEMM core against a
 * naive triple loop at odd sizes that cross its 256-wide panel and slab boundaries.
 */
import { describe, expect, it } from "vitest";
import { gemm, gemmCore, relu, type FusedActivation } from "../../runtime/index.js";
import { casesOf, expectClose, output, randomTensor } from "./fixtures.js";
import { erf } from "../../runtime/kernels/gelu.js";

describe("gemm against PyTorch", () => {
  it.each(casesOf("gemm").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(gemm(c.inputs.x, c.inputs.weight, c.inputs.bias), output(c, "y"), c.name);
  });
});

/** C = A·op(B) + bias by definition, in double. */
function naive(m: number, n: number, k: number, a: Float32Array, b: Float32Array, transB: boolean, bias?: Float32Array, per?: "row" | "column"): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let sum = bias === undefined ? 0 : per === "row" ? bias[i] : bias[j];
      for (let p = 0; p < k; p++) sum += a[i * k + p] * (transB ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = sum;
    }
  return c;
}

describe("gemmCore against a naive product", () => {
  // Rows not a multiple of 4 exercise the single-row tail; n and k cross 256 and leave remainders.
  const sizes: [number, number, number][] = [
    [7, 300, 270],
    [1, 513, 3],
    [6, 5, 600],
    [13, 257, 257],
    [3, 1, 1],
  ];
  for (const [m, n, k] of sizes) {
    for (const transB of [false, true]) {
      it(`m=${m} n=${n} k=${k} transB=${transB}`, () => {
        const a = randomTensor([m, k], m * 7 + k).data;
        const b = randomTensor([k, n], n * 3 + k).data;
        const c = new Float32Array(m * n).fill(Number.NaN);
        gemmCore({ m, n, k, a, aOffset: 0, lda: k, b, bOffset: 0, ldb: transB ? k : n, transB, c, cOffset: 0, ldc: n });
        const want = naive(m, n, k, a, b, transB);
        expectClose({ shape: [m, n], data: c }, { shape: [m, n], data: want }, "gemmCore");
      });
    }
  }

  it("reads and writes strided sub-matrices at offsets, with a per-column bias", () => {
    // A is the 5x9 block at (1, 2) of a 7x12 buffer; C the 5x300 block at (2, 4) of a 8x310 buffer.
    const [m, n, k] = [5, 300, 9];
    const bigA = randomTensor([7, 12], 21).data;
    const b = randomTensor([k, n], 22).data;
    const bias = randomTensor([n + 3], 23).data;
    const bigC = new Float32Array(8 * 310).fill(42);
    gemmCore({
      m, n, k, a: bigA, aOffset: 1 * 12 + 2, lda: 12, b, bOffset: 0, ldb: n, transB: false,
      c: bigC, cOffset: 2 * 310 + 4, ldc: 310, bias: { data: bias, offset: 3, per: "column" },
    });
    const a = new Float32Array(m * k);
    for (let i = 0; i < m; i++) a.set(bigA.subarray((1 + i) * 12 + 2, (1 + i) * 12 + 2 + k), i * k);
    const want = naive(m, n, k, a, b, false, bias.subarray(3), "column");
    const got = new Float32Array(m * n);
    for (let i = 0; i < m; i++) got.set(bigC.subarray((2 + i) * 310 + 4, (2 + i) * 310 + 4 + n), i * n);
    expectClose({ shape: [m, n], data: got }, { shape: [m, n], data: want }, "strided gemmCore");
    // Everything outside the C block is untouched.
    expect(bigC.subarray(0, 2 * 310 + 4).every((v) => v === 42)).toBe(true);
    expect(bigC[(2 + m - 1) * 310 + 4 + n]).toBe(42);
  });

  it("applies each fused activation to exactly the unfused result", () => {
    const [m, n, k] = [6, 270, 5];
    const a = randomTensor([m, k], 31).data;
    const b = randomTensor([k, n], 32).data;
    const bias = randomTensor([m], 33).data;
    const run = (activation?: FusedActivation): Float32Array => {
      const c = new Float32Array(m * n);
      gemmCore({ m, n, k, a, aOffset: 0, lda: k, b, bOffset: 0, ldb: n, transB: false, c, cOffset: 0, ldc: n, bias: { data: bias, offset: 0, per: "row" }, activation });
      return c;
    };
    const plain = run();
    const scalar: Record<FusedActivation["kind"], (v: number) => number> = {
      relu: (v) => Math.max(v, 0),
      leaky_relu: (v) => (v < 0 ? 0.1 * v : v),
      elu: (v) => (v < 0 ? 0.5 * Math.expm1(v) : v),
      sigmoid: (v) => 1 / (1 + Math.exp(-v)),
      tanh: (v) => Math.tanh(v),
      silu: (v) => v / (1 + Math.exp(-v)),
      gelu: (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
      // The registry's generic form: relu6 as Clip(0, 6).
      pointwise: (v) => Math.min(Math.max(v, 0), 6),
    };
    const activations: FusedActivation[] = [
      { kind: "relu" }, { kind: "leaky_relu", alpha: 0.1 }, { kind: "elu", alpha: 0.5 },
      { kind: "sigmoid" }, { kind: "tanh" }, { kind: "silu" }, { kind: "gelu" },
      { kind: "pointwise", op: "Clip", attrs: { min: 0, max: 6 } },
    ];
    for (const act of activations) {
      const want = Float32Array.from(plain, scalar[act.kind]);
      expectClose({ shape: [m, n], data: run(act) }, { shape: [m, n], data: want }, act.kind, 1e-6);
    }
    expect(run({ kind: "relu" })).toEqual(relu({ shape: [m, n], data: plain }).data);
  });
});

describe("gemm's errors", () => {
  it("gemmCore rejects a scratch buffer too short to pack into", () => {
    const a = new Float32Array(4);
    expect(() =>
      gemmCore({ m: 2, n: 2, k: 2, a, aOffset: 0, lda: 2, b: a, bOffset: 0, ldb: 2, transB: false, c: new Float32Array(4), cOffset: 0, ldc: 2, scratch: new Float32Array(3) }),
    ).toThrow(/scratch holds 3 values, needs 8/);
  });
  it("names a weight whose input features do not match", () => {
    expect(() => gemm(randomTensor([2, 5], 1), randomTensor([3, 4], 2))).toThrow(/gemm: weight: expected shape \[3, 5\], got \[3, 4\]/);
  });
  it("names a bias of the wrong length", () => {
    expect(() => gemm(randomTensor([2, 5], 1), randomTensor([3, 5], 2), randomTensor([4], 3))).toThrow(/gemm: bias/);
  });
});
