/**
 * Generates the plan executor's normalization kernels over the blocked layout (see `layout.ts`
 * in `runtime/fast`): the statistics and the per-channel affine of a group, instance,
 * filter-response or inference batch norm, and the per-pixel norm over channels (ConvNeXt's).
 *
 * - `row_moments(x, rows, width, pixel, quads, center, out, squares)`: for each of `rows` rows of
 *   `width` pixels and each channel quad, the sum of x (or, with `squares`, of (x − center)²,
 *   `center` one vector per quad) over the row, stored at `out + (row·quads + q)·16`: the
 *   per-row, per-channel partial sums of a group or instance norm's statistics, which the plan
 *   adds up in double precision.
 * - `channel_affine(x, out, pixels, pixel, quads, scale, shift, floor)`: y = x·scale + shift with
 *   one scale and shift vector per quad, over `pixels` pixels (`pixel` bytes apart), then
 *   y = max(y, floor) where `floor ≠ 0` (FRN's TLU).
 * - `pixel_norm(x, out, pixels, pixel, quads, mask, scale, shift, channels, epsilon)`: for each
 *   of `pixels` pixels, the mean μ and the biased variance σ² of its channels (the lanes that
 *   `mask`, one i32 vector per quad, keeps: all ones for a channel, zero for padding), the
 *   variance about the mean (two passes), then y = (x − μ) / √(σ² + ε) · scale + shift per
 *   quad, masked, so padded channels are written as 0. In f32, on values shifted by the pixel's
 *   first channel (x − x₀, exact for values within a factor of 2 of it), so that a pixel far from
 *   zero keeps exact statistics. `channels` (the divisor) and `epsilon` are f32.
 *
 * Pointers and strides are bytes; `quads` counts f32x4 vectors.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import type { ModuleFunction } from "./module.js";

const { i32, f32, v128 } = ValueType;

/** The normalization kernels, in a fixed order: `row_moments`, `channel_affine`, `pixel_norm`. */
export function normFunctions(): ModuleFunction[] {
  return [
    { name: "row_moments", results: [], body: rowMomentsBody() },
    { name: "channel_affine", results: [], body: channelAffineBody() },
    { name: "pixel_norm", results: [], body: pixelNormBody() },
  ];
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

function pixelNormBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32, f32, f32]);
  const [x, out, pixels, pixel, quads, mask, scale, shift, channels, epsilon] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const q = f.local(i32);
  const end = f.local(i32);
  const acc = f.local(v128);
  const v = f.local(v128);
  const origin = f.local(v128);
  const mean = f.local(v128);
  const inv = f.local(v128);
  f.localGet(pixels).i32Eqz().if().return().end();
  f.localGet(quads).i32Const(16).i32Mul().localSet(end);
  /** Loops q over the quads (bytes) with `body` inside. */
  const quadLoop = (body: () => void): void => {
    f.i32Const(0).localSet(q);
    f.loop();
    body();
    f.localGet(q).i32Const(16).i32Add().localTee(q).localGet(end).i32LtU().brIf(0);
    f.end();
  };
  const masked = (): void => void f.localGet(mask).localGet(q).i32Add().v128Load(0).v128And();
  /** The sum of `acc`'s lanes over `channels`, as an f32 on the stack. */
  const average = (): void => {
    f.localGet(acc).f32x4ExtractLane(0).localGet(acc).f32x4ExtractLane(1).f32Add();
    f.localGet(acc).f32x4ExtractLane(2).localGet(acc).f32x4ExtractLane(3).f32Add().f32Add();
    f.localGet(channels).f32Div();
  };
  /** Quad q of the pixel less its first channel. */
  const shifted = (): void => void f.localGet(x).localGet(q).i32Add().v128Load(0).localGet(origin).f32x4Sub();
  f.loop(); // pixels
  {
    f.localGet(x).v128Load32Splat(0).localSet(origin);
    f.f32Const(0).f32x4Splat().localSet(acc);
    quadLoop(() => {
      shifted();
      masked();
      f.localGet(acc).f32x4Add().localSet(acc);
    });
    average();
    f.f32x4Splat().localSet(mean);
    f.f32Const(0).f32x4Splat().localSet(acc);
    quadLoop(() => {
      shifted();
      f.localGet(mean).f32x4Sub();
      masked();
      f.localTee(v).localGet(v).f32x4Mul().localGet(acc).f32x4Add().localSet(acc);
    });
    f.f32Const(1);
    average();
    f.localGet(epsilon).f32Add().f32Sqrt().f32Div().f32x4Splat().localSet(inv);
    quadLoop(() => {
      f.localGet(out).localGet(q).i32Add();
      shifted();
      f.localGet(mean).f32x4Sub().localGet(inv).f32x4Mul();
      f.localGet(scale).localGet(q).i32Add().v128Load(0).f32x4Mul();
      f.localGet(shift).localGet(q).i32Add().v128Load(0).f32x4Add();
      masked();
      f.v128Store(0);
    });
    f.localGet(x).localGet(pixel).i32Add().localSet(x);
    f.localGet(out).localGet(pixel).i32Add().localSet(out);
    f.localGet(pixels).i32Const(1).i32Sub().localTee(pixels).brIf(0);
  }
  f.end();
  return f;
}
