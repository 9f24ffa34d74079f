/**
 * Generates the plan executor's window kernels over the channels-last blocked layout (see
 * `conv-kernel.ts`), so that activations stay in the WebAssembly heap between convs:
 *
 * - `pool_rows(desc, rowStart, rowEnd)`: max or average pooling (average counts only the
 *   window's cells inside the image, ONNX `count_include_pad = 0`) over rows `n·OH + oy`; a
 *   global pool is the window of the whole image. Each output pixel's channel vectors are
 *   reduced in place in the output, tap after tap.
 * - `depthwise_rows(desc, rowStart, rowEnd)`: a depthwise conv (one filter per channel) from the
 *   same generator: bias, taps times weights, residual, relu.
 *
 * Both read their geometry from a descriptor ({@link PoolDesc}) in the memory. Pointers and
 * strides are bytes.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import type { ModuleFunction } from "./module.js";

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

/** The window kernels, in a fixed order: `pool_rows`, `depthwise_rows`. */
export function windowFunctions(): ModuleFunction[] {
  return [
    { name: "pool_rows", results: [], body: windowBody("pool") },
    { name: "depthwise_rows", results: [], body: windowBody("depthwise") },
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
