/**
 * Generates the direct convolution of the plan executor (`runtime/fast/plan.ts`): an implicit
 * GEMM over activations in the channels-last blocked layout (NHWC with the channel stride `Cs`
 * rounded up to a multiple of 4 or 8, see `runtime/fast/layout.ts`), so no im2col matrix is
 * ever written.
 *
 *   out[n, oy, ox, o] = epilogue(bias[o] + Σ_{ky,kx,c} in[n, iy, ix, c] · W[o, c, ky, kx] (+ res))
 *
 * - The register tile is `s ≤ MR` neighbouring output pixels of one row × 8 output channels
 *   (two f32x4 per pixel, `2·MR` accumulators). Each reduction step broadcasts one input value
 *   per pixel (`v128.load32_splat`, the pixels `sw·Cs` floats apart) and multiplies it with
 *   the two weight vectors of that input channel (with relaxed SIMD's `f32x4.relaxed_madd`
 *   where the plan asks, by default on Intel cores whose engine has it (`relaxed-simd.ts`),
 *   else a multiply and an add). A row is cut into
 *   ⌈ow / MR⌉ tiles of nearly equal width, so no row ends in a 1- or 2-pixel tile.
 * - The tile is sized for V8's x64 code: TurboFan allocates 15 XMM registers and schedules
 *   every load of a loop body before its arithmetic, so the loop does one input channel per
 *   step (2 weight vectors + MR broadcasts + 2·MR accumulators + a product = 15 for MR = 4).
 *   The former 6-pixel tile unrolled over 4 channels spilled its broadcasts and accumulators
 *   to the stack on every step and ran at ~28 GFLOP/s; this one runs at 40–45.
 * - Weights are packed per block of 8 output channels as `[ky][kx][c][8]` with `c < Cs_in`
 *   (padded input channels have zero weights), so one panel streams linearly.
 * - Padding: a tap whose input row lies outside the image is skipped (its weights too); in a
 *   tile that touches the left or right edge ("checked" tiles) each pixel's pointer is
 *   replaced, per tap, by a row of zeros when its input column lies outside.
 * - Epilogue in registers: an optional residual tensor of the output's shape is added, then
 *   relu (flag 1), then min(ceiling) (flag 2, the f32 word `ceiling`: relu6 sets both), by
 *   pseudo-max and -min: one instruction each on x64, where `f32x4.max` and `min` are sequences
 *   of 7–8 (a NaN stays NaN; relu(−0) is −0). MobileNetV2, relu6 after every expansion: 1.10–1.17×
 *   faster. The output may be a channel slice of a wider tensor (a concat's part).
 *
 * `conv_rows(desc, rowStart, rowEnd, obStart, obEnd)` computes output rows `n·OH + oy` in
 * `[rowStart, rowEnd)` and channel blocks `[obStart, obEnd)`; disjoint ranges may run on
 * different threads over one shared memory. `desc` points at the i32 fields of {@link ConvDesc}.
 * A 1×1 conv with stride 1 and no padding (the descriptor's `pointwise` word) goes on to
 * `conv_pointwise_rows`, which walks the rows as one run of pixels with the tiles inline: the
 * mobile models' 1×1 convs 1.05–1.3× faster, those over 16–32 channels the most.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import type { ModuleFunction } from "./module.js";

/** Output pixels per register tile (see the module comment for why 4). */
export const CONV_MR = 4;
/** Output channels per block (two f32x4). */
export const CONV_NR = 8;

/** The fields of a conv descriptor: i32 words at `desc + 4·field`; pointers and strides in bytes. */
export const ConvDesc = {
  input: 0, inImage: 1, inRow: 2, inPixel: 3, height: 4, width: 5, icQuads: 6,
  kh: 7, kw: 8, sh: 9, sw: 10, dh: 11, dw: 12, padTop: 13, padLeft: 14,
  weights: 15, panel: 16, bias: 17,
  output: 18, outImage: 19, outPixel: 20,
  residual: 21, resImage: 22, resPixel: 23,
  oh: 24, ow: 25, flags: 26, zero: 27, rowsPerChunk: 28, ceiling: 29, tapChannels: 30, pointwise: 31,
} as const;
/** Words in a conv descriptor. */
export const CONV_DESC_WORDS = 32;
/**
 * Bits of {@link ConvDesc.flags} (and of the depthwise conv's): relu (max 0), then a ceiling,
 * min(the f32 word `ceiling`); relu6 sets both.
 */
export const ConvFlags = { relu: 1, ceiling: 2 } as const;

/** Export name of the row driver. */
export const CONV_ROWS = "conv_rows";

const { i32, v128 } = ValueType;

/** Reads field `field` of the descriptor in local `desc` onto the stack. */
function field(f: FunctionBody, desc: number, name: keyof typeof ConvDesc): FunctionBody {
  return f.localGet(desc).i32Load(ConvDesc[name] * 4);
}

/** How the conv functions are generated. */
export interface ConvKernelOptions {
  /** Output pixels per register tile (default {@link CONV_MR}). */
  mr?: number;
  /**
   * Accumulate with relaxed SIMD's `f32x4.relaxed_madd`, which the engine must have (default
   * false; the plan decides, see `relaxed-simd.ts`).
   */
  fma?: boolean;
}

/**
 * The functions of the conv kernel: the row driver first, then one tile function per width
 * `s = 1 … mr` and edge handling (checked or not). `firstIndex` is the module index the driver
 * will have, so the driver can call the tiles.
 */
export function convFunctions(firstIndex: number, options: ConvKernelOptions = {}): ModuleFunction[] {
  const mr = options.mr ?? CONV_MR;
  const fma = options.fma ?? false;
  const tiles: ModuleFunction[] = [];
  for (let s = 1; s <= mr; s++) {
    for (const checked of [false, true]) tiles.push({ name: `conv_tile_${s}${checked ? "_edge" : ""}`, results: [], body: tileBody(s, checked, fma) });
  }
  const tileIndex = (s: number, checked: boolean): number => firstIndex + 1 + (s - 1) * 2 + (checked ? 1 : 0);
  const pointwiseIndex = firstIndex + 1 + 2 * mr;
  return [
    { name: CONV_ROWS, results: [], body: rowsBody(mr, tileIndex, pointwiseIndex) },
    ...tiles,
    { name: "conv_pointwise_rows", results: [], body: pointwiseBody(mr, tileIndex, fma) },
  ];
}

/** Number of functions {@link convFunctions} returns. */
export function convFunctionCount(options: ConvKernelOptions = {}): number {
  return 2 + 2 * (options.mr ?? CONV_MR);
}

/** Parameters of a tile function, in order. */
const TILE_PARAMS = [i32, i32, i32, i32, i32, i32, i32, i32] as const;

/**
 * `tile(desc, inImage, iy0, ix0, panel, bias, out, res)`: one tile of `s` pixels starting at
 * output column whose first tap reads input (iy0, ix0) of the image at `inImage`.
 */
function tileBody(s: number, checked: boolean, fma: boolean): FunctionBody {
  const f = new FunctionBody([...TILE_PARAMS]);
  const [desc, inImage, iy0, ix0, panel, bias, out, res] = [0, 1, 2, 3, 4, 5, 6, 7];
  const height = f.local(i32);
  const width = f.local(i32);
  const inRow = f.local(i32);
  const inPixel = f.local(i32);
  const kw = f.local(i32);
  const dh = f.local(i32);
  const dw = f.local(i32);
  const pixelStep = f.local(i32);
  const quads = f.local(i32);
  const zero = f.local(i32);
  const sw = f.local(i32);
  const ky = f.local(i32);
  const kx = f.local(i32);
  const iy = f.local(i32);
  const ix = f.local(i32);
  const rowPtr = f.local(i32);
  const wEnd = f.local(i32);
  const wp = f.local(i32);
  const tapSkip = f.local(i32);
  const tapSteps = f.local(i32);
  const tapTail = f.local(i32);
  const p = Array.from({ length: s }, () => f.local(i32));
  const acc = Array.from({ length: s }, () => [f.local(v128), f.local(v128)]);
  const w0 = f.local(v128);
  const w1 = f.local(v128);
  const a = f.local(v128);

  field(f, desc, "height").localSet(height);
  field(f, desc, "width").localSet(width);
  field(f, desc, "inRow").localSet(inRow);
  field(f, desc, "inPixel").localSet(inPixel);
  field(f, desc, "kw").localSet(kw);
  field(f, desc, "dh").localSet(dh);
  field(f, desc, "dw").localSet(dw);
  field(f, desc, "sw").localSet(sw);
  f.localGet(sw).localGet(inPixel).i32Mul().localSet(pixelStep);
  field(f, desc, "icQuads").localSet(quads);
  field(f, desc, "zero").localSet(zero);
  // The weights of one row of taps, skipped when that input row is padding.
  f.localGet(kw).localGet(quads).i32Mul().i32Const(128).i32Mul().localSet(tapSkip);
  // Steps of the channel loop per tap, and taps per row of taps. In a tile that touches no edge,
  // with dw = 1, a pixel's taps of one kernel row read `kw` neighbouring input pixels, i.e.
  // `kw·Cs` consecutive floats, and their weights are consecutive too: the row is one loop of
  // `kw·Cs` steps (ResNet's 16-channel 3×3 convs: 48 steps instead of 3 entries of 16).
  f.localGet(quads).i32Const(2).i32Shl().localSet(tapSteps);
  // A 1-wide kernel whose input has fewer channels than its stride (a stem over an unfolded
  // image: 21 of 24) reads only `tapChannels` per tap and skips the padded channels' weights.
  field(f, desc, "tapChannels").localTee(tapTail).localGet(tapSteps).localGet(tapTail).select().localSet(tapTail);
  f.localGet(quads).i32Const(2).i32Shl().localGet(tapTail).i32Sub().i32Const(5).i32Shl();
  f.localGet(tapTail).localSet(tapSteps).localSet(tapTail);
  if (!checked) {
    f.localGet(dw).i32Const(1).i32Eq().if();
    f.localGet(tapSteps).localGet(kw).i32Mul().localSet(tapSteps);
    f.i32Const(1).localSet(kw);
    f.end();
  }

  f.localGet(bias).v128Load(0).localSet(w0);
  f.localGet(bias).v128Load(16).localSet(w1);
  for (const [lo, hi] of acc) {
    f.localGet(w0).localSet(lo);
    f.localGet(w1).localSet(hi);
  }
  f.localGet(panel).localSet(wp);
  f.localGet(iy0).localSet(iy);
  field(f, desc, "kh").localSet(ky);
  f.loop(); // ky, counting down
  {
    f.localGet(iy).localGet(height).i32LtU().if();
    {
      f.localGet(inImage).localGet(iy).localGet(inRow).i32Mul().i32Add().localSet(rowPtr);
      f.localGet(ix0).localSet(ix);
      f.localGet(kw).localSet(kx);
      f.loop(); // kx, counting down
      {
        f.localGet(rowPtr).localGet(ix).localGet(inPixel).i32Mul().i32Add().localSet(p[0]);
        for (let r = 1; r < s; r++) f.localGet(p[r - 1]).localGet(pixelStep).i32Add().localSet(p[r]);
        if (checked) {
          for (let r = 0; r < s; r++) {
            // p[r] = (ix + r·sw) in [0, width) ? p[r] : zero
            f.localGet(p[r]).localGet(zero);
            f.localGet(ix).localGet(sw).i32Const(r).i32Mul().i32Add().localGet(width).i32LtU();
            f.select().localSet(p[r]);
          }
        }
        // One input channel per step: unrolled, TurboFan hoists every step's loads to the top of
        // the loop body, and the tile no longer fits the 15 vector registers it allocates. The
        // weight pointer ends the loop (a pixel's pointer may be the row of zeros).
        f.localGet(wp).localGet(tapSteps).i32Const(5).i32Shl().i32Add().localSet(wEnd);
        reductionLoop(f, { p, acc, w0, w1, a, wp, wEnd, fma });
        f.localGet(wp).localGet(tapTail).i32Add().localSet(wp);
        f.localGet(ix).localGet(dw).i32Add().localSet(ix);
        f.localGet(kx).i32Const(1).i32Sub().localTee(kx).brIf(0);
      }
      f.end();
    }
    f.else();
    f.localGet(wp).localGet(tapSkip).i32Add().localSet(wp);
    f.end();
    f.localGet(iy).localGet(dh).i32Add().localSet(iy);
    f.localGet(ky).i32Const(1).i32Sub().localTee(ky).brIf(0);
  }
  f.end();

  // Epilogue: residual, relu, ceiling, store.
  const outPixel = inRow; // reuse locals
  const resPixel = inPixel;
  field(f, desc, "outPixel").localSet(outPixel);
  field(f, desc, "resPixel").localSet(resPixel);
  tileEpilogue(f, { acc, res, resPixel, out, outPixel, walk: rowPtr, a }, () => field(f, desc, "flags"), () => {
    f.localGet(desc).f32Load(ConvDesc.ceiling * 4).f32x4Splat();
  });
  return f;
}

/** The locals {@link tileEpilogue} works on: i32 pointers and strides (bytes), v128 values. */
interface EpilogueLocals {
  /** Two f32x4 accumulators per pixel. */
  acc: readonly (readonly number[])[];
  /** The residual's first pixel, or 0 for none. */
  res: number;
  resPixel: number;
  out: number;
  outPixel: number;
  /** A pointer local the epilogue walks the pixels with. */
  walk: number;
  /** A v128 scratch local. */
  a: number;
}

/**
 * A tile's epilogue: the residual added, then relu and the ceiling as the flags word that `flags`
 * pushes says ({@link ConvFlags}; `ceiling` pushes the ceiling's vector), then each pixel's two
 * vectors stored.
 */
function tileEpilogue(f: FunctionBody, l: EpilogueLocals, flags: () => void, ceiling: () => void): void {
  const pixels = l.acc.length;
  const walk = (stride: number, each: (r: number) => void): void => {
    for (let r = 0; r < pixels; r++) {
      each(r);
      if (r + 1 < pixels) f.localGet(l.walk).localGet(stride).i32Add().localSet(l.walk);
    }
  };
  f.localGet(l.res).if();
  f.localGet(l.res).localSet(l.walk);
  walk(l.resPixel, (r) => {
    for (let h = 0; h < 2; h++) f.localGet(l.acc[r][h]).localGet(l.walk).v128Load(h * 16).f32x4Add().localSet(l.acc[r][h]);
  });
  f.end();
  flags();
  f.i32Const(ConvFlags.relu).i32And().if();
  f.f32Const(0).f32x4Splat().localSet(l.a);
  for (const v of l.acc.flat()) f.localGet(v).localGet(l.a).f32x4Pmax().localSet(v);
  f.end();
  flags();
  f.i32Const(ConvFlags.ceiling).i32And().if();
  ceiling();
  f.localSet(l.a);
  for (const v of l.acc.flat()) f.localGet(v).localGet(l.a).f32x4Pmin().localSet(v);
  f.end();
  f.localGet(l.out).localSet(l.walk);
  walk(l.outPixel, (r) => {
    for (let h = 0; h < 2; h++) f.localGet(l.walk).localGet(l.acc[r][h]).v128Store(h * 16);
  });
}

/** The locals of {@link chunksOfBlocks}: i32s. */
interface ChunkLocals {
  desc: number;
  rowStart: number;
  rowEnd: number;
  obStart: number;
  obEnd: number;
  chunk: number;
  chunkEnd: number;
  ob: number;
  panel: number;
  bias: number;
}

/**
 * The drivers' outer loops: chunks of `rowsPerChunk` rows `[chunk, chunkEnd)` of `[rowStart,
 * rowEnd)`, and in each, channel blocks `ob` of `[obStart, obEnd)` with their weight `panel` and
 * `bias` pointers set, for `body` to compute.
 */
function chunksOfBlocks(f: FunctionBody, l: ChunkLocals, body: () => void): void {
  f.localGet(l.rowStart).localSet(l.chunk);
  f.block();
  f.loop(); // chunks of rows
  {
    f.localGet(l.chunk).localGet(l.rowEnd).i32GeU().brIf(1);
    f.localGet(l.chunk);
    field(f, l.desc, "rowsPerChunk").i32Add().localTee(l.chunkEnd).localGet(l.rowEnd).i32GeU().if();
    f.localGet(l.rowEnd).localSet(l.chunkEnd);
    f.end();
    f.localGet(l.obStart).localSet(l.ob);
    f.block();
    f.loop(); // channel blocks
    {
      f.localGet(l.ob).localGet(l.obEnd).i32GeU().brIf(1);
      field(f, l.desc, "weights").localGet(l.ob);
      field(f, l.desc, "panel").i32Mul().i32Add().localSet(l.panel);
      field(f, l.desc, "bias").localGet(l.ob).i32Const(32).i32Mul().i32Add().localSet(l.bias);
      body();
      f.localGet(l.ob).i32Const(1).i32Add().localSet(l.ob);
      f.br(0);
    }
    f.end();
    f.end();
    f.localGet(l.chunkEnd).localSet(l.chunk);
    f.br(0);
  }
  f.end();
  f.end();
}

/** The locals the reduction loop of a register tile works on. */
interface TileLocals {
  /** One input pointer per pixel (i32), advanced by one float per step. */
  p: readonly number[];
  /** Two f32x4 accumulators per pixel (8 output channels). */
  acc: readonly (readonly number[])[];
  w0: number;
  w1: number;
  a: number;
  /** The weight pointer (8 floats per step) and where it stops. */
  wp: number;
  wEnd: number;
  fma: boolean;
}

/**
 * The tile's reduction: until `wp` reaches `wEnd`, one input channel per step — the two weight
 * vectors of that channel times each pixel's broadcast input. Shared by the conv tiles and the
 * Winograd GEMM tiles.
 */
export function reductionLoop(f: FunctionBody, { p, acc, w0, w1, a, wp, wEnd, fma }: TileLocals): void {
  f.loop();
  {
    f.localGet(wp).v128Load(0).localSet(w0);
    f.localGet(wp).v128Load(16).localSet(w1);
    p.forEach((pointer, r) => {
      f.localGet(pointer).v128Load32Splat(0).localSet(a);
      for (const [h, w] of [[0, w0], [1, w1]] as const) {
        if (fma) f.localGet(a).localGet(w).localGet(acc[r][h]).f32x4RelaxedMadd().localSet(acc[r][h]);
        else f.localGet(acc[r][h]).localGet(a).localGet(w).f32x4Mul().f32x4Add().localSet(acc[r][h]);
      }
    });
    for (const pointer of p) f.localGet(pointer).i32Const(4).i32Add().localSet(pointer);
    f.localGet(wp).i32Const(32).i32Add().localTee(wp).localGet(wEnd).i32Ne().brIf(0);
  }
  f.end();
}

/** `conv_rows(desc, rowStart, rowEnd, obStart, obEnd)`: chunks of rows, then channel blocks, then tiles. */
function rowsBody(mr: number, tileIndex: (s: number, checked: boolean) => number, pointwiseIndex: number): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32]);
  const [desc, rowStart, rowEnd, obStart, obEnd] = [0, 1, 2, 3, 4];
  // A 1×1 conv over whole images runs on the pointwise driver (the same arguments).
  field(f, desc, "pointwise").if();
  f.localGet(desc).localGet(rowStart).localGet(rowEnd).localGet(obStart).localGet(obEnd).call(pointwiseIndex);
  f.return();
  f.end();
  const chunk = f.local(i32);
  const chunkEnd = f.local(i32);
  const ob = f.local(i32);
  const row = f.local(i32);
  const n = f.local(i32);
  const oy = f.local(i32);
  const oh = f.local(i32);
  const ow = f.local(i32);
  const inImage = f.local(i32);
  const iy0 = f.local(i32);
  const ix0 = f.local(i32);
  const panel = f.local(i32);
  const bias = f.local(i32);
  const out = f.local(i32);
  const res = f.local(i32);
  const ox = f.local(i32);
  const s = f.local(i32);
  const checked = f.local(i32);
  const outPixel = f.local(i32);
  const resPixel = f.local(i32);
  const sw = f.local(i32);
  const width = f.local(i32);
  const reach = f.local(i32);
  const padLeft = f.local(i32);

  field(f, desc, "oh").localSet(oh);
  field(f, desc, "ow").localSet(ow);
  field(f, desc, "outPixel").localSet(outPixel);
  field(f, desc, "resPixel").localSet(resPixel);
  field(f, desc, "sw").localSet(sw);
  field(f, desc, "width").localSet(width);
  field(f, desc, "padLeft").localSet(padLeft);
  // How far right of a pixel's first tap its last tap reads: (kw − 1)·dw.
  field(f, desc, "kw").i32Const(1).i32Sub();
  field(f, desc, "dw").i32Mul().localSet(reach);

  chunksOfBlocks(f, { desc, rowStart, rowEnd, obStart, obEnd, chunk, chunkEnd, ob, panel, bias }, () => {
    f.localGet(chunk).localSet(row);
    f.loop(); // rows of the chunk
    {
      f.localGet(row).localGet(oh).i32DivU().localSet(n);
      f.localGet(row).localGet(n).localGet(oh).i32Mul().i32Sub().localSet(oy);
      field(f, desc, "input").localGet(n);
      field(f, desc, "inImage").i32Mul().i32Add().localSet(inImage);
      f.localGet(oy);
      field(f, desc, "sh").i32Mul();
      field(f, desc, "padTop").i32Sub().localSet(iy0);
      // out = output + n·outImage + oy·ow·outPixel + ob·32
      field(f, desc, "output").localGet(n);
      field(f, desc, "outImage").i32Mul().i32Add();
      f.localGet(oy).localGet(ow).i32Mul().localGet(outPixel).i32Mul().i32Add();
      f.localGet(ob).i32Const(32).i32Mul().i32Add().localSet(out);
      field(f, desc, "residual").localTee(res).if();
      {
        f.localGet(res).localGet(n);
        field(f, desc, "resImage").i32Mul().i32Add();
        f.localGet(oy).localGet(ow).i32Mul().localGet(resPixel).i32Mul().i32Add();
        f.localGet(ob).i32Const(32).i32Mul().i32Add().localSet(res);
      }
      f.end();
      f.i32Const(0).localSet(ox);
      f.loop(); // tiles of the row
      {
        // Balanced tile widths: the rest of the row, ow − ox, in ⌈(ow − ox) / mr⌉ tiles of
        // nearly equal width (mr = 4: 14 = 4+4+3+3, not 4+4+4+2; mr = 6: 7 = 4+3, not 6+1),
        // as a narrow tile runs at a fraction of a wide one's speed.
        // (`checked` holds the count of tiles for a moment.)
        f.localGet(ow).localGet(ox).i32Sub().localTee(s).i32Const(mr - 1).i32Add().i32Const(mr).i32DivU().localSet(checked);
        f.localGet(s).localGet(checked).i32Add().i32Const(1).i32Sub().localGet(checked).i32DivU().localSet(s);
        f.localGet(ox).localGet(sw).i32Mul().localGet(padLeft).i32Sub().localSet(ix0);
        // checked: the first pixel's first tap is left of the image, or the last pixel's last
        // tap right of it.
        f.localGet(ix0).i32Const(0).i32LtS();
        f.localGet(ix0).localGet(s).i32Const(1).i32Sub().localGet(sw).i32Mul().i32Add().localGet(reach).i32Add().localGet(width).i32GeS();
        f.i32Or().localSet(checked);
        for (let size = mr; size >= 1; size--) {
          f.localGet(s).i32Const(size).i32Sub().i32Eqz().if();
          {
            const args = (): void => {
              f.localGet(desc).localGet(inImage).localGet(iy0).localGet(ix0).localGet(panel).localGet(bias).localGet(out).localGet(res);
            };
            f.localGet(checked).if();
            args();
            f.call(tileIndex(size, true));
            f.else();
            args();
            f.call(tileIndex(size, false));
            f.end();
          }
          f.end();
        }
        f.localGet(out).localGet(s).localGet(outPixel).i32Mul().i32Add().localSet(out);
        f.localGet(res).if();
        f.localGet(res).localGet(s).localGet(resPixel).i32Mul().i32Add().localSet(res);
        f.end();
        f.localGet(ox).localGet(s).i32Add().localTee(ox).localGet(ow).i32LtU().brIf(0);
      }
      f.end();
      f.localGet(row).i32Const(1).i32Add().localTee(row).localGet(chunkEnd).i32LtU().brIf(0);
    }
    f.end();
  });
  return f;
}

/**
 * `conv_pointwise_rows(desc, rowStart, rowEnd, obStart, obEnd)`, which `conv_rows` calls for a
 * descriptor whose `pointwise` word is set: a 1×1 conv, stride 1, no padding, over images stored
 * whole (rows and images back to back, in the input, the output and the residual), so that rows
 * `[rowStart, rowEnd)` are one run of pixels. Per chunk of rows and channel block it walks the run
 * `mr` pixels at a time in one loop — the reduction, the residual, relu, the ceiling and the
 * stores inline — where `conv_rows` calls a tile function for each tile, whose call, setup and
 * epilogue took about a third of a 16-channel conv's time. The run's last pixels (fewer than
 * `mr`) go to the unchecked tile of their width.
 */
function pointwiseBody(mr: number, tileIndex: (s: number, checked: boolean) => number, fma: boolean): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32]);
  const [desc, rowStart, rowEnd, obStart, obEnd] = [0, 1, 2, 3, 4];
  const ow = f.local(i32);
  const inPixel = f.local(i32);
  const outPixel = f.local(i32);
  const resPixel = f.local(i32);
  const steps = f.local(i32);
  const chunk = f.local(i32);
  const chunkEnd = f.local(i32);
  const ob = f.local(i32);
  const panel = f.local(i32);
  const bias = f.local(i32);
  const pixel = f.local(i32);
  const end = f.local(i32);
  const inp = f.local(i32);
  const out = f.local(i32);
  const res = f.local(i32);
  const flags = f.local(i32);
  const wp = f.local(i32);
  const wEnd = f.local(i32);
  const rest = f.local(i32);
  const p = Array.from({ length: mr }, () => f.local(i32));
  const acc = Array.from({ length: mr }, () => [f.local(v128), f.local(v128)]);
  const [w0, w1, a, b0, b1, ceiling] = [f.local(v128), f.local(v128), f.local(v128), f.local(v128), f.local(v128), f.local(v128)];

  field(f, desc, "ow").localSet(ow);
  field(f, desc, "inPixel").localSet(inPixel);
  field(f, desc, "outPixel").localSet(outPixel);
  field(f, desc, "resPixel").localSet(resPixel);
  field(f, desc, "flags").localSet(flags);
  f.localGet(desc).f32Load(ConvDesc.ceiling * 4).f32x4Splat().localSet(ceiling);
  // Steps of the reduction: the real input channels, the `tapChannels` the step sets for every
  // 1-wide kernel.
  field(f, desc, "tapChannels").localSet(steps);

  chunksOfBlocks(f, { desc, rowStart, rowEnd, obStart, obEnd, chunk, chunkEnd, ob, panel, bias }, () => {
    f.localGet(bias).v128Load(0).localSet(b0);
    f.localGet(bias).v128Load(16).localSet(b1);
    // The run of pixels [chunk·ow, chunkEnd·ow) and its pointers.
    f.localGet(chunk).localGet(ow).i32Mul().localTee(pixel).localGet(inPixel).i32Mul();
    field(f, desc, "input").i32Add().localSet(inp);
    f.localGet(pixel).localGet(outPixel).i32Mul();
    field(f, desc, "output").i32Add().localGet(ob).i32Const(32).i32Mul().i32Add().localSet(out);
    field(f, desc, "residual").localTee(res).if();
    f.localGet(pixel).localGet(resPixel).i32Mul().localGet(res).i32Add().localGet(ob).i32Const(32).i32Mul().i32Add().localSet(res);
    f.end();
    f.localGet(chunkEnd).localGet(ow).i32Mul().localSet(end);
    f.block();
    f.loop(); // tiles of mr pixels
    {
      f.localGet(end).localGet(pixel).i32Sub().localTee(rest).i32Const(mr).i32LtU().brIf(1);
      for (const [lo, hi] of acc) {
        f.localGet(b0).localSet(lo);
        f.localGet(b1).localSet(hi);
      }
      f.localGet(inp).localSet(p[0]);
      for (let r = 1; r < mr; r++) f.localGet(p[r - 1]).localGet(inPixel).i32Add().localSet(p[r]);
      f.localGet(panel).localTee(wp).localGet(steps).i32Const(5).i32Shl().i32Add().localSet(wEnd);
      reductionLoop(f, { p, acc, w0, w1, a, wp, wEnd, fma });
      // Epilogue: residual, relu, ceiling, store; `wp` walks the pixels.
      tileEpilogue(f, { acc, res, resPixel, out, outPixel, walk: wp, a }, () => f.localGet(flags), () => f.localGet(ceiling));
      f.localGet(res).if();
      f.localGet(res).localGet(resPixel).i32Const(mr).i32Mul().i32Add().localSet(res);
      f.end();
      f.localGet(inp).localGet(inPixel).i32Const(mr).i32Mul().i32Add().localSet(inp);
      f.localGet(out).localGet(outPixel).i32Const(mr).i32Mul().i32Add().localSet(out);
      f.localGet(pixel).i32Const(mr).i32Add().localSet(pixel);
      f.br(0);
    }
    f.end();
    f.end();
    // The last `rest` < mr pixels: an unchecked tile whose "image" starts at the first of them,
    // at its row 0 and column 0 (1×1 with no padding: its one tap reads exactly that pixel).
    for (let size = 1; size < mr; size++) {
      f.localGet(rest).i32Const(size).i32Eq().if();
      f.localGet(desc).localGet(inp).i32Const(0).i32Const(0).localGet(panel).localGet(bias).localGet(out).localGet(res);
      f.call(tileIndex(size, false));
      f.end();
    }
  });
  return f;
}
