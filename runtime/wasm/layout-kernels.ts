/**
 * Generates the plan executor's other kernels over the channels-last blocked layout (see
 * `conv-kernel.ts`), so that activations stay in the WebAssembly heap between convs:
 *
 * - `pool_rows(desc, rowStart, rowEnd)`: max or average pooling (average counts only the
 *   window's cells inside the image, ONNX `count_include_pad = 0`) over rows `n·OH + oy`; a
 *   global pool is the window of the whole image. Each output pixel's channel vectors are
 *   reduced in place in the output, tap after tap.
 * - `depthwise_rows(desc, rowStart, rowEnd)`: a depthwise conv (one filter per channel) from the
 *   same generator: bias, taps times weights, residual, relu.
 * - `add(a, b, out, quads, relu)`: element-wise sum of two equal layouts, relu when `relu ≠ 0`.
 * - `relu(a, out, quads)`.
 * - `activate(a, out, quads, kind)`: tanh, sigmoid, silu or gelu ({@link ActivationKind}) through
 *   a rational approximation of tanh (Eigen's `generic_fast_tanh_float`: odd degree-13
 *   numerator, even degree-6 denominator, input clamped to ±7.905; at most 3.3e-7 from
 *   `Math.tanh` in f32), with σ(x) = ½ + ½·tanh(x / 2) and silu(x) = x·σ(x); gelu(x) =
 *   ½·x·(1 + erf(x / √2)) with the erf of `runtime/kernels/gelu.ts` (the same rational form).
 * - `row_moments(x, rows, width, pixel, quads, center, out, squares)`: for each of `rows` rows of
 *   `width` pixels and each channel quad, the sum of x (or, with `squares`, of (x − center)²,
 *   `center` one vector per quad) over the row, stored at `out + (row·quads + q)·16`: the
 *   per-row, per-channel partial sums of a group or instance norm's statistics, which the plan
 *   adds up in double precision.
 * - `channel_affine(x, out, pixels, pixel, quads, scale, shift, floor)`: y = x·scale + shift with
 *   one scale and shift vector per quad, over `pixels` pixels (`pixel` bytes apart), then
 *   y = max(y, floor) where `floor ≠ 0` (FRN's TLU).
 * - `copy_pixels(src, srcPixel, dst, dstPixel, pixels, quads)`: the first `quads` channel
 *   vectors of each pixel, as a concat writes its parts into a wider tensor.
 *
 * Pointers and strides are bytes; `quads` counts f32x4 vectors.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import type { ModuleFunction } from "./module.js";
import { ERF_DENOMINATOR, ERF_NUMERATOR } from "../kernels/gelu.js";

/**
 * The fields of a pool or depthwise-conv descriptor: i32 words at `desc + 4·field`. A pool sets
 * dh = dw = 1 and leaves the conv's fields (weights …) alone.
 */
export const PoolDesc = {
  input: 0, inImage: 1, height: 2, width: 3, inPixel: 4,
  output: 5, outImage: 6, outPixel: 7, oh: 8, ow: 9,
  kh: 10, kw: 11, sh: 12, sw: 13, padTop: 14, padLeft: 15, quads: 16, average: 17,
  dh: 18, dw: 19, weights: 20, bias: 21, residual: 22, resImage: 23, resPixel: 24, flags: 25,
} as const;
/** Words in a pool descriptor. */
export const POOL_DESC_WORDS = 26;

const { i32, f32, v128 } = ValueType;

/** The `kind` argument of `activate`. */
export const ActivationKind = { tanh: 1, sigmoid: 2, silu: 3, gelu: 4 } as const;

/** The functions of this file, in a fixed order. */
export function layoutFunctions(): ModuleFunction[] {
  return [
    { name: "pool_rows", results: [], body: windowBody("pool") },
    { name: "depthwise_rows", results: [], body: windowBody("depthwise") },
    { name: "add", results: [], body: addBody() },
    { name: "relu", results: [], body: reluBody() },
    { name: "activate", results: [], body: activateBody() },
    { name: "row_moments", results: [], body: rowMomentsBody() },
    { name: "channel_affine", results: [], body: channelAffineBody() },
    { name: "copy_pixels", results: [], body: copyBody() },
  ];
}

/** Pushes max(lo, min(hi, value)) — `value` computed by `push` — as a signed clamp. */
function clamp(f: FunctionBody, push: () => void, lo: () => void, hi: () => void, scratch: number): void {
  push();
  f.localSet(scratch);
  // max(lo, v)
  f.localGet(scratch);
  lo();
  f.localGet(scratch);
  lo();
  f.i32GtS().select().localSet(scratch);
  // min(hi, v)
  f.localGet(scratch);
  hi();
  f.localGet(scratch);
  hi();
  f.i32LtS().select();
}

/**
 * `pool_rows` or `depthwise_rows`: a window over each output pixel, in place in the output.
 * A pool starts from −∞ (max) or 0 (average) and takes the max or the sum of the taps inside the
 * image, then scales an average by its count. A depthwise conv starts from the bias, adds each
 * tap inside the image times its weights (packed `[kh][kw][Cs]`, so a channel quad's weights
 * are one vector per tap), then the residual and relu. Taps at `iyStart + ky·dh`: those inside
 * the image are ky ∈ [⌈−iyStart / dh⌉, ⌈(height − iyStart) / dh⌉) ∩ [0, kh), and across alike.
 */
function windowBody(kind: "pool" | "depthwise"): FunctionBody {
  const f = new FunctionBody([i32, i32, i32]);
  const [desc, rowStart, rowEnd] = [0, 1, 2];
  const get = (name: keyof typeof PoolDesc): FunctionBody => f.localGet(desc).i32Load(PoolDesc[name] * 4);
  const row = f.local(i32);
  const n = f.local(i32);
  const oy = f.local(i32);
  const ox = f.local(i32);
  const iyStart = f.local(i32);
  const ixStart = f.local(i32);
  const kyLo = f.local(i32);
  const kyHi = f.local(i32);
  const kxLo = f.local(i32);
  const kxHi = f.local(i32);
  const ky = f.local(i32);
  const kx = f.local(i32);
  const inImage = f.local(i32);
  const out = f.local(i32);
  const ip = f.local(i32);
  const op = f.local(i32);
  const q = f.local(i32);
  const quads = f.local(i32);
  const average = f.local(i32);
  const t = f.local(i32);
  const dh = f.local(i32);
  const dw = f.local(i32);
  const wp = f.local(i32);
  const rp = f.local(i32);
  const rq = f.local(i32);
  const ip0 = f.local(i32);
  const inPixel = f.local(i32);
  const inRow = f.local(i32);
  const kxStep = f.local(i32);
  const csBytes = f.local(i32);
  const scale = f.local(v128);
  const init = f.local(v128);
  const acc = f.local(v128);
  const count = f.local(f32);
  const depthwise = kind === "depthwise";

  get("quads").localSet(quads);
  f.localGet(quads).i32Const(16).i32Mul().localSet(csBytes);
  get("dh").localSet(dh);
  get("dw").localSet(dw);
  get("inPixel").localSet(inPixel);
  get("width").localGet(inPixel).i32Mul().localSet(inRow);
  f.localGet(dw).localGet(inPixel).i32Mul().localSet(kxStep);
  get("average").localSet(average);
  f.f32Const(-Infinity).f32x4Splat().localSet(init);
  f.localGet(average).if();
  f.f32Const(0).f32x4Splat().localSet(init);
  f.end();
  // The taps inside [0, size) of an axis, from `start` with step `d`: lo = ⌈−start / d⌉ and
  // hi = ⌈(size − start) / d⌉, each clamped to [0, k] (signed division truncates toward zero,
  // which the clamp turns into the right bound where the numerator is negative).
  // With d = 1 (every pool, most convs) the divisions are skipped.
  const taps = (start: number, size: () => void, d: number, k: () => void, lo: number, hi: number): void => {
    const ceilDiv = (): void => {
      f.localGet(d).i32Add().i32Const(1).i32Sub().localGet(d).i32DivS();
    };
    f.localGet(d).i32Const(1).i32Eq().if();
    clamp(f, () => f.i32Const(0).localGet(start).i32Sub(), () => f.i32Const(0), k, t);
    f.localSet(lo);
    clamp(f, () => { size(); f.localGet(start).i32Sub(); }, () => f.i32Const(0), k, t);
    f.localSet(hi);
    f.else();
    clamp(f, () => { f.i32Const(0).localGet(start).i32Sub(); ceilDiv(); }, () => f.i32Const(0), k, t);
    f.localSet(lo);
    clamp(f, () => { size(); f.localGet(start).i32Sub(); ceilDiv(); }, () => f.i32Const(0), k, t);
    f.localSet(hi);
    f.end();
  };
  f.localGet(rowStart).localSet(row);
  f.block();
  f.loop(); // rows
  {
    f.localGet(row).localGet(rowEnd).i32GeU().brIf(1);
    f.localGet(row);
    get("oh").i32DivU().localSet(n);
    f.localGet(row).localGet(n);
    get("oh").i32Mul().i32Sub().localSet(oy);
    get("input").localGet(n);
    get("inImage").i32Mul().i32Add().localSet(inImage);
    // out = output + n·outImage + oy·ow·outPixel (and the residual's pixel alike)
    get("output").localGet(n);
    get("outImage").i32Mul().i32Add().localGet(oy);
    get("ow").i32Mul();
    get("outPixel").i32Mul().i32Add().localSet(out);
    if (depthwise) {
      get("residual").localGet(n);
      get("resImage").i32Mul().i32Add().localGet(oy);
      get("ow").i32Mul();
      get("resPixel").i32Mul().i32Add().localSet(rp);
    }
    f.localGet(oy);
    get("sh").i32Mul();
    get("padTop").i32Sub().localSet(iyStart);
    taps(iyStart, () => get("height"), dh, () => get("kh"), kyLo, kyHi);
    f.i32Const(0).localSet(ox);
    f.block();
    f.loop(); // output pixels of the row
    {
      f.localGet(ox);
      get("ow").i32GeU().brIf(1);
      f.localGet(ox);
      get("sw").i32Mul();
      get("padLeft").i32Sub().localSet(ixStart);
      taps(ixStart, () => get("width"), dw, () => get("kw"), kxLo, kxHi);
      if (!depthwise) {
        // An average divides by the taps inside the image.
        f.localGet(average).if();
        f.f32Const(1);
        f.localGet(kyHi).localGet(kyLo).i32Sub().localGet(kxHi).localGet(kxLo).i32Sub().i32Mul().f32ConvertI32S();
        f.f32Div().localTee(count).f32x4Splat().localSet(scale);
        f.end();
      }
      // Each quad of channels in a register across the taps: the input pointer walks a row of
      // taps `kxStep` bytes at a time (the weights one `Cs` vector at a time), then the next row.
      f.localGet(ixStart).localGet(kxLo).localGet(dw).i32Mul().i32Add().localGet(inPixel).i32Mul();
      f.localGet(inImage).i32Add().localSet(ip0);
      f.localGet(out).localSet(op);
      if (depthwise) f.localGet(rp).localSet(rq);
      f.i32Const(0).localSet(q);
      f.loop(); // quads, q in bytes
      {
        if (depthwise) get("bias").localGet(q).i32Add().v128Load(0).localSet(acc);
        else f.localGet(init).localSet(acc);
        f.localGet(kyLo).localSet(ky);
        f.block();
        f.loop(); // ky
        {
          f.localGet(ky).localGet(kyHi).i32GeS().brIf(1);
          f.localGet(kxHi).localGet(kxLo).i32Sub().localTee(kx).i32Const(0).i32LtS().brIf(1);
          // ip = ip0 + (iyStart + ky·dh)·inRow + q
          f.localGet(ip0).localGet(iyStart).localGet(ky).localGet(dh).i32Mul().i32Add().localGet(inRow).i32Mul().i32Add().localGet(q).i32Add().localSet(ip);
          if (depthwise) {
            // wp = weights + (ky·kw + kxLo)·Cs·4 + q
            get("weights").localGet(ky);
            get("kw").i32Mul().localGet(kxLo).i32Add().localGet(csBytes).i32Mul().i32Add().localGet(q).i32Add().localSet(wp);
          }
          const row = (combine: () => void): void => {
            f.block();
            f.localGet(kx).i32Eqz().brIf(0);
            f.loop(); // kx
            f.localGet(acc).localGet(ip).v128Load(0);
            combine();
            f.localSet(acc);
            f.localGet(ip).localGet(kxStep).i32Add().localSet(ip);
            if (depthwise) f.localGet(wp).localGet(csBytes).i32Add().localSet(wp);
            f.localGet(kx).i32Const(1).i32Sub().localTee(kx).brIf(0);
            f.end();
            f.end();
          };
          if (depthwise) row(() => f.localGet(wp).v128Load(0).f32x4Mul().f32x4Add());
          else {
            f.localGet(average).if();
            row(() => f.f32x4Add());
            f.else();
            row(() => f.f32x4Max());
            f.end();
          }
          f.localGet(ky).i32Const(1).i32Add().localSet(ky);
          f.br(0);
        }
        f.end();
        f.end();
        if (depthwise) {
          get("residual").if();
          f.localGet(acc).localGet(rq).v128Load(0).f32x4Add().localSet(acc);
          f.end();
          get("flags").i32Const(1).i32And().if();
          f.localGet(acc).f32Const(0).f32x4Splat().f32x4Max().localSet(acc);
          f.end();
          f.localGet(rq).i32Const(16).i32Add().localSet(rq);
        } else {
          f.localGet(average).if();
          f.localGet(acc).localGet(scale).f32x4Mul().localSet(acc);
          f.end();
        }
        f.localGet(op).localGet(acc).v128Store(0);
        f.localGet(op).i32Const(16).i32Add().localSet(op);
        f.localGet(q).i32Const(16).i32Add().localTee(q).localGet(csBytes).i32LtU().brIf(0);
      }
      f.end();
      if (depthwise) {
        f.localGet(rp);
        get("resPixel").i32Add().localSet(rp);
      }
      f.localGet(out);
      get("outPixel").i32Add().localSet(out);
      f.localGet(ox).i32Const(1).i32Add().localSet(ox);
      f.br(0);
    }
    f.end();
    f.end();
    f.localGet(row).i32Const(1).i32Add().localSet(row);
    f.br(0);
  }
  f.end();
  f.end();
  return f;
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
    f.localGet(out).localGet(a).v128Load(0).localGet(b).v128Load(0).f32x4Add().localGet(zero).f32x4Max().v128Store(0);
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
  f.localGet(out).localGet(a).v128Load(0).localGet(zero).f32x4Max().v128Store(0);
  for (const p of [a, out]) f.localGet(p).i32Const(16).i32Add().localSet(p);
  f.localGet(quads).i32Const(1).i32Sub().localTee(quads).brIf(0);
  f.end();
  return f;
}

/** Numerator (x, x³, …, x¹³) and denominator (1, x², …, x⁶) coefficients of the tanh approximation. */
const TANH_P = [4.89352455891786e-3, 6.37261928875436e-4, 1.48572235717979e-5, 5.12229709037114e-8, -8.60467152213735e-11, 2.00018790482477e-13, -2.76076847742355e-16];
const TANH_Q = [4.89352518554385e-3, 2.268434632439e-3, 1.18534705686654e-4, 1.19825839466702e-6];
/** erf's numerator and denominator coefficients, highest power first (`runtime/kernels/gelu.ts`). */
const [ERF_P, ERF_Q] = [ERF_NUMERATOR, ERF_DENOMINATOR];
/** Beyond ±TANH_CLAMP the approximation is ±1 in f32. */
const TANH_CLAMP = 7.90531110763549805;

function activateBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32]);
  const [a, out, quads, kind] = [0, 1, 2, 3];
  const x = f.local(v128);
  const t = f.local(v128);
  const t2 = f.local(v128);
  const p = f.local(v128);
  const q = f.local(v128);
  const splat = (value: number): FunctionBody => f.f32Const(value).f32x4Splat();
  f.localGet(quads).i32Eqz().if().return().end();
  // gelu: erf(x/√2) = t·P(t²)/Q(t²), t = x/√2 clamped to ±4 (the scalar erf's coefficients).
  f.localGet(kind).i32Const(ActivationKind.gelu).i32Eq().if();
  f.loop();
  {
    f.localGet(a).v128Load(0).localTee(x);
    splat(Math.SQRT1_2).f32x4Mul();
    splat(4).f32x4Min();
    splat(-4).f32x4Max().localTee(t);
    f.localGet(t).f32x4Mul().localSet(t2);
    splat(ERF_P[0]);
    for (let i = 1; i < ERF_P.length; i++) f.localGet(t2).f32x4Mul().f32Const(ERF_P[i]).f32x4Splat().f32x4Add();
    f.localGet(t).f32x4Mul().localSet(p);
    splat(ERF_Q[0]);
    for (let i = 1; i < ERF_Q.length; i++) f.localGet(t2).f32x4Mul().f32Const(ERF_Q[i]).f32x4Splat().f32x4Add();
    f.localSet(q);
    // out = (½·x)·(1 + p/q)
    f.localGet(out).localGet(x);
    splat(0.5).f32x4Mul();
    f.localGet(p).localGet(q).f32x4Div();
    splat(1).f32x4Add().f32x4Mul().v128Store(0);
    for (const pointer of [a, out]) f.localGet(pointer).i32Const(16).i32Add().localSet(pointer);
    f.localGet(quads).i32Const(1).i32Sub().localTee(quads).brIf(0);
  }
  f.end();
  f.return();
  f.end();
  for (const k of [ActivationKind.tanh, ActivationKind.sigmoid, ActivationKind.silu]) {
    f.localGet(kind).i32Const(k).i32Eq().if();
    f.loop();
    {
      f.localGet(a).v128Load(0).localTee(x);
      if (k !== ActivationKind.tanh) splat(0.5).f32x4Mul();
      splat(TANH_CLAMP).f32x4Min();
      splat(-TANH_CLAMP).f32x4Max().localTee(t);
      f.localGet(t).f32x4Mul().localSet(t2);
      // p = t·(P0 + t²(P1 + … t²·P6)), q = Q0 + t²(Q1 + t²(Q2 + t²·Q3))
      splat(TANH_P[6]);
      for (let i = 5; i >= 0; i--) f.localGet(t2).f32x4Mul().f32Const(TANH_P[i]).f32x4Splat().f32x4Add();
      f.localGet(t).f32x4Mul().localSet(p);
      splat(TANH_Q[3]);
      for (let i = 2; i >= 0; i--) f.localGet(t2).f32x4Mul().f32Const(TANH_Q[i]).f32x4Splat().f32x4Add();
      f.localSet(q);
      f.localGet(out).localGet(p).localGet(q).f32x4Div();
      if (k !== ActivationKind.tanh) splat(0.5).f32x4Mul().f32Const(0.5).f32x4Splat().f32x4Add();
      if (k === ActivationKind.silu) f.localGet(x).f32x4Mul();
      f.v128Store(0);
      for (const pointer of [a, out]) f.localGet(pointer).i32Const(16).i32Add().localSet(pointer);
      f.localGet(quads).i32Const(1).i32Sub().localTee(quads).brIf(0);
    }
    f.end();
    f.end();
  }
  return f;
}

function rowMomentsBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32]);
  const [x, rows, width, pixel, quads, center, out, squares] = [0, 1, 2, 3, 4, 5, 6, 7];
  const q = f.local(i32);
  const p = f.local(i32);
  const ip = f.local(i32);
  const acc = f.local(v128);
  const c = f.local(v128);
  const v = f.local(v128);
  f.localGet(rows).i32Eqz().if().return().end();
  f.loop(); // rows
  {
    f.i32Const(0).localSet(q);
    f.loop(); // quads, q in bytes
    {
      f.f32Const(0).f32x4Splat().localSet(acc);
      f.localGet(center).localGet(q).i32Add().v128Load(0).localSet(c);
      f.localGet(x).localGet(q).i32Add().localSet(ip);
      f.localGet(width).localSet(p);
      f.localGet(squares).if();
      f.loop();
      f.localGet(ip).v128Load(0).localGet(c).f32x4Sub().localTee(v).localGet(v).f32x4Mul().localGet(acc).f32x4Add().localSet(acc);
      f.localGet(ip).localGet(pixel).i32Add().localSet(ip);
      f.localGet(p).i32Const(1).i32Sub().localTee(p).brIf(0);
      f.end();
      f.else();
      f.loop();
      f.localGet(ip).v128Load(0).localGet(acc).f32x4Add().localSet(acc);
      f.localGet(ip).localGet(pixel).i32Add().localSet(ip);
      f.localGet(p).i32Const(1).i32Sub().localTee(p).brIf(0);
      f.end();
      f.end();
      f.localGet(out).localGet(acc).v128Store(0);
      f.localGet(out).i32Const(16).i32Add().localSet(out);
      f.localGet(q).i32Const(16).i32Add().localTee(q).localGet(quads).i32Const(16).i32Mul().i32LtU().brIf(0);
    }
    f.end();
    f.localGet(x).localGet(width).localGet(pixel).i32Mul().i32Add().localSet(x);
    f.localGet(rows).i32Const(1).i32Sub().localTee(rows).brIf(0);
  }
  f.end();
  return f;
}

function channelAffineBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32]);
  const [x, out, pixels, pixel, quads, scale, shift, floor] = [0, 1, 2, 3, 4, 5, 6, 7];
  const q = f.local(i32);
  f.localGet(pixels).i32Eqz().if().return().end();
  const loop = (tlu: boolean): void => {
    f.loop(); // pixels
    {
      f.i32Const(0).localSet(q);
      f.loop(); // quads, q in bytes
      {
        f.localGet(out).localGet(q).i32Add();
        f.localGet(x).localGet(q).i32Add().v128Load(0);
        f.localGet(scale).localGet(q).i32Add().v128Load(0).f32x4Mul();
        f.localGet(shift).localGet(q).i32Add().v128Load(0).f32x4Add();
        if (tlu) f.localGet(floor).localGet(q).i32Add().v128Load(0).f32x4Max();
        f.v128Store(0);
        f.localGet(q).i32Const(16).i32Add().localTee(q).localGet(quads).i32Const(16).i32Mul().i32LtU().brIf(0);
      }
      f.end();
      f.localGet(x).localGet(pixel).i32Add().localSet(x);
      f.localGet(out).localGet(pixel).i32Add().localSet(out);
      f.localGet(pixels).i32Const(1).i32Sub().localTee(pixels).brIf(0);
    }
    f.end();
  };
  f.localGet(floor).if();
  loop(true);
  f.else();
  loop(false);
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
