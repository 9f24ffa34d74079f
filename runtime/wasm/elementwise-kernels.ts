/**
 * Generates the plan executor's element-wise kernels over the blocked layout (see
 * `layout.ts` in `runtime/fast`), which treat a tensor as a run of f32x4 vectors:
 *
 * - `add(a, b, out, quads, relu)`: element-wise sum of two equal layouts, relu when `relu ≠ 0`.
 * - `relu(a, out, quads)`.
 * - `activate(a, out, quads, kind)`: tanh, sigmoid, silu, gelu or hardswish ({@link ActivationKind}):
 *   tanh through a rational approximation (Eigen's `generic_fast_tanh_float`: odd degree-13
 *   numerator, even degree-6 denominator, input clamped to ±7.905; at most 3.3e-7 from
 *   `Math.tanh` in f32); σ(x) = 1 / (1 + e^−x) and silu(x) = x / (1 + e^−x) with e^−x by a
 *   power of two times Cephes' `exp2f` polynomial (σ within 1e-7 of the exact value, and within
 *   4e-6 of it relatively far into its tail); gelu(x) = ½·x·(1 + erf(x / √2)) with the erf of
 *   `runtime/kernels/erf.ts` (tanh's rational form); hardswish(x) = x·min(max(x + 3, 0), 6) / 6,
 *   in PyTorch's order of operations. Where the
 *   plan fuses multiply-adds (`elementwiseFunctions(true)`, see `relaxed-simd.ts`), the
 *   polynomials' Horner steps are relaxed SIMD's `f32x4.relaxed_madd` (half the chain's latency;
 *   on an Intel core 1.3–1.5× faster), within the same bounds; tanh then saturates by a select,
 *   as its fused rational stays a few ulps short of ±1.
 * - `clamp(a, out, quads, scale, shift, lo, hi)`: min(max(x·scale + shift, lo), hi) with f32
 *   arguments: `Clip` (relu6, hardtanh, clamp) as scale 1 and shift 0, `HardSigmoid` as its alpha
 *   and beta between 0 and 1. NaN stays NaN, as in the scalar functions: `add`'s relu, `relu`
 *   and `clamp` take pseudo-max and -min (one instruction each on x64) with the value first.
 * - `copy_pixels(src, srcPixel, dst, dstPixel, pixels, quads)`: the first `quads` channel
 *   vectors of each pixel, as a concat writes its parts into a wider tensor.
 * - `gather_channels(src, srcPixel, dst, dstPixel, pixels, table, count)`: channel k < `count` of
 *   each output pixel is the float at byte `table[k]` (an i32 table) of the input pixel: a
 *   channel slice that does not start on a quad, or a channel shuffle.
 *
 * Pointers and strides are bytes; `quads` counts f32x4 vectors.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import type { ModuleFunction } from "./module.js";
import { ERF_DENOMINATOR, ERF_NUMERATOR } from "../kernels/erf.js";

const { i32, v128 } = ValueType;

/** The `kind` argument of `activate`. */
export const ActivationKind = { tanh: 1, sigmoid: 2, silu: 3, gelu: 4, hardswish: 5 } as const;

/** The element-wise kernels, in a fixed order: `add`, `relu`, `activate`, `clamp`. */
export function elementwiseFunctions(fma = false): ModuleFunction[] {
  return [
    { name: "add", results: [], body: addBody() },
    { name: "relu", results: [], body: reluBody() },
    { name: "activate", results: [], body: activateBody(fma) },
    { name: "clamp", results: [], body: clampBody() },
  ];
}

/**
 * `activate` alone, for the products' module: the training step's tanh, sigmoid, silu and gelu
 * over plain tensors (`ProductHeap.activate`), the same kernel as the plan's.
 */
export function activateFunction(fma: boolean): ModuleFunction {
  return { name: ACTIVATE_KERNEL, results: [], body: activateBody(fma) };
}

/** The export name of `activate`. */
export const ACTIVATE_KERNEL = "activate";

/** `copy_pixels`, the channel copy of a concat. */
export function copyPixelsFunction(): ModuleFunction {
  return { name: "copy_pixels", results: [], body: copyBody() };
}

/** `gather_channels`, the per-pixel channel gather of a slice or a shuffle. */
export function gatherChannelsFunction(): ModuleFunction {
  return { name: "gather_channels", results: [], body: gatherBody() };
}

function addBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32]);
  const [a, b, out, quads, relu] = [0, 1, 2, 3, 4];
  const zero = f.local(v128);
  f.localGet(quads).i32Eqz().if().return().end();
  f.f32Const(0).f32x4Splat().localSet(zero);
  f.localGet(relu).if();
  {
    f.loop();
    f.localGet(out).localGet(a).v128Load(0).localGet(b).v128Load(0).f32x4Add().localGet(zero).f32x4Pmax().v128Store(0);
    for (const p of [a, b, out]) f.localGet(p).i32Const(16).i32Add().localSet(p);
    f.localGet(quads).i32Const(1).i32Sub().localTee(quads).brIf(0);
    f.end();
  }
  f.else();
  {
    f.loop();
    f.localGet(out).localGet(a).v128Load(0).localGet(b).v128Load(0).f32x4Add().v128Store(0);
    for (const p of [a, b, out]) f.localGet(p).i32Const(16).i32Add().localSet(p);
    f.localGet(quads).i32Const(1).i32Sub().localTee(quads).brIf(0);
    f.end();
  }
  f.end();
  return f;
}

function reluBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32]);
  const [a, out, quads] = [0, 1, 2];
  const zero = f.local(v128);
  f.localGet(quads).i32Eqz().if().return().end();
  f.f32Const(0).f32x4Splat().localSet(zero);
  f.loop();
  f.localGet(out).localGet(a).v128Load(0).localGet(zero).f32x4Pmax().v128Store(0);
  for (const p of [a, out]) f.localGet(p).i32Const(16).i32Add().localSet(p);
  f.localGet(quads).i32Const(1).i32Sub().localTee(quads).brIf(0);
  f.end();
  return f;
}

function clampBody(): FunctionBody {
  const { f32 } = ValueType;
  const f = new FunctionBody([i32, i32, i32, f32, f32, f32, f32]);
  const [a, out, quads, scale, shift, lo, hi] = [0, 1, 2, 3, 4, 5, 6];
  const [vScale, vShift, vLo, vHi] = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  f.localGet(quads).i32Eqz().if().return().end();
  f.localGet(scale).f32x4Splat().localSet(vScale);
  f.localGet(shift).f32x4Splat().localSet(vShift);
  f.localGet(lo).f32x4Splat().localSet(vLo);
  f.localGet(hi).f32x4Splat().localSet(vHi);
  f.loop();
  f.localGet(out).localGet(a).v128Load(0).localGet(vScale).f32x4Mul().localGet(vShift).f32x4Add();
  f.localGet(vLo).f32x4Pmax().localGet(vHi).f32x4Pmin().v128Store(0);
  for (const p of [a, out]) f.localGet(p).i32Const(16).i32Add().localSet(p);
  f.localGet(quads).i32Const(1).i32Sub().localTee(quads).brIf(0);
  f.end();
  return f;
}

/** Numerator (x, x³, …, x¹³) and denominator (1, x², …, x⁶) coefficients of the tanh approximation. */
const TANH_P = [4.89352455891786e-3, 6.37261928875436e-4, 1.48572235717979e-5, 5.12229709037114e-8, -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16];
const TANH_Q = [4.89352518554385e-3, 2.268434632439e-3, 1.18534705686654e-4, 1.19825839466702e-6];
/** erf's numerator and denominator coefficients, highest power first (`runtime/kernels/erf.ts`). */
const [ERF_P, ERF_Q] = [ERF_NUMERATOR, ERF_DENOMINATOR];
/** Cephes' `exp2f` on [−½, ½]: 2^r ≈ 1 + r·P(r), the highest power first. */
const EXP2_P = [1.535336188319500e-4, 1.339887440266574e-3, 9.618437357674640e-3, 5.550332471162809e-2, 2.402264791363012e-1, 6.931472028550421e-1];
/** Below this |t| the polynomials in t² are their constant terms in f32 (see `squareAboveTiny`). */
const TINY = 2 ** -32;
/** Beyond ±TANH_CLAMP the approximation is ±1 in f32. */
const TANH_CLAMP = 7.90531110763549805;

function activateBody(fma: boolean): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32]);
  const [a, out, quads, kind] = [0, 1, 2, 3];
  const x = f.local(v128);
  const t = f.local(v128);
  const t2 = f.local(v128);
  const p = f.local(v128);
  const q = f.local(v128);
  const splat = (value: number): FunctionBody => f.f32Const(value).f32x4Splat();
  // The constants live in locals, set before a loop: a splat in the loop is made again on every pass.
  const constant = (value: number): number => {
    const local = f.local(v128);
    splat(value).localSet(local);
    return local;
  };
  // Σ c[i]·t²^(n−i) by Horner's rule, the highest power first, onto the stack.
  const polynomial = (c: readonly number[]): FunctionBody => {
    f.localGet(c[0]);
    for (let i = 1; i < c.length; i++) {
      if (fma) f.localGet(t2).localGet(c[i]).f32x4RelaxedMadd();
      else f.localGet(t2).f32x4Mul().localGet(c[i]).f32x4Add();
    }
    return f;
  };
  // The value on the stack clamped to [lo, hi] into `t`, by pseudo-max and -min, one instruction
  // each, the value first so a NaN stays NaN; then t² into `t2`, 0 in lanes where |t| ≤ 2⁻³².
  // Below about 1e-11, t² or its product with a polynomial's highest coefficient is subnormal,
  // and an x64 core takes a microcode assist of ~100 cycles for each vector instruction with a
  // subnormal lane (EfficientNet-B0's last stage, with a few such values per block, ran its
  // activations 20× slower). Up to 2⁻³² the polynomials in t² round to their constant terms in
  // f32 anyway, so the results are the same bits.
  const clampAndSquare = (lo: number, hi: number, tiny: number): void => {
    f.localGet(lo).f32x4Pmax().localGet(hi).f32x4Pmin().localTee(t);
    f.localGet(t).f32x4Abs().localGet(tiny).f32x4Gt().v128And().localTee(t2);
    f.localGet(t2).f32x4Mul().localSet(t2);
  };
  const advance = (): void => {
    for (const pointer of [a, out]) f.localGet(pointer).i32Const(16).i32Add().localSet(pointer);
    f.localGet(quads).i32Const(1).i32Sub().localTee(quads).brIf(0);
    f.end();
  };
  f.localGet(quads).i32Eqz().if().return().end();
  // hardswish: x·min(max(x + 3, 0), 6) / 6.
  f.localGet(kind).i32Const(ActivationKind.hardswish).i32Eq().if();
  {
    const [three, zero, six] = [3, 0, 6].map(constant);
    f.loop();
    f.localGet(out).localGet(a).v128Load(0).localTee(x);
    f.localGet(x).localGet(three).f32x4Add();
    f.localGet(zero).f32x4Pmax().localGet(six).f32x4Pmin();
    f.f32x4Mul().localGet(six).f32x4Div().v128Store(0);
    advance();
  }
  f.return();
  f.end();
  // gelu: erf(x/√2) = t·P(t²)/Q(t²), t = x/√2 clamped to ±4 (the scalar erf's coefficients).
  f.localGet(kind).i32Const(ActivationKind.gelu).i32Eq().if();
  {
    const [half, one, invSqrt2, hi, lo, tiny] = [0.5, 1, Math.SQRT1_2, 4, -4, TINY].map(constant);
    const P = ERF_P.map(constant);
    const Q = ERF_Q.map(constant);
    f.loop();
    f.localGet(a).v128Load(0).localTee(x);
    f.localGet(invSqrt2).f32x4Mul();
    clampAndSquare(lo, hi, tiny);
    polynomial(P).localGet(t).f32x4Mul().localSet(p);
    polynomial(Q).localSet(q);
    // out = (½·x)·(1 + p/q)
    f.localGet(out).localGet(x).localGet(half).f32x4Mul();
    f.localGet(p).localGet(q).f32x4Div();
    f.localGet(one).f32x4Add().f32x4Mul().v128Store(0);
    advance();
  }
  f.return();
  f.end();
  // sigmoid(x) = 1 / (1 + E), silu(x) = x / (1 + E), E = e^−x = 2^a with a = −x·log₂e clamped to
  // [−125, 128]: a = n + r with n the nearest integer (by adding and subtracting 1.5·2²³, whose sum
  // holds n in its low bits) and |r| ≤ ½, 2^r by Cephes' `exp2f` polynomial (relative error
  // 1.7e-7), times 2^n made from n's bits. Below, E stays normal (a subnormal lane would cost an
  // x64 core a microcode assist) and σ is 1; at 128, 2^n is infinite, so σ(−∞) = 0 and
  // silu(−∞) = NaN, as PyTorch's x·σ(x) gives. A NaN stays NaN through the clamps and the
  // product. Against the tanh form it is 9 fewer instructions a vector and one division (no
  // multiply by x after it). (Run in the direct and depthwise convs' epilogues instead of a pass
  // of its own, it made EfficientNet-B0 4 % slower: the depthwise conv 15 %.)
  for (const k of [ActivationKind.sigmoid, ActivationKind.silu]) {
    f.localGet(kind).i32Const(k).i32Eq().if();
    const [scale, lo, hi, magic, one] = [-Math.LOG2E, -125, 128, 1.5 * 2 ** 23, 1].map(constant);
    const P = EXP2_P.map(constant);
    f.loop();
    f.localGet(out);
    f.localGet(a).v128Load(0).localSet(x);
    // The numerator, then a.
    f.localGet(k === ActivationKind.silu ? x : one);
    f.localGet(x).localGet(scale).f32x4Mul().localGet(lo).f32x4Pmax().localGet(hi).f32x4Pmin().localSet(q);
    // t holds a + 1.5·2²³ (n in its low bits), q becomes r = a − n.
    f.localGet(q).localGet(magic).f32x4Add().localSet(t);
    f.localGet(q).localGet(t).localGet(magic).f32x4Sub().f32x4Sub().localSet(q);
    // 2^r = 1 + r·P(r), times 2^n: n shifted into the exponent, plus 1.0's bits (the bias).
    f.localGet(P[0]);
    for (const c of [...P.slice(1), one]) {
      if (fma) f.localGet(q).localGet(c).f32x4RelaxedMadd();
      else f.localGet(q).f32x4Mul().localGet(c).f32x4Add();
    }
    f.localGet(t).i32Const(23).i32x4Shl().localGet(one).i32x4Add().f32x4Mul();
    f.localGet(one).f32x4Add().f32x4Div().v128Store(0);
    advance();
    f.end();
  }
  // tanh: p/q (Eigen's rational form).
  f.localGet(kind).i32Const(ActivationKind.tanh).i32Eq().if();
  {
    const [hi, lo, tiny, one, signBit] = [TANH_CLAMP, -TANH_CLAMP, TINY, 1, -0].map(constant);
    // Highest power first, as `polynomial` takes them.
    const P = [...TANH_P].reverse().map(constant);
    const Q = [...TANH_Q].reverse().map(constant);
    f.loop();
    f.localGet(a).v128Load(0).localTee(x);
    clampAndSquare(lo, hi, tiny);
    // p = t·(P0 + t²(P1 + … t²·P6)), q = Q0 + t²(Q1 + t²(Q2 + t²·Q3))
    polynomial(P).localGet(t).f32x4Mul().localSet(p);
    polynomial(Q).localSet(q);
    f.localGet(out);
    if (fma) {
      // Fused, p/q stays a few ulps short of ±1 at the clamp (and beyond, where the unfused form
      // rounds to ±1 exactly): ±1, t's sign on 1, where |t| reached the clamp.
      f.localGet(t).localGet(signBit).v128And().localGet(one).v128Or();
      f.localGet(p).localGet(q).f32x4Div();
      f.localGet(t).f32x4Abs().localGet(hi).f32x4Ge().v128Bitselect();
    } else f.localGet(p).localGet(q).f32x4Div();
    f.v128Store(0);
    advance();
  }
  f.end();
  return f;
}

function copyBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32]);
  const [src, srcPixel, dst, dstPixel, pixels, quads] = [0, 1, 2, 3, 4, 5];
  const q = f.local(i32);
  const s = f.local(i32);
  const d = f.local(i32);
  f.localGet(pixels).i32Eqz().if().return().end();
  f.localGet(quads).i32Eqz().if().return().end();
  f.loop();
  {
    f.localGet(src).localSet(s);
    f.localGet(dst).localSet(d);
    f.localGet(quads).localSet(q);
    f.loop();
    f.localGet(d).localGet(s).v128Load(0).v128Store(0);
    f.localGet(s).i32Const(16).i32Add().localSet(s);
    f.localGet(d).i32Const(16).i32Add().localSet(d);
    f.localGet(q).i32Const(1).i32Sub().localTee(q).brIf(0);
    f.end();
    f.localGet(src).localGet(srcPixel).i32Add().localSet(src);
    f.localGet(dst).localGet(dstPixel).i32Add().localSet(dst);
    f.localGet(pixels).i32Const(1).i32Sub().localTee(pixels).brIf(0);
  }
  f.end();
  return f;
}

function gatherBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32]);
  const [src, srcPixel, dst, dstPixel, pixels, table, count] = [0, 1, 2, 3, 4, 5, 6];
  const t = f.local(i32);
  const d = f.local(i32);
  const end = f.local(i32);
  f.localGet(pixels).i32Eqz().if().return().end();
  f.localGet(count).i32Eqz().if().return().end();
  f.localGet(table).localGet(count).i32Const(4).i32Mul().i32Add().localSet(end);
  f.loop();
  {
    f.localGet(table).localSet(t);
    f.localGet(dst).localSet(d);
    f.loop();
    f.localGet(d).localGet(src).localGet(t).i32Load(0).i32Add().f32Load(0).f32Store(0);
    f.localGet(d).i32Const(4).i32Add().localSet(d);
    f.localGet(t).i32Const(4).i32Add().localTee(t).localGet(end).i32LtU().brIf(0);
    f.end();
    f.localGet(src).localGet(srcPixel).i32Add().localSet(src);
    f.localGet(dst).localGet(dstPixel).i32Add().localSet(dst);
    f.localGet(pixels).i32Const(1).i32Sub().localTee(pixels).brIf(0);
  }
  f.end();
  return f;
}
