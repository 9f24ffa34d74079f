/**
 * The training products with fused multiply-adds (relaxed SIMD's `f32x4.relaxed_madd`,
 * `setTrainingFma`), which `nnc train` uses on Intel cores: turning relaxed SIMD on in Node 20,
 * the choice by CPU, and the fused kernel's results — the conv and dense forwards and backwards
 * against the TypeScript products within the unfused kernel's bound (1e-5 of the output's
 * largest magnitude), bit-for-bit the same on one and two threads, and different from the
 * unfused kernel's (so the fused one really ran). Skipped, with the reason printed, where the
 * engine has no relaxed SIMD even behind a flag.
 */
import { afterEach, describe, expect, it } from "vitest";
import { conv, createRandom, gemm, type Tensor } from "../../runtime/index.js";
import { convBackward, gemmBackward } from "../../runtime/gradients/linear.js";
import { setTrainingFma, setTrainingThreads, setWasmProducts, trainingFma } from "../../runtime/linalg/wasm-products.js";
import { enableRelaxedSimd, fusedMultiplyAddPays, relaxedMaddSupported } from "../../runtime/wasm/relaxed-simd.js";

const available = enableRelaxedSimd();
if (!available) console.log("fused-products.test.ts: skipped, this engine has no relaxed SIMD (f32x4.relaxed_madd), not even behind a flag");

const random = createRandom(41);
function tensor(shape: number[]): Tensor {
  return { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1) };
}

afterEach(() => {
  setWasmProducts(true);
  setTrainingThreads(1);
  setTrainingFma(false);
});

describe("relaxed SIMD and the choice of fused multiply-adds", () => {
  it("pays on Intel cores, not on AMD's or where the CPU is unknown", () => {
    expect(fusedMultiplyAddPays("Intel(R) Xeon(R) Processor")).toBe(true);
    expect(fusedMultiplyAddPays("11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz")).toBe(true);
    expect(fusedMultiplyAddPays("AMD EPYC 7B13 64-Core Processor")).toBe(false);
    expect(fusedMultiplyAddPays("Apple M2")).toBe(false);
    expect(fusedMultiplyAddPays("")).toBe(false);
  });

  it.skipIf(!available)("is on after enableRelaxedSimd in Node 20, and the products switch both ways", () => {
    expect(relaxedMaddSupported()).toBe(true);
    expect(setTrainingFma(true)).toBe(true);
    expect(trainingFma()).toBe(true);
    expect(setTrainingFma(false)).toBe(true);
    expect(trainingFma()).toBe(false);
  });
});

describe.skipIf(!available)("the training products with fused multiply-adds", () => {
  /** `run` with the fused products, the unfused ones, and the TypeScript products. */
  function threeWays(run: () => Tensor[]): { fused: Tensor[]; unfused: Tensor[]; ts: Tensor[] } {
    setTrainingFma(true);
    const fused = run();
    setTrainingFma(false);
    const unfused = run();
    setWasmProducts(false);
    const ts = run();
    setWasmProducts(true);
    return { fused, unfused, ts };
  }

  const cases: [string, () => Tensor[]][] = (() => {
    const [x, w, b] = [tensor([4, 16, 14, 14]), tensor([32, 16, 3, 3]), tensor([32])];
    const dy = tensor([4, 32, 14, 14]);
    const [xs, ws, dys] = [tensor([3, 8, 15, 15]), tensor([12, 8, 3, 3]), tensor([3, 12, 8, 8])];
    const [xd, wd, bd, dyd] = [tensor([32, 300]), tensor([70, 300]), tensor([70]), tensor([32, 70])];
    return [
      ["a Winograd conv forward, bias and relu", () => [conv(x, w, b, { pads: 1, activation: { kind: "relu" } })]],
      ["its input and weight gradients", () => convBackward(dy, x, w, b, { pads: [1, 1, 1, 1], wants: [1, 1, 1] })],
      ["a stride-2 conv's forward and gradients (im2col, col2im)", () => [conv(xs, ws, undefined, { strides: 2, pads: 1 }), ...convBackward(dys, xs, ws, undefined, { strides: [2, 2], pads: [1, 1, 1, 1], wants: [1, 1] })]],
      ["a dense layer's forward and gradients", () => [gemm(xd, wd, bd), ...gemmBackward(dyd, xd, wd, bd, { wants: [1, 1, 1] })]],
    ];
  })();

  for (const [name, run] of cases) {
    it(`${name}: within 1e-5 of the TypeScript products, and not the unfused kernel's bits`, () => {
      const { fused, unfused, ts } = threeWays(run);
      let differs = false;
      fused.forEach((t, k) => {
        expect(t.shape).toEqual(ts[k].shape);
        const scale = ts[k].data.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
        const worst = ts[k].data.reduce((s, v, i) => Math.max(s, Math.abs(t.data[i] - v)), 0);
        expect(scale).toBeGreaterThan(0);
        expect(worst / scale).toBeLessThan(1e-5);
        differs ||= t.data.some((v, i) => v !== unfused[k].data[i]);
      });
      expect(differs).toBe(true);
    });
  }

  it("bit-for-bit the same on one and two threads", () => {
    const [x, w, b] = [tensor([12, 32, 14, 14]), tensor([64, 32, 3, 3]), tensor([64])];
    const dy = tensor([12, 64, 14, 14]);
    const run = () => [conv(x, w, b, { pads: 1 }), ...convBackward(dy, x, w, b, { pads: [1, 1, 1, 1], wants: [1, 1, 1] })];
    setTrainingFma(true);
    const one = run();
    setTrainingThreads(2);
    expect(trainingFma()).toBe(true);
    const two = run();
    one.forEach((t, k) => expect(two[k].data).toEqual(t.data));
  });
});
