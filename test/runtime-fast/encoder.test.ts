/**
 * The WebAssembly encoder: LEB128 and float encodings byte for byte, modules that the engine
 * validates (plain, bounded and shared memory), a small function run end to end, and the
 * generated GEMM kernel module.
 */
import { describe, expect, it } from "vitest";
import { ByteWriter } from "../../runtime/wasm/encoding.js";
import { FunctionBody, ValueType } from "../../runtime/wasm/instructions.js";
import { encodeModule } from "../../runtime/wasm/module.js";
import { gemmKernelModule } from "../../runtime/wasm/gemm-kernel.js";
import { instantiatePlanKernels, planModuleBytes } from "../../runtime/fast/plan-module.js";
import { ActivationKind } from "../../runtime/wasm/elementwise-kernels.js";
import { sigmoidScalar } from "../../runtime/linalg/epilogue.js";
import { geluScalar } from "../../runtime/kernels/gelu.js";
import { enableRelaxedSimd, relaxedMaddSupported } from "../../runtime/wasm/relaxed-simd.js";

const bytes = (write: (w: ByteWriter) => void): number[] => {
  const w = new ByteWriter();
  write(w);
  return [...w.finish()];
};

describe("binary encodings", () => {
  it("writes unsigned LEB128", () => {
    expect(bytes((w) => w.u32(0))).toEqual([0x00]);
    expect(bytes((w) => w.u32(127))).toEqual([0x7f]);
    expect(bytes((w) => w.u32(128))).toEqual([0x80, 0x01]);
    expect(bytes((w) => w.u32(624485))).toEqual([0xe5, 0x8e, 0x26]);
    expect(bytes((w) => w.u32(0xffffffff))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it("writes signed LEB128", () => {
    expect(bytes((w) => w.i32(0))).toEqual([0x00]);
    expect(bytes((w) => w.i32(63))).toEqual([0x3f]);
    expect(bytes((w) => w.i32(64))).toEqual([0xc0, 0x00]);
    expect(bytes((w) => w.i32(-1))).toEqual([0x7f]);
    expect(bytes((w) => w.i32(-64))).toEqual([0x40]);
    expect(bytes((w) => w.i32(-65))).toEqual([0xbf, 0x7f]);
    expect(bytes((w) => w.i32(-123456))).toEqual([0xc0, 0xbb, 0x78]);
  });

  it("writes little-endian floats and length-prefixed names", () => {
    expect(bytes((w) => w.f32(1))).toEqual([0x00, 0x00, 0x80, 0x3f]);
    expect(bytes((w) => w.name("env"))).toEqual([0x03, 0x65, 0x6e, 0x76]);
  });

  it("rejects values outside the integer's range", () => {
    expect(() => bytes((w) => w.u32(-1))).toThrow(/not a u32/);
    expect(() => bytes((w) => w.i32(2 ** 31))).toThrow(/not an i32/);
  });
});

/** `scale(p, n, s)`: multiplies n floats at byte offset p by s, four lanes at a time (n % 4 == 0). */
function scaleModule(memory: Parameters<typeof encodeModule>[0]): Uint8Array {
  const { i32, f32, v128 } = ValueType;
  const f = new FunctionBody([i32, i32, f32]);
  const factor = f.local(v128);
  f.localGet(2).f32x4Splat().localSet(factor);
  f.loop();
  f.localGet(0).localGet(0).v128Load().localGet(factor).f32x4Mul().v128Store();
  f.localGet(0).i32Const(16).i32Add().localSet(0);
  f.localGet(1).i32Const(4).i32Sub().localTee(1).brIf(0);
  f.end();
  return encodeModule(memory, [{ name: "scale", results: [], body: f }]);
}

describe("modules", () => {
  it("validates with a plain, a bounded and a shared memory", () => {
    expect(WebAssembly.validate(scaleModule({ minimumPages: 1 }) as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(WebAssembly.validate(scaleModule({ minimumPages: 1, maximumPages: 4 }) as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(WebAssembly.validate(scaleModule({ minimumPages: 1, maximumPages: 4, shared: true }) as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(() => scaleModule({ minimumPages: 1, shared: true })).toThrow(/shared memory needs a maximum/);
  });

  it("runs an encoded SIMD function over the imported memory", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const module = new WebAssembly.Module(scaleModule({ minimumPages: 1 }) as Uint8Array<ArrayBuffer>);
    const scale = new WebAssembly.Instance(module, { env: { memory } }).exports.scale as (p: number, n: number, s: number) => void;
    const view = new Float32Array(memory.buffer, 0, 9);
    view.set([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    scale(0, 8, 0.5);
    expect([...view]).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 9]);
  });

  it("encodes the GEMM kernel as a valid module", () => {
    const module = gemmKernelModule({ minimumPages: 1 }) as Uint8Array<ArrayBuffer>;
    expect(WebAssembly.validate(module)).toBe(true);
    expect(WebAssembly.Module.exports(new WebAssembly.Module(module))).toEqual([{ name: "gemm_tile", kind: "function" }]);
  });

  it.each([
    [6, 8],
    [4, 16],
    [8, 4],
  ])("encodes valid kernels with other tiles (%i × %i)", (mr, nr) => {
    expect(WebAssembly.validate(gemmKernelModule({ minimumPages: 1 }, mr, nr) as Uint8Array<ArrayBuffer>)).toBe(true);
  });

  it.each([
    [false, 6],
    [true, 6],
    [false, 4],
  ])("encodes the plan module (shared memory: %s, conv tile of %i pixels) with every kernel exported", (shared, mr) => {
    const bytes = planModuleBytes(2, shared, { mr }) as Uint8Array<ArrayBuffer>;
    expect(WebAssembly.validate(bytes)).toBe(true);
    const names = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => e.name);
    expect(names.slice(0, 2)).toEqual(["gemm_tile", "conv_rows"]);
    const winograd = (prefix: string): string[] => {
      const gemms = Array.from({ length: mr }, (_, k) => `${prefix}_gemm_${k + 1}`);
      return [`${prefix}_rows`, `${prefix}_in`, `${prefix}_out`, ...gemms, `${prefix}_u`, `${prefix}_blocks`, `${prefix}_pass_in`];
    };
    const layout = ["pool_rows", "depthwise_rows", "add", "relu", "activate", "clamp", "row_moments", "channel_affine", "pixel_norm", "copy_pixels", "gather_channels"];
    expect(names).toHaveLength(3 + 2 * mr + 2 * (6 + mr) + layout.length + 2);
    // The conv's pointwise driver after its tiles, then F(2×2, 3×3), the window and element-wise
    // kernels, F(4×4, 3×3), the conversion into the blocked layout and the dense layers' GEMV.
    expect(names.slice(2 + 2 * mr)).toEqual(["conv_pointwise_rows", ...winograd("wino"), ...layout, ...winograd("wino4"), "to_blocked_rows", "gemv"]);
  });

  it("uses relaxed SIMD's multiply-add in the conv only when asked, and it validates exactly where the engine has it", () => {
    const fused = planModuleBytes(2, false, { fma: true }) as Uint8Array<ArrayBuffer>;
    expect(WebAssembly.validate(fused)).toBe(relaxedMaddSupported());
    expect(planModuleBytes(2, false) as Uint8Array<ArrayBuffer>).toEqual(planModuleBytes(2, false, { fma: false }));
    expect(WebAssembly.validate(planModuleBytes(2, false, { fma: false }) as Uint8Array<ArrayBuffer>)).toBe(true);
  });
});

// The polynomials' Horner steps fuse their multiply-adds where the plan asks for fused ones (relaxed
// SIMD, turned on here where Node 20 has it behind a flag); both forms are held to the same bounds.
const fusable = enableRelaxedSimd();
if (!fusable) console.log("encoder.test.ts: the activation kernel's fused form is skipped: this engine has no relaxed SIMD, not even behind a flag");
describe.each([
  ["multiply, then add", false],
  ["fused multiply-adds", true],
] as const)("the activation kernel (%s)", (_, fma) => {
  // 240,000 points over [−12, 12] (both saturated ends), plus zero and infinities.
  const points = Float32Array.from({ length: 240_000 }, (_, i) => -12 + i * 1e-4);
  points.set([0, -0, Infinity, -Infinity], 0);
  const memory = new WebAssembly.Memory({ initial: 32 });
  if (fma && !fusable) return;
  const kernels = instantiatePlanKernels(new WebAssembly.Module(planModuleBytes(32, false, { fma }) as Uint8Array<ArrayBuffer>), memory);
  const heap = new Float32Array(memory.buffer);
  heap.set(points, 0);

  // Errors are absolute for tanh and sigmoid (|f| ≤ 1) and relative to max(1, |x|) for silu and
  // gelu, whose error is x times the sigmoid's (or Φ's).
  it.each([
    ["tanh", ActivationKind.tanh, Math.tanh, () => 1],
    ["sigmoid", ActivationKind.sigmoid, sigmoidScalar, () => 1],
    ["silu", ActivationKind.silu, (x: number) => x * sigmoidScalar(x), (x: number) => Math.max(1, Math.abs(x))],
    ["gelu", ActivationKind.gelu, geluScalar, (x: number) => Math.max(1, Math.abs(x))],
  ] as const)("computes %s within 4e-7 of the scalar function", (_, kind, exact, scale) => {
    const out = points.length;
    kernels.activate(0, out * 4, points.length / 4, kind);
    let worst = 0;
    for (let i = 4; i < points.length; i++) worst = Math.max(worst, Math.abs(heap[out + i] - exact(points[i])) / scale(points[i]));
    expect(worst).toBeLessThan(4e-7);
    expect(heap[out] === exact(0) && heap[out + 1] === exact(0)).toBe(true);
    if (kind === ActivationKind.tanh || kind === ActivationKind.sigmoid) expect([heap[out + 2], heap[out + 3]]).toEqual([exact(Infinity), exact(-Infinity)]);
  });

  // Inputs near zero, where t² (and its products with the polynomials' highest coefficients)
  // would be subnormal, are computed without them; the results keep their relative accuracy, and
  // a NaN stays NaN through the clamps.
  const hardswishScalar = (x: number): number => (x * Math.min(Math.max(x + 3, 0), 6)) / 6;
  it.each([
    ["tanh", ActivationKind.tanh, Math.tanh],
    ["sigmoid", ActivationKind.sigmoid, sigmoidScalar],
    ["silu", ActivationKind.silu, (x: number) => x * sigmoidScalar(x)],
    ["gelu", ActivationKind.gelu, geluScalar],
    ["hardswish", ActivationKind.hardswish, hardswishScalar],
  ] as const)("computes %s of tiny inputs to 4e-7 of their size, and NaN as NaN", (_, kind, exact) => {
    const tiny = [1e-12, -3e-20, 2 ** -32, -(2 ** -31), 7e-11, -1e-30, 1.5e-36, -1e-15];
    const inputs = Float32Array.from([...tiny, NaN, 0.25, NaN, -0.5]);
    const at = 2 * points.length;
    heap.set(inputs, at);
    kernels.activate(at * 4, (at + inputs.length) * 4, inputs.length / 4, kind);
    const result = heap.subarray(at + inputs.length, at + 2 * inputs.length);
    tiny.forEach((x, i) => {
      const v = Math.fround(x);
      expect(Math.abs(result[i] - exact(v)) / Math.abs(kind === ActivationKind.sigmoid ? 1 : v)).toBeLessThan(4e-7);
    });
    expect([8, 10].map((i) => Number.isNaN(result[i]))).toEqual([true, true]);
    expect(Math.abs(result[9] - exact(0.25))).toBeLessThan(1e-7);
    expect(Math.abs(result[11] - exact(-0.5))).toBeLessThan(1e-7);
  });

  it("computes sigmoid far into its tail to 5e-6 of its value, and silu of ±∞ as PyTorch's x·σ(x)", () => {
    // x in [−80, 0): σ down to 1.8e-35, each value from e^−x (the tanh form gave 0 below −15.8).
    const at = 2 * points.length;
    const xs = Float32Array.from({ length: 20_000 }, (_, i) => -80 + i * 4e-3);
    heap.set(xs, at);
    kernels.activate(at * 4, (at + xs.length) * 4, xs.length / 4, ActivationKind.sigmoid);
    let worst = 0;
    xs.forEach((x, i) => {
      const exact = 1 / (1 + Math.exp(-x));
      worst = Math.max(worst, Math.abs(heap[at + xs.length + i] - exact) / exact);
    });
    expect(worst).toBeLessThan(5e-6);
    heap.set([Infinity, -Infinity, -200, 200], at);
    kernels.activate(at * 4, (at + 4) * 4, 1, ActivationKind.silu);
    expect(Array.from(heap.subarray(at + 4, at + 8))).toEqual([Infinity, NaN, -0, 200]);
  });

  it("computes hardswish within its three f32 roundings of the scalar function", () => {
    const out = points.length;
    kernels.activate(0, out * 4, points.length / 4, ActivationKind.hardswish);
    let worst = 0;
    for (let i = 4; i < points.length; i++) worst = Math.max(worst, Math.abs(heap[out + i] - hardswishScalar(points[i])) / Math.max(1, Math.abs(points[i])));
    expect(worst).toBeLessThan(2e-7);
  });

  it.each([
    ["relu6", 1, 0, 0, 6, (x: number) => Math.min(Math.max(x, 0), 6)],
    ["hardtanh(-2, 3)", 1, 0, -2, 3, (x: number) => Math.min(Math.max(x, -2), 3)],
    ["clamp(min: 1)", 1, 0, 1, Infinity, (x: number) => Math.max(x, 1)],
    ["hardsigmoid", 1 / 6, 0.5, 0, 1, (x: number) => Math.min(Math.max(x / 6 + 0.5, 0), 1)],
  ] as const)("clamps as %s within one f32 rounding of the scalar function, NaN kept", (_, scale, shift, lo, hi, exact) => {
    const out = points.length;
    heap.set([NaN, 2.5, -7, 100], 0);
    kernels.clamp(0, out * 4, points.length / 4, scale, shift, lo, hi);
    expect(Number.isNaN(heap[out])).toBe(true);
    expect([heap[out + 1], heap[out + 2], heap[out + 3]]).toEqual([exact(2.5), exact(-7), exact(100)].map(Math.fround));
    let worst = 0;
    for (let i = 4; i < points.length; i++) worst = Math.max(worst, Math.abs(heap[out + i] - exact(points[i])));
    expect(worst).toBeLessThan(scale === 1 ? 1e-12 : 1.2e-7);
    heap.set(points.subarray(0, 4), 0);
  });
});
