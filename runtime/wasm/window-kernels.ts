/**
 * Generates the plan executor's window kernels over the channels-last blocked layout (see
 * `conv-kernel.ts`), so that activations stay in the WebAssembly heap between convs:
 *
 * - `pool_rows(desc, rowStart, rowEnd)`: max or average pooling (average counts only the
 *   window's cells inside the image, ONNX `count_include_pad = 0`) over rows `n·OH + oy`; a
 *   global pool is the window of the whole image.
 * - `depthwise_rows(desc, rowStart, rowEnd)`: a depthwise conv (one filter per channel) from the
 *   same generator: bias, taps times weights, residual, then relu and a ceiling (relu6) as the
 *   direct conv's flags ({@link ConvFlags}) say. Where the plan fuses multiply-adds
 *   (`windowFunctions(true)`, relaxed SIMD's `f32x4.relaxed_madd`, see `relaxed-simd.ts`), so do
 *   the taps: 1.08–1.18× faster on MobileNetV2's 3×3 convs on an Intel core.
 *
 * Each output row is cut in three: the columns whose windows lie inside the image across (the
 * interior, from ⌈padLeft / sw⌉) and the border columns left and right of it. The interior runs
 * {@link WINDOW_PIXELS} output pixels at a time, each group's channel quads one after another
 * (its input pixels stay in the L1 cache across the quads), with no bounds checks: the rows of
 * taps inside the image are found once per output row. A step keeps one accumulator per pixel;
 * for the common windows (3 or 5 wide, stride 1 or 2, no dilation: {@link SLIDING_WINDOWS}) it
 * loads each input vector of a row of taps once and combines it into every pixel that reads
 * it, the row's weight vectors in registers; other windows load each tap's weight vector once
 * for the group. A max pool's sliding step takes `f32x4.pmax` (one instruction on x64, where
 * `f32x4.max` is a sequence) and keeps NaN inputs apart, or-ing them into the result, so a NaN
 * still wins as in the TypeScript kernel. The border columns take each pixel's taps inside the
 * image one by one. Every path adds the taps in the same order (row after row, left to right),
 * as the kernel did before the interior had paths of its own, so the sums are unchanged.
 * MobileNetV2's 3×3 depthwise convs: 3.5–4 → 14–20 GFLOP/s; GoogLeNet's max pools ~4× faster.
 *
 * Both read their geometry from a descriptor ({@link PoolDesc}) in the memory. Pointers and
 * strides are bytes.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import { ConvFlags } from "./conv-kernel.js";
import type { ModuleFunction } from "./module.js";

/**
 * The fields of a pool or depthwise-conv descriptor: i32 words at `desc + 4·field` (`ceiling`:
 * an f32). A pool sets dh = dw = 1 and leaves the conv's fields (weights …) alone.
 */
export const PoolDesc = {
  input: 0, inImage: 1, height: 2, width: 3, inPixel: 4,
  output: 5, outImage: 6, outPixel: 7, oh: 8, ow: 9,
  kh: 10, kw: 11, sh: 12, sw: 13, padTop: 14, padLeft: 15, quads: 16, average: 17,
  dh: 18, dw: 19, weights: 20, bias: 21, residual: 22, resImage: 23, resPixel: 24, flags: 25, ceiling: 26,
} as const;
/** Words in a pool descriptor. */
export const POOL_DESC_WORDS = 27;
/**
 * Output pixels per step of the interior, an accumulator register each (6 and 8 measured slower:
 * V8's x64 code spills the 5×5 windows' weights and accumulators).
 */
export const WINDOW_PIXELS = 4;
/** The windows (width, stride across, no dilation) whose interior takes the sliding step. */
const SLIDING_WINDOWS: readonly (readonly [width: number, stride: number])[] = [[3, 1], [3, 2], [5, 1], [5, 2]];

const { i32, v128 } = ValueType;

/** The window kernels, in a fixed order: `pool_rows`, `depthwise_rows`. */
export function windowFunctions(fma = false): ModuleFunction[] {
  return [
    { name: "pool_rows", results: [], body: windowBody("pool", fma) },
    { name: "depthwise_rows", results: [], body: windowBody("depthwise", fma) },
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

/** How a window combines a tap into its accumulator. */
type Combine = "max" | "sum" | "madd";

/**
 * `pool_rows` or `depthwise_rows`: a window over each output pixel. A pool starts from −∞ (max)
 * or 0 (average) and takes the max or the sum of the taps inside the image, then scales an
 * average by its count. A depthwise conv starts from the bias, adds each tap inside the image
 * times its weights (packed `[kh][kw][Cs]`, so a channel quad's weights are one vector per tap),
 * then the residual, relu and the ceiling. Taps at `iyStart + ky·dh`: those inside the image are
 * ky ∈ [⌈−iyStart / dh⌉, ⌈(height − iyStart) / dh⌉) ∩ [0, kh), and across alike.
 */
function windowBody(kind: "pool" | "depthwise", fma: boolean): FunctionBody {
  const f = new FunctionBody([i32, i32, i32]);
  const [desc, rowStart, rowEnd] = [0, 1, 2];
  const get = (name: keyof typeof PoolDesc): FunctionBody => f.localGet(desc).i32Load(PoolDesc[name] * 4);
  const depthwise = kind === "depthwise";
  const row = f.local(i32);
  const n = f.local(i32);
  const oy = f.local(i32);
  const ox = f.local(i32);
  const oxEnd = f.local(i32);
  const oxLo = f.local(i32);
  const oxHi = f.local(i32);
  const iyStart = f.local(i32);
  const ixStart = f.local(i32);
  const kyLo = f.local(i32);
  const kyHi = f.local(i32);
  const kxLo = f.local(i32);
  const kxHi = f.local(i32);
  const ky = f.local(i32);
  const kx = f.local(i32);
  const kw = f.local(i32);
  const ow = f.local(i32);
  const inImage = f.local(i32);
  const out = f.local(i32);
  const rp = f.local(i32);
  const ip = f.local(i32);
  const op = f.local(i32);
  const rq = f.local(i32);
  const q = f.local(i32);
  const average = f.local(i32);
  const t = f.local(i32);
  const dh = f.local(i32);
  const dw = f.local(i32);
  const wp = f.local(i32);
  const ip0 = f.local(i32);
  const inPixel = f.local(i32);
  const inRow = f.local(i32);
  const kxStep = f.local(i32);
  const rowStep = f.local(i32);
  const pixelStep = f.local(i32);
  const outPixel = f.local(i32);
  const resPixel = f.local(i32);
  const csBytes = f.local(i32);
  const residual = f.local(i32);
  const flags = f.local(i32);
  const rowIn = f.local(i32);
  const rowW = f.local(i32);
  const kyCount = f.local(i32);
  const cols = f.local(i32);
  const ipSkip = f.local(i32);
  const wPixel = f.local(i32);
  const wSkip = f.local(i32);
  const p = Array.from({ length: WINDOW_PIXELS }, () => f.local(i32));
  const scale = f.local(v128);
  const init = f.local(v128);
  const start = f.local(v128);
  const zero = f.local(v128);
  const ceiling = f.local(v128);
  const w = f.local(v128);
  const acc = Array.from({ length: WINDOW_PIXELS }, () => f.local(v128));
  const nan = Array.from({ length: WINDOW_PIXELS }, () => f.local(v128));
  const isNan = f.local(v128);
  const wRow = Array.from({ length: Math.max(0, ...SLIDING_WINDOWS.map(([width]) => width)) }, () => f.local(v128));

  get("quads").i32Const(16).i32Mul().localSet(csBytes);
  get("dh").localSet(dh);
  get("dw").localSet(dw);
  get("kw").localSet(kw);
  get("ow").localSet(ow);
  get("inPixel").localSet(inPixel);
  get("outPixel").localSet(outPixel);
  get("width").localGet(inPixel).i32Mul().localSet(inRow);
  f.localGet(dw).localGet(inPixel).i32Mul().localSet(kxStep);
  f.localGet(dh).localGet(inRow).i32Mul().localSet(rowStep);
  get("sw").localGet(inPixel).i32Mul().localSet(pixelStep);
  get("average").localSet(average);
  f.f32Const(-Infinity).f32x4Splat().localSet(init);
  f.localGet(average).if();
  f.f32Const(0).f32x4Splat().localSet(init);
  f.end();
  f.f32Const(0).f32x4Splat().localSet(zero);
  if (depthwise) {
    get("residual").localSet(residual);
    get("resPixel").localSet(resPixel);
    get("flags").localSet(flags);
    f.localGet(desc).f32Load(PoolDesc.ceiling * 4).f32x4Splat().localSet(ceiling);
  }
  // The interior columns [oxLo, oxHi): ox·sw ≥ padLeft, and ox·sw − padLeft + (kw − 1)·dw < width.
  get("padLeft");
  get("sw").i32Add().i32Const(1).i32Sub();
  get("sw").i32DivU().localSet(oxLo);
  get("width").i32Const(1).i32Sub().localGet(kw).i32Const(1).i32Sub().localGet(dw).i32Mul().i32Sub();
  get("padLeft").i32Add().localTee(t).i32Const(0).i32LtS().if();
  f.i32Const(0).localSet(oxHi);
  f.else();
  f.localGet(t);
  get("sw").i32DivU().i32Const(1).i32Add().localSet(oxHi);
  f.end();
  clamp(f, () => f.localGet(oxLo), () => f.i32Const(0), () => f.localGet(ow), t);
  f.localSet(oxLo);
  clamp(f, () => f.localGet(oxHi), () => f.localGet(oxLo), () => f.localGet(ow), t);
  f.localSet(oxHi);

  // The taps inside [0, size) of an axis, from `start` with step `d`: lo = ⌈−start / d⌉ and
  // hi = ⌈(size − start) / d⌉, each clamped to [0, k] (signed division truncates toward zero,
  // which the clamp turns into the right bound where the numerator is negative).
  // With d = 1 (every pool, most convs) the divisions are skipped.
  const taps = (from: number, size: () => void, d: number, k: () => void, lo: number, hi: number): void => {
    const ceilDiv = (): void => {
      f.localGet(d).i32Add().i32Const(1).i32Sub().localGet(d).i32DivS();
    };
    f.localGet(d).i32Const(1).i32Eq().if();
    clamp(f, () => f.i32Const(0).localGet(from).i32Sub(), () => f.i32Const(0), k, t);
    f.localSet(lo);
    clamp(f, () => { size(); f.localGet(from).i32Sub(); }, () => f.i32Const(0), k, t);
    f.localSet(hi);
    f.else();
    clamp(f, () => { f.i32Const(0).localGet(from).i32Sub(); ceilDiv(); }, () => f.i32Const(0), k, t);
    f.localSet(lo);
    clamp(f, () => { size(); f.localGet(from).i32Sub(); ceilDiv(); }, () => f.i32Const(0), k, t);
    f.localSet(hi);
    f.end();
  };
  /** Pushes `a` + x·w, x and w pushed by `x` and `weight`: fused where the plan fuses multiply-adds. */
  const madd = (a: number, x: () => void, weight: () => void): void => {
    if (fma) {
      x();
      weight();
      f.localGet(a).f32x4RelaxedMadd();
    } else {
      f.localGet(a);
      x();
      weight();
      f.f32x4Mul().f32x4Add();
    }
  };
  /** Pushes `a` combined with the input vector at `pointer` (and the weight vector in `w`). */
  const combine = (how: Combine, a: number, pointer: number): void => {
    if (how === "madd") return madd(a, () => f.localGet(pointer).v128Load(0), () => f.localGet(w));
    f.localGet(a).localGet(pointer).v128Load(0);
    if (how === "sum") f.f32x4Add();
    else f.f32x4Max();
  };
  /**
   * Finishes accumulator `a` and stores it at `pointer`: a depthwise conv adds the residual at
   * `res`, then relu and the ceiling as its flags say; an average scales by `scale`.
   */
  const finish = (a: number, pointer: number, res: number): void => {
    if (depthwise) {
      f.localGet(residual).if();
      f.localGet(a).localGet(res).v128Load(0).f32x4Add().localSet(a);
      f.end();
      f.localGet(flags).i32Const(ConvFlags.relu).i32And().if();
      f.localGet(a).localGet(zero).f32x4Pmax().localSet(a);
      f.end();
      f.localGet(flags).i32Const(ConvFlags.ceiling).i32And().if();
      f.localGet(a).localGet(ceiling).f32x4Pmin().localSet(a);
      f.end();
    } else {
      f.localGet(average).if();
      f.localGet(a).localGet(scale).f32x4Mul().localSet(a);
      f.end();
    }
    f.localGet(pointer).localGet(a).v128Store(0);
  };
  /** The start of a quad's accumulator: the bias of the channels at byte `q`, or the pool's start. */
  const startOfQuad = (): void => {
    if (depthwise) get("bias").localGet(q).i32Add().v128Load(0).localSet(start);
    else f.localGet(init).localSet(start);
  };

  /**
   * Output columns [ox, oxEnd) of the row (the borders), each pixel's taps inside the image found
   * once for the pixel: rows [kyLo, kyHi) of columns [kxLo, kxHi). Each quad of channels in a
   * register across the taps: the input pointer walks a row of taps `kxStep` bytes at a time
   * (the weights one `Cs` vector at a time), then skips to the next row's first tap.
   */
  const borderPixels = (): void => {
    const quads = (how: Combine): void => {
      f.i32Const(0).localSet(q);
      f.loop(); // quads, q in bytes
      {
        startOfQuad();
        f.localGet(start).localSet(acc[0]);
        f.block();
        f.localGet(kyCount).i32Const(0).i32GtS().localGet(cols).i32Const(0).i32GtS().i32And().i32Eqz().brIf(0);
        f.localGet(ip0).localGet(q).i32Add().localSet(ip);
        if (how === "madd") f.localGet(wPixel).localGet(q).i32Add().localSet(wp);
        f.localGet(kyCount).localSet(ky);
        f.loop(); // ky, counting down
        {
          f.localGet(cols).localSet(kx);
          f.loop(); // kx, counting down
          if (how === "madd") {
            f.localGet(wp).v128Load(0).localSet(w);
            f.localGet(wp).localGet(csBytes).i32Add().localSet(wp);
          }
          combine(how, acc[0], ip);
          f.localSet(acc[0]);
          f.localGet(ip).localGet(kxStep).i32Add().localSet(ip);
          f.localGet(kx).i32Const(1).i32Sub().localTee(kx).brIf(0);
          f.end();
          f.localGet(ip).localGet(ipSkip).i32Add().localSet(ip);
          if (how === "madd") f.localGet(wp).localGet(wSkip).i32Add().localSet(wp);
          f.localGet(ky).i32Const(1).i32Sub().localTee(ky).brIf(0);
        }
        f.end();
        f.end();
        finish(acc[0], op, rq);
        f.localGet(op).i32Const(16).i32Add().localSet(op);
        if (depthwise) f.localGet(rq).i32Const(16).i32Add().localSet(rq);
        f.localGet(q).i32Const(16).i32Add().localTee(q).localGet(csBytes).i32LtU().brIf(0);
      }
      f.end();
    };
    f.block();
    f.loop(); // output pixels
    {
      f.localGet(ox).localGet(oxEnd).i32GeS().brIf(1);
      f.localGet(ox);
      get("sw").i32Mul();
      get("padLeft").i32Sub().localSet(ixStart);
      taps(ixStart, () => get("width"), dw, () => f.localGet(kw), kxLo, kxHi);
      f.localGet(kxHi).localGet(kxLo).i32Sub().localSet(cols);
      // ip0: the first tap, (iyStart + kyLo·dh, ixStart + kxLo·dw); wPixel: its weights. After a
      // row of taps, the pointers skip the rest of the row.
      f.localGet(inImage).localGet(iyStart).localGet(kyLo).localGet(dh).i32Mul().i32Add().localGet(inRow).i32Mul().i32Add();
      f.localGet(ixStart).localGet(kxLo).localGet(dw).i32Mul().i32Add().localGet(inPixel).i32Mul().i32Add().localSet(ip0);
      f.localGet(rowStep).localGet(cols).localGet(kxStep).i32Mul().i32Sub().localSet(ipSkip);
      if (depthwise) {
        get("weights").localGet(kyLo).localGet(kw).i32Mul().localGet(kxLo).i32Add().localGet(csBytes).i32Mul().i32Add().localSet(wPixel);
        f.localGet(kw).localGet(cols).i32Sub().localGet(csBytes).i32Mul().localSet(wSkip);
      }
      f.localGet(out).localGet(ox).localGet(outPixel).i32Mul().i32Add().localSet(op);
      if (depthwise) f.localGet(rp).localGet(ox).localGet(resPixel).i32Mul().i32Add().localSet(rq);
      if (depthwise) quads("madd");
      else {
        // An average divides by the taps inside the image.
        f.localGet(average).if();
        f.f32Const(1).localGet(kyCount).localGet(cols).i32Mul().f32ConvertI32S().f32Div().f32x4Splat().localSet(scale);
        quads("sum");
        f.else();
        quads("max");
        f.end();
      }
      f.localGet(ox).i32Const(1).i32Add().localSet(ox);
      f.br(0);
    }
    f.end();
    f.end();
  };

  /** The accumulators' start, and ip/wp at the first row of taps, for a step at column `ox`, quad `q`. */
  const stepStart = (how: Combine, pixels: number): void => {
    for (let r = 0; r < pixels; r++) f.localGet(start).localSet(acc[r]);
    // ip = rowIn + ox·pixelStep + q; wp = rowW + q
    f.localGet(rowIn).localGet(ox).localGet(pixelStep).i32Mul().i32Add().localGet(q).i32Add().localSet(ip);
    if (how === "madd") f.localGet(rowW).localGet(q).i32Add().localSet(wp);
  };
  /** Finishes and stores the `pixels` accumulators of a step at column `ox`, quad `q`. */
  const stepEnd = (pixels: number): void => {
    // op = out + ox·outPixel + q (and the residual alike)
    f.localGet(out).localGet(ox).localGet(outPixel).i32Mul().i32Add().localGet(q).i32Add().localSet(op);
    if (depthwise) f.localGet(rp).localGet(ox).localGet(resPixel).i32Mul().i32Add().localGet(q).i32Add().localSet(rq);
    for (let r = 0; r < pixels; r++) {
      finish(acc[r], op, rq);
      if (r + 1 < pixels) {
        f.localGet(op).localGet(outPixel).i32Add().localSet(op);
        if (depthwise) f.localGet(rq).localGet(resPixel).i32Add().localSet(rq);
      }
    }
  };

  /**
   * `pixels` output pixels from column `ox` of the interior, channel quad `q`, any window: every
   * tap of the rows [kyLo, kyHi) lies inside the image, so the pointers step without checks;
   * each tap's weight vector is loaded once for all the pixels.
   */
  const interiorStep = (how: Combine, pixels: number): void => {
    stepStart(how, pixels);
    f.localGet(kyCount).localSet(ky);
    f.loop(); // ky, counting down (kyCount > 0)
    {
      f.localGet(ip).localSet(p[0]);
      for (let r = 1; r < pixels; r++) f.localGet(p[r - 1]).localGet(pixelStep).i32Add().localSet(p[r]);
      f.localGet(kw).localSet(kx);
      f.loop(); // kx, counting down
      {
        if (how === "madd") {
          f.localGet(wp).v128Load(0).localSet(w);
          f.localGet(wp).localGet(csBytes).i32Add().localSet(wp);
        }
        for (let r = 0; r < pixels; r++) {
          combine(how, acc[r], p[r]);
          f.localSet(acc[r]);
        }
        for (let r = 0; r < pixels; r++) f.localGet(p[r]).localGet(kxStep).i32Add().localSet(p[r]);
        f.localGet(kx).i32Const(1).i32Sub().localTee(kx).brIf(0);
      }
      f.end();
      f.localGet(ip).localGet(rowStep).i32Add().localSet(ip);
      f.localGet(ky).i32Const(1).i32Sub().localTee(ky).brIf(0);
    }
    f.end();
    stepEnd(pixels);
  };

  /**
   * The same step for a window `width` taps wide with stride `stride` across and no dilation:
   * the pixels' taps of one row read the `stride·(pixels − 1) + width` neighbouring input
   * pixels, each loaded once and combined into every pixel that reads it (tap kx = j − stride·r
   * of pixel r), the row's weight vectors loaded first. The taps still add in the same order.
   */
  const slidingStep = (how: Combine, pixels: number, width: number, stride: number): void => {
    stepStart(how, pixels);
    // A max takes f32x4.pmax, which skips a NaN input; `nan[r]` collects pixel r's NaN lanes
    // (all ones, itself a NaN), or-ed into the max at the end.
    if (how === "max") for (let r = 0; r < pixels; r++) f.localGet(zero).localSet(nan[r]);
    f.localGet(kyCount).localSet(ky);
    f.loop(); // ky, counting down (kyCount > 0)
    {
      if (how === "madd") {
        for (let kx = 0; kx < width; kx++) {
          f.localGet(wp).v128Load(0).localSet(wRow[kx]);
          f.localGet(wp).localGet(csBytes).i32Add().localSet(wp);
        }
      }
      f.localGet(ip).localSet(p[0]);
      const span = stride * (pixels - 1) + width;
      for (let j = 0; j < span; j++) {
        f.localGet(p[0]).v128Load(0).localSet(w);
        if (j + 1 < span) f.localGet(p[0]).localGet(inPixel).i32Add().localSet(p[0]);
        if (how === "max") f.localGet(w).localGet(w).f32x4Ne().localSet(isNan);
        for (let r = 0; r < pixels; r++) {
          const kx = j - stride * r;
          if (kx < 0 || kx >= width) continue;
          if (how === "madd") madd(acc[r], () => f.localGet(w), () => f.localGet(wRow[kx]));
          else if (how === "sum") f.localGet(acc[r]).localGet(w).f32x4Add();
          else {
            f.localGet(acc[r]).localGet(w).f32x4Pmax().localSet(acc[r]);
            f.localGet(nan[r]).localGet(isNan).v128Or().localSet(nan[r]);
            continue;
          }
          f.localSet(acc[r]);
        }
      }
      f.localGet(ip).localGet(rowStep).i32Add().localSet(ip);
      f.localGet(ky).i32Const(1).i32Sub().localTee(ky).brIf(0);
    }
    f.end();
    if (how === "max") {
      for (let r = 0; r < pixels; r++) {
        f.localGet(acc[r]).localGet(nan[r]).v128Or().localSet(acc[r]);
      }
    }
    stepEnd(pixels);
  };

  /**
   * The interior columns [oxLo, oxHi) of the row: {@link WINDOW_PIXELS} pixels at a time, each
   * group's channel quads one after another (the group's input pixels stay in the L1 cache
   * across its quads), then the rest of the row as one narrower group. The windows of
   * {@link SLIDING_WINDOWS} take the sliding step, any other the general one.
   */
  const interior = (how: Combine): void => {
    const groups = (step: (pixels: number) => void): void => {
      const quads = (pixels: number): void => {
        f.i32Const(0).localSet(q);
        f.loop(); // quads, q in bytes
        startOfQuad();
        step(pixels);
        f.localGet(q).i32Const(16).i32Add().localTee(q).localGet(csBytes).i32LtU().brIf(0);
        f.end();
      };
      f.localGet(oxLo).localSet(ox);
      f.block();
      f.loop(); // groups of WINDOW_PIXELS
      {
        f.localGet(ox).i32Const(WINDOW_PIXELS).i32Add().localGet(oxHi).i32GtS().brIf(1);
        quads(WINDOW_PIXELS);
        f.localGet(ox).i32Const(WINDOW_PIXELS).i32Add().localSet(ox);
        f.br(0);
      }
      f.end();
      f.end();
      for (let pixels = WINDOW_PIXELS - 1; pixels >= 1; pixels--) {
        f.localGet(oxHi).localGet(ox).i32Sub().i32Const(pixels).i32Eq().if();
        quads(pixels);
        f.end();
      }
    };
    for (const [width, stride] of SLIDING_WINDOWS) {
      f.localGet(kw).i32Const(width).i32Eq();
      get("sw").i32Const(stride).i32Eq().i32And();
      f.localGet(dw).i32Const(1).i32Eq().i32And().if();
      groups((pixels) => slidingStep(how, pixels, width, stride));
      f.else();
    }
    groups((pixels) => interiorStep(how, pixels));
    for (let k = 0; k < SLIDING_WINDOWS.length; k++) f.end();
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
    // out = output + n·outImage + oy·ow·outPixel (and the residual's row alike)
    get("output").localGet(n);
    get("outImage").i32Mul().i32Add().localGet(oy).localGet(ow).i32Mul().localGet(outPixel).i32Mul().i32Add().localSet(out);
    if (depthwise) {
      f.localGet(residual).localGet(n);
      get("resImage").i32Mul().i32Add().localGet(oy).localGet(ow).i32Mul().localGet(resPixel).i32Mul().i32Add().localSet(rp);
    }
    f.localGet(oy);
    get("sh").i32Mul();
    get("padTop").i32Sub().localSet(iyStart);
    taps(iyStart, () => get("height"), dh, () => get("kh"), kyLo, kyHi);
    f.localGet(kyHi).localGet(kyLo).i32Sub().localSet(kyCount);

    // The left border, [0, oxLo).
    f.i32Const(0).localSet(ox);
    f.localGet(oxLo).localSet(oxEnd);
    borderPixels();
    // The interior, where a row of taps lies inside the image: rowIn = the input pointer of
    // column 0's first tap of row kyLo (left of the image: only columns ≥ oxLo use it).
    f.localGet(kyCount).i32Const(0).i32GtS();
    f.localGet(oxHi).localGet(oxLo).i32GtS().i32And().if();
    {
      f.localGet(inImage).localGet(iyStart).localGet(kyLo).localGet(dh).i32Mul().i32Add().localGet(inRow).i32Mul().i32Add();
      get("padLeft").localGet(inPixel).i32Mul().i32Sub().localSet(rowIn);
      if (depthwise) {
        get("weights").localGet(kyLo).localGet(kw).i32Mul().localGet(csBytes).i32Mul().i32Add().localSet(rowW);
        interior("madd");
      } else {
        f.localGet(average).if();
        f.f32Const(1).localGet(kyCount).localGet(kw).i32Mul().f32ConvertI32S().f32Div().f32x4Splat().localSet(scale);
        interior("sum");
        f.else();
        interior("max");
        f.end();
      }
    }
    f.end();
    // The right border, [max(oxHi, oxLo), ow) — all of the row past oxLo when no tap row is inside.
    f.localGet(oxHi).localSet(ox);
    f.localGet(kyCount).i32Const(0).i32GtS().i32Eqz().if();
    f.localGet(oxLo).localSet(ox);
    f.end();
    f.localGet(ow).localSet(oxEnd);
    borderPixels();
    f.localGet(row).i32Const(1).i32Add().localSet(row);
    f.br(0);
  }
  f.end();
  f.end();
  return f;
}
