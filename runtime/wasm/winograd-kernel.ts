/**
 * Generates the Winograd convolutions F(2×2, 3×3) and F(4×4, 3×3) of the plan executor, for 3×3
 * convs with stride 1 and no dilation over the channels-last blocked layout of `conv-kernel.ts`
 * (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). F(2×2, 3×3) is
 * described here; F(4×4, 3×3) (`wino4_…`) has the same drivers and GEMMs over 6×6 input tiles
 * and {@link WINO4_XIS} values of ξ, with its own matrices in the transforms (`inputBody` and
 * `outputBody` of side 6, `weight4Body`, whose U is never kept):
 *
 *   Y = Aᵀ [ Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B) ] A
 *
 * for each 2×2 block of output pixels, whose 4×4 input tile is `d`. Per output block the 9·4
 * multiply-adds per channel pair become 16, so the conv needs 2.25× fewer. The 16 element-wise
 * products summed over input channels are 16 independent GEMMs ("ξ" below, 0…15), which run on
 * the direct conv's register tile and reduction loop, over a scratch layout `[ξ][tile][Cs]`.
 *
 * `wino_rows(desc, rowStart, rowEnd, thread)` computes the rows `n·TH + ty` of output blocks in
 * `[rowStart, rowEnd)` (TH = ⌈OH / 2⌉), a chunk of at most `chunk` tiles of one row at a time:
 *
 * 1. `wino_in`: each tile's 4×4 input pixels (zeros outside the image), per quad of channels,
 *    transformed to V = Bᵀ d B and stored at `V + ξ·vXi + t·inPixel`;
 * 2. for each block of 8 output channels, each group of ≤ mr tiles of the chunk and each ξ, the
 *    tiles' rows of V times the packed transformed weights `U[ξ][ob][c][8]` (`wino_gemm_s`: the direct
 *    conv's register tile and reduction loop, without its descriptor, taps, bias or epilogue,
 *    which cost as much as the 16-step reduction of a 16-channel layer);
 * 3. `wino_out`: per tile and quad of output channels, Y = Aᵀ M A, plus bias (and the residual),
 *    relu, stored to the output pixels inside the image. The GEMMs write M as `[tile][quad][ξ]`
 *    (each quad's 16 values in 256 consecutive bytes), so this step reads them at constant
 *    offsets from one pointer.
 *
 * Each thread uses its own scratch (`scratch + thread·scratchStride`), so disjoint row ranges
 * may run on different threads. The transforms' coefficients are 0, ±1 (B, A) and ±½ (G, whose
 * halves are applied to V, as powers of two: see `wino_u`), so besides the reordered sums the
 * result matches the direct conv to rounding. F(4×4, 3×3)'s are up to 8 (Aᵀ) and as small as
 * 1/24 (G), so it rounds more: a few millionths of the output's largest value (docs/performance.md).
 */
import { reductionLoop } from "./conv-kernel.js";
import { FunctionBody, ValueType } from "./instructions.js";
import { advance } from "./loops.js";
import { winograd4Input, winograd4Output, winograd4WeightLocals, winograd4WeightTile } from "./winograd4-transforms.js";
import type { ModuleFunction } from "./module.js";

/** The fields of a Winograd descriptor: i32 words at `desc + 4·field`; pointers and strides in bytes. */
export const WinoDesc = {
  input: 0, inImage: 1, inRow: 2, inPixel: 3, height: 4, width: 5, icQuads: 6, padTop: 7, padLeft: 8,
  u: 9, uXi: 10, panel: 11, ocBlocks: 12, bias: 13,
  output: 14, outImage: 15, outPixel: 16, residual: 17, resImage: 18, resPixel: 19,
  oh: 20, ow: 21, th: 22, tw: 23, flags: 24,
  zero: 25, scratch: 26, scratchStride: 27, chunk: 28, vXi: 29,
} as const;
/** Words in a Winograd descriptor. */
export const WINO_DESC_WORDS = 30;
/**
 * The fields a wide Winograd conv's descriptor adds after {@link WinoDesc} (`wino_blocks`): the
 * direct conv's packed weights (`src`, `srcPanel` bytes per block of 8 output channels), each
 * thread's U block and M row (`base + thread·stride`), the rows of output blocks of the current
 * pass (`passStart` ≤ row < `passEnd`, whose V starts at `vPass`), and one descriptor per output
 * block for `wino_out` (`blockDescs`, {@link WINO_DESC_WORDS} words each).
 */
export const WinoWide = {
  src: 30, srcPanel: 31, uBase: 32, uStride: 33, mBase: 34, mStride: 35, passStart: 36, passEnd: 37, blockDescs: 38, vPass: 39,
} as const;
/** Words in a wide Winograd descriptor. */
export const WINO_WIDE_DESC_WORDS = 40;
/** Export name of the row driver. */
export const WINO_ROWS = "wino_rows";

const { i32, v128 } = ValueType;

/**
 * The functions of the Winograd conv F(2×2, 3×3) (`tile` 2): `wino_rows`, `wino_in`, `wino_out`,
 * then `wino_gemm_s` for s = 1 … mr, then `wino_u`, `wino_blocks` and `wino_pass_in`; or those of
 * F(4×4, 3×3) (`tile` 4), named `wino4_…` (see {@link WINO4_XIS}). `firstIndex` is the module
 * index the row driver will have.
 */
export function winogradFunctions(firstIndex: number, mr: number, fma: boolean, tile: 2 | 4 = 2): ModuleFunction[] {
  const prefix = tile === 2 ? "wino" : "wino4";
  const xis = tile === 2 ? 16 : WINO4_XIS;
  const gemmIndex = (s: number): number => firstIndex + 2 + s;
  const gemms = Array.from({ length: mr }, (_, k) => ({ name: `${prefix}_gemm_${k + 1}`, results: [], body: gemmBody(k + 1, fma, xis) }));
  const weightIndex = firstIndex + 3 + mr;
  return [
    { name: `${prefix}_rows`, results: [], body: rowsBody(mr, gemmIndex, firstIndex + 1, firstIndex + 2, xis) },
    { name: `${prefix}_in`, results: [], body: inputBody(tile === 2 ? 4 : 6) },
    { name: `${prefix}_out`, results: [], body: outputBody(tile === 2 ? 4 : 6) },
    ...gemms,
    { name: `${prefix}_u`, results: [], body: tile === 2 ? weightBody() : weight4Body() },
    { name: `${prefix}_blocks`, results: [], body: blocksBody(mr, gemmIndex, weightIndex, firstIndex + 2, xis) },
    { name: `${prefix}_pass_in`, results: [], body: passInputBody(firstIndex + 1) },
  ];
}

/**
 * `wino_u(src, dst, channels, uXi)`: U = G g Gᵀ, with
 *
 *   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
 *
 * for one block of 8 output channels, without G's halves, which `wino_in` applies to V instead:
 * U's value at ξ = (row, column) is 2 or 4 times G g Gᵀ's when the row, the column or both are 1
 * or 2, V's as many times smaller, so their products are the same (exactly: the factors are
 * powers of two); on V the scaling costs a multiply per value of a tile, on U it cost 14 per
 * channel pair of every block. `src` is the block's panel of the weights as
 * `packWinogradSource` packs them (`[channel][ky][kx][8]`: one stream of loads), and U for
 * channel i and ξ = 4·row + column is stored at `dst + ξ·uXi + 32·i` (`uXi` should not be a
 * multiple of 4 KiB: sixteen stores a channel, 4 KiB apart, would share one set of the L1 cache).
 * Each of G's half-sums is then a + d ± b in f32.
 */
function weightBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32]);
  const [src, dst, channels, uXi] = [0, 1, 2, 3];
  const xiOffset = Array.from({ length: 16 }, () => f.local(i32));
  const ch = f.local(i32);
  const g = Array.from({ length: 9 }, () => f.local(v128));
  const t = Array.from({ length: 12 }, () => f.local(v128)); // t[3·row + kx]: (G g)[row][kx]
  const sum = f.local(v128);
  f.localGet(channels).i32Eqz().if().return().end();
  for (let xi = 1; xi < 16; xi++) f.localGet(uXi).i32Const(xi).i32Mul().localSet(xiOffset[xi]);
  f.localGet(channels).localSet(ch);
  f.loop();
  {
    for (let h = 0; h < 2; h++) {
      for (let k = 0; k < 9; k++) f.localGet(src).v128Load(32 * k + 16 * h).localSet(g[k]);
      // G g: rows 0 and 3 are g's rows 0 and 2; rows 1 and 2 the half-sums down each column.
      for (let kx = 0; kx < 3; kx++) {
        f.localGet(g[kx]).localSet(t[kx]);
        f.localGet(g[6 + kx]).localSet(t[9 + kx]);
        f.localGet(g[kx]).localGet(g[6 + kx]).f32x4Add().localSet(sum);
        f.localGet(sum).localGet(g[3 + kx]).f32x4Add().localSet(t[3 + kx]);
        f.localGet(sum).localGet(g[3 + kx]).f32x4Sub().localSet(t[6 + kx]);
      }
      // (G g) Gᵀ, row by row, stored at ξ = 4·row + column.
      const store = (xi: number, value: () => void): void => {
        f.localGet(dst);
        if (xi > 0) f.localGet(xiOffset[xi]).i32Add();
        value();
        f.v128Store(16 * h);
      };
      for (let row = 0; row < 4; row++) {
        const [a, b, d] = [t[3 * row], t[3 * row + 1], t[3 * row + 2]];
        f.localGet(a).localGet(d).f32x4Add().localSet(sum);
        store(4 * row, () => f.localGet(a));
        store(4 * row + 1, () => f.localGet(sum).localGet(b).f32x4Add());
        store(4 * row + 2, () => f.localGet(sum).localGet(b).f32x4Sub());
        store(4 * row + 3, () => f.localGet(d));
      }
    }
    f.localGet(src).i32Const(9 * 32).i32Add().localSet(src);
    f.localGet(dst).i32Const(32).i32Add().localSet(dst);
    f.localGet(ch).i32Const(1).i32Sub().localTee(ch).brIf(0);
  }
  f.end();
  return f;
}

/**
 * `wino_pass_in(desc, rowStart, rowEnd)`: V of the rows `[rowStart, rowEnd)` of output blocks of
 * a wide Winograd conv's current pass (`wino_in` over each row's tiles, at `vPass` + the row's
 * place in the pass). Rows write disjoint parts of V, so disjoint ranges may run on different threads.
 */
function passInputBody(inIndex: number): FunctionBody {
  const f = new FunctionBody([i32, i32, i32]);
  const [desc, rowStart, rowEnd] = [0, 1, 2];
  const get = getter(f, desc);
  const wide = (name: keyof typeof WinoWide): FunctionBody => f.localGet(desc).i32Load(WinoWide[name] * 4);
  const [row, n, th, tw, rowV] = Array.from({ length: 5 }, () => f.local(i32));
  get("th").localSet(th);
  get("tw").localSet(tw);
  f.localGet(tw);
  get("inPixel").i32Mul().localSet(rowV);
  f.localGet(rowStart).localSet(row);
  f.block();
  f.loop();
  {
    f.localGet(row).localGet(rowEnd).i32GeU().brIf(1);
    f.localGet(row).localGet(th).i32DivU().localSet(n);
    f.localGet(desc).localGet(n);
    f.localGet(row).localGet(n).localGet(th).i32Mul().i32Sub();
    f.i32Const(0).localGet(tw);
    wide("vPass").localGet(row);
    wide("passStart").i32Sub().localGet(rowV).i32Mul().i32Add();
    f.call(inIndex);
    f.localGet(row).i32Const(1).i32Add().localSet(row);
    f.br(0);
  }
  f.end();
  f.end();
  return f;
}

/**
 * `wino_blocks(desc, obStart, obEnd, thread)`: the output blocks `[obStart, obEnd)` of the rows
 * of the current pass of a wide Winograd conv ({@link WinoWide}), whose V the caller has
 * computed (`wino_in`, all tiles of the pass). Per block: its U into the thread's U block
 * (`wino_u`), then per row of output blocks the GEMMs of its tiles into the thread's M row and
 * `wino_out` with the block's own descriptor. The U block is `[ξ][channel][8]`, `uXi` bytes per ξ. Blocks write disjoint channels, so disjoint block
 * ranges may run on different threads.
 */
function blocksBody(mr: number, gemmIndex: (s: number) => number, weightIndex: number, outIndex: number, xis: number): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32]);
  const [desc, obStart, obEnd, thread] = [0, 1, 2, 3];
  const get = getter(f, desc);
  const wide = (name: keyof typeof WinoWide): FunctionBody => f.localGet(desc).i32Load(WinoWide[name] * 4);
  const [u, m, ob, row, n, ty, vRow, t, s, group] = Array.from({ length: 10 }, () => f.local(i32));
  const [inPixel, steps, th, tw, vXi, uXi, tiles, width, wider] = Array.from({ length: 9 }, () => f.local(i32));

  get("inPixel").localSet(inPixel);
  get("icQuads").i32Const(2).i32Shl().localSet(steps);
  get("th").localSet(th);
  get("tw").localSet(tw);
  get("vXi").localSet(vXi);
  get("uXi").localSet(uXi);
  wide("uBase").localGet(thread);
  wide("uStride").i32Mul().i32Add().localSet(u);
  wide("mBase").localGet(thread);
  wide("mStride").i32Mul().i32Add().localSet(m);
  // A row's tiles in ⌈tw / mr⌉ groups of nearly equal width, as `wino_rows` cuts a chunk.
  f.localGet(tw).i32Const(mr - 1).i32Add().i32Const(mr).i32DivU().localSet(tiles);
  f.localGet(tw).localGet(tiles).i32DivU().localSet(width);
  f.localGet(tw).localGet(width).localGet(tiles).i32Mul().i32Sub().localSet(wider);

  f.localGet(obStart).localSet(ob);
  f.block();
  f.loop(); // output blocks
  {
    f.localGet(ob).localGet(obEnd).i32GeU().brIf(1);
    wide("src").localGet(ob);
    wide("srcPanel").i32Mul().i32Add().localGet(u).localGet(steps).localGet(uXi).call(weightIndex);
    wide("passStart").localSet(row);
    f.block();
    f.loop(); // rows of output blocks in the pass
    {
      f.localGet(row);
      wide("passEnd").i32GeU().brIf(1);
      f.localGet(row).localGet(th).i32DivU().localSet(n);
      f.localGet(row).localGet(n).localGet(th).i32Mul().i32Sub().localSet(ty);
      wide("vPass").localGet(row);
      wide("passStart").i32Sub().localGet(tw).i32Mul().localGet(inPixel).i32Mul().i32Add().localSet(vRow);
      f.i32Const(0).localSet(t);
      f.i32Const(0).localSet(group);
      f.loop(); // the row's tiles, in balanced groups of ≤ mr, each through the GEMMs of every ξ
      {
        f.localGet(width).localGet(group).localGet(wider).i32LtU().i32Add().localSet(s);
        for (let size = mr; size >= 1; size--) {
          f.localGet(s).i32Const(size).i32Eq().if();
          f.localGet(vRow).localGet(t).localGet(inPixel).i32Mul().i32Add().localGet(inPixel);
          f.localGet(u);
          f.localGet(m).localGet(t).i32Const(32 * xis).i32Mul().i32Add().i32Const(32 * xis);
          f.localGet(steps).localGet(vXi).localGet(uXi).call(gemmIndex(size));
          f.end();
        }
        f.localGet(group).i32Const(1).i32Add().localSet(group);
        f.localGet(t).localGet(s).i32Add().localTee(t).localGet(tw).i32LtU().brIf(0);
      }
      f.end();
      wide("blockDescs").localGet(ob).i32Const(WINO_DESC_WORDS * 4).i32Mul().i32Add();
      f.localGet(n).localGet(ty).i32Const(0).localGet(tw).localGet(m).call(outIndex);
      f.localGet(row).i32Const(1).i32Add().localSet(row);
      f.br(0);
    }
    f.end();
    f.end();
    f.localGet(ob).i32Const(1).i32Add().localSet(ob);
    f.br(0);
  }
  f.end();
  f.end();
  return f;
}

/**
 * `wino_gemm_s(v, vPixel, panel, m, mTile, steps, vXi, uXi)`: for each ξ, `s` rows of V
 * (`vPixel` bytes apart, from `v + ξ·vXi`) times the `steps × 8` panel at `panel + ξ·uXi`, stored
 * for each row r at `m + r·mTile + 16·ξ` (first quad) and 256 bytes further (second quad): M's
 * `[tile][quad][ξ]` layout. The ξ loop around the reduction also makes TurboFan unroll the
 * reduction loop twice, which it does not do for a loop at a function's top.
 */
function gemmBody(s: number, fma: boolean, xis = 16): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32]);
  const [v, vPixel, panel, m, mTile, steps, vXi, uXi] = [0, 1, 2, 3, 4, 5, 6, 7];
  const xi = f.local(i32);
  const wp = f.local(i32);
  const wEnd = f.local(i32);
  const out = f.local(i32);
  const p = Array.from({ length: s }, () => f.local(i32));
  const acc = Array.from({ length: s }, () => [f.local(v128), f.local(v128)]);
  const [w0, w1, a] = [f.local(v128), f.local(v128), f.local(v128)];
  f.i32Const(xis).localSet(xi);
  f.loop();
  {
    f.localGet(v).localSet(p[0]);
    for (let r = 1; r < s; r++) f.localGet(p[r - 1]).localGet(vPixel).i32Add().localSet(p[r]);
    f.localGet(panel).localSet(wp);
    f.localGet(panel).localGet(steps).i32Const(5).i32Shl().i32Add().localSet(wEnd);
    f.f32Const(0).f32x4Splat().localSet(a);
    for (const value of acc.flat()) f.localGet(a).localSet(value);
    reductionLoop(f, { p, acc, w0, w1, a, wp, wEnd, fma });
    f.localGet(m).localSet(out);
    for (let r = 0; r < s; r++) {
      for (let h = 0; h < 2; h++) f.localGet(out).localGet(acc[r][h]).v128Store(h * 16 * xis);
      if (r + 1 < s) f.localGet(out).localGet(mTile).i32Add().localSet(out);
    }
    f.localGet(v).localGet(vXi).i32Add().localSet(v);
    f.localGet(panel).localGet(uXi).i32Add().localSet(panel);
    f.localGet(m).i32Const(16).i32Add().localSet(m);
    f.localGet(xi).i32Const(1).i32Sub().localTee(xi).brIf(0);
  }
  f.end();
  return f;
}

function getter(f: FunctionBody, desc: number) {
  return (name: keyof typeof WinoDesc): FunctionBody => f.localGet(desc).i32Load(WinoDesc[name] * 4);
}

/** `wino_rows(desc, rowStart, rowEnd, thread)` (and `wino4_rows`, whose tiles have `xis` = 36 values of ξ). */
function rowsBody(mr: number, gemmIndex: (s: number) => number, inIndex: number, outIndex: number, xis = 16): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32]);
  const [desc, rowStart, rowEnd, thread] = [0, 1, 2, 3];
  const get = getter(f, desc);
  const v = f.local(i32);
  const m = f.local(i32);
  const row = f.local(i32);
  const n = f.local(i32);
  const ty = f.local(i32);
  const tx = f.local(i32);
  const count = f.local(i32);
  const ob = f.local(i32);
  const t = f.local(i32);
  const s = f.local(i32);
  const tiles = f.local(i32);
  const width = f.local(i32);
  const wider = f.local(i32);
  const group = f.local(i32);
  const inPixel = f.local(i32);
  const mTile = f.local(i32);
  const vXi = f.local(i32);
  const steps = f.local(i32);

  get("scratch").localGet(thread);
  get("scratchStride").i32Mul().i32Add().localSet(v);
  get("vXi").localSet(vXi);
  f.localGet(v).localGet(vXi).i32Const(xis).i32Mul().i32Add().localSet(m);
  get("inPixel").localSet(inPixel);
  // A tile of M: 2 quads per block of 8 channels, `xis` values of ξ each.
  get("ocBlocks").i32Const(32 * xis).i32Mul().localSet(mTile);
  get("icQuads").i32Const(2).i32Shl().localSet(steps);

  f.localGet(rowStart).localSet(row);
  f.block();
  f.loop(); // rows of output blocks
  {
    f.localGet(row).localGet(rowEnd).i32GeU().brIf(1);
    f.localGet(row);
    get("th").i32DivU().localSet(n);
    f.localGet(row).localGet(n);
    get("th").i32Mul().i32Sub().localSet(ty);
    f.i32Const(0).localSet(tx);
    f.loop(); // chunks of the row
    {
      // count = min(chunk, tw − tx)
      get("tw").localGet(tx).i32Sub().localSet(count);
      f.localGet(count);
      get("chunk");
      f.localGet(count);
      get("chunk").i32LtU().select().localSet(count);
      f.localGet(desc).localGet(n).localGet(ty).localGet(tx).localGet(count).localGet(v).call(inIndex);
      // The chunk's tiles in ⌈count / mr⌉ groups of nearly equal width (as the direct conv cuts
      // its rows): `wider` groups of `width + 1`, then groups of `width`. Once per chunk, not
      // per GEMM: divisions are slow.
      f.localGet(count).i32Const(mr - 1).i32Add().i32Const(mr).i32DivU().localSet(tiles);
      f.localGet(count).localGet(tiles).i32DivU().localSet(width);
      f.localGet(count).localGet(width).localGet(tiles).i32Mul().i32Sub().localSet(wider);
      f.i32Const(0).localSet(ob);
      f.loop(); // blocks of 8 output channels
      {
        f.i32Const(0).localSet(t);
        f.i32Const(0).localSet(group);
        f.loop(); // tiles of the chunk, in balanced groups of ≤ mr, each through the GEMMs of every ξ
        {
          // s = width + (group < wider ? 1 : 0)
          f.localGet(width).localGet(group).localGet(wider).i32LtU().i32Add().localSet(s);
          for (let size = mr; size >= 1; size--) {
            f.localGet(s).i32Const(size).i32Eq().if();
            f.localGet(v).localGet(t).localGet(inPixel).i32Mul().i32Add().localGet(inPixel);
            get("u").localGet(ob);
            get("panel").i32Mul().i32Add();
            f.localGet(m).localGet(t).localGet(mTile).i32Mul().i32Add().localGet(ob).i32Const(32 * xis).i32Mul().i32Add().localGet(mTile);
            f.localGet(steps).localGet(vXi);
            get("uXi").call(gemmIndex(size));
            f.end();
          }
          f.localGet(group).i32Const(1).i32Add().localSet(group);
          f.localGet(t).localGet(s).i32Add().localTee(t).localGet(count).i32LtU().brIf(0);
        }
        f.end();
        f.localGet(ob).i32Const(1).i32Add().localTee(ob);
        get("ocBlocks").i32LtU().brIf(0);
      }
      f.end();
      f.localGet(desc).localGet(n).localGet(ty).localGet(tx).localGet(count).localGet(m).call(outIndex);
      f.localGet(tx).localGet(count).i32Add().localTee(tx);
      get("tw").i32LtU().brIf(0);
    }
    f.end();
    f.localGet(row).i32Const(1).i32Add().localSet(row);
    f.br(0);
  }
  f.end();
  f.end();
  return f;
}

/**
 * `wino_in(desc, n, ty, tx0, count, v)`: V = Bᵀ d B for tiles `tx0 … tx0 + count − 1` of block
 * row `ty` of image `n`, each tile's `side` × `side` input pixels `d` (zeros outside the image)
 * from ((side − 2)·ty − padTop, (side − 2)·tx − padLeft). F(2×2, 3×3) (`side` 4):
 *
 *   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
 *
 * with G's halves, which `wino_u` leaves out of U, applied to V instead. F(4×4, 3×3) (`side` 6,
 * `wino4_in`):
 *
 *   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1].
 *
 * First each input row i: T[i][·] = d[i][·] B, stored at ξ = side·i + j; then each column j:
 * V[·][j] = Bᵀ T[·][j], in place.
 */
function inputBody(side: 4 | 6): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32]);
  const [desc, n, ty, tx0, count, v] = [0, 1, 2, 3, 4, 5];
  const get = getter(f, desc);
  const [t, image, iy, ix, y, rowPtr, vt, q, quads, height, width, inPixel, vXi, zero] = Array.from({ length: 14 }, () => f.local(i32));
  const p = Array.from({ length: side }, () => f.local(i32));
  const dst = Array.from({ length: side }, () => f.local(i32));
  const x = Array.from({ length: side }, () => f.local(v128));
  // F(2×2, 3×3): ½ and ¼; F(4×4, 3×3): the temporaries t1, t2 and the factors 4 and 2.
  const [c0, c1, t1, t2] = Array.from({ length: 4 }, () => f.local(v128));
  const shift = side === 4 ? 1 : 2; // log2 of a block's outputs per side

  f.f32Const(side === 4 ? 0.5 : 4).f32x4Splat().localSet(c0);
  f.f32Const(side === 4 ? 0.25 : 2).f32x4Splat().localSet(c1);
  get("icQuads").localSet(quads);
  get("height").localSet(height);
  get("width").localSet(width);
  get("inPixel").localSet(inPixel);
  get("vXi").localSet(vXi);
  get("zero").localSet(zero);
  get("input").localGet(n);
  get("inImage").i32Mul().i32Add().localSet(image);
  f.localGet(ty).i32Const(shift).i32Shl();
  get("padTop").i32Sub().localSet(iy);

  // The outputs of one transform x·B (or Bᵀ·x) of the inputs in `x`, each handed to `store`.
  const transform = (store: (k: number, push: () => void) => void): void => {
    if (side === 4) {
      store(0, () => f.localGet(x[0]).localGet(x[2]).f32x4Sub());
      store(1, () => f.localGet(x[1]).localGet(x[2]).f32x4Add());
      store(2, () => f.localGet(x[2]).localGet(x[1]).f32x4Sub());
      store(3, () => f.localGet(x[1]).localGet(x[3]).f32x4Sub());
      return;
    }
    winograd4Input(f, x, [c0, c1, t1, t2], store);
  };
  /** Stores output k at dst[k], scaled by `factor` (G's halves of F(2×2, 3×3)) unless 1. */
  const storeAt = (factor: (k: number) => number) => (k: number, push: () => void): void => {
    f.localGet(dst[k]);
    push();
    if (factor(k) !== 1) f.localGet(factor(k) === 0.5 ? c0 : c1).f32x4Mul();
    f.v128Store(0);
  };

  f.i32Const(0).localSet(t);
  f.loop(); // tiles
  {
    f.localGet(tx0).localGet(t).i32Add().i32Const(shift).i32Shl();
    get("padLeft").i32Sub().localSet(ix);
    f.localGet(v).localGet(t).localGet(inPixel).i32Mul().i32Add().localSet(vt);
    for (let i = 0; i < side; i++) {
      f.localGet(iy).i32Const(i).i32Add().localSet(y);
      f.localGet(image).localGet(y).localGet(width).i32Mul().localGet(ix).i32Add().localGet(inPixel).i32Mul().i32Add().localSet(rowPtr);
      for (let j = 0; j < side; j++) {
        // p[j] = (y, ix + j) inside the image ? its pixel : the row of zeros
        f.localGet(rowPtr).i32Const(j).localGet(inPixel).i32Mul().i32Add();
        f.localGet(zero);
        f.localGet(y).localGet(height).i32LtU();
        f.localGet(ix).i32Const(j).i32Add().localGet(width).i32LtU().i32And();
        f.select().localSet(p[j]);
        f.localGet(vt).localGet(vXi).i32Const(side * i + j).i32Mul().i32Add().localSet(dst[j]);
      }
      f.localGet(quads).localSet(q);
      f.loop();
      {
        for (let j = 0; j < side; j++) f.localGet(p[j]).v128Load(0).localSet(x[j]);
        transform(storeAt(() => 1));
        advance(f, [...p, ...dst], 16);
        f.localGet(q).i32Const(1).i32Sub().localTee(q).brIf(0);
      }
      f.end();
    }
    for (let j = 0; j < side; j++) {
      // Column j: the values at ξ = j, side + j, 2·side + j, ….
      for (let i = 0; i < side; i++) f.localGet(vt).localGet(vXi).i32Const(side * i + j).i32Mul().i32Add().localSet(dst[i]);
      // G's halves (F(2×2, 3×3)): ½ for row or column 1 or 2 of ξ, ¼ for both.
      const half = (k: number): number => (side === 4 && (k === 1 || k === 2) ? 0.5 : 1);
      f.localGet(quads).localSet(q);
      f.loop();
      {
        for (let i = 0; i < side; i++) f.localGet(dst[i]).v128Load(0).localSet(x[i]);
        transform(storeAt((k) => half(k) * half(j)));
        advance(f, dst, 16);
        f.localGet(q).i32Const(1).i32Sub().localTee(q).brIf(0);
      }
      f.end();
    }
    f.localGet(t).i32Const(1).i32Add().localTee(t).localGet(count).i32LtU().brIf(0);
  }
  f.end();
  return f;
}

/**
 * `wino_out(desc, n, ty, tx0, count, m)`: Y = Aᵀ M A for each tile and quad of output channels
 * (M's `side²` values at 16·ξ from the quad's start), plus bias, residual and relu, stored where
 * the block of (side − 2)² outputs lies inside the output. F(2×2, 3×3) (`side` 4):
 *
 *   Aᵀ = [1 1 1 0; 0 1 −1 −1];
 *
 * F(4×4, 3×3) (`side` 6, `wino4_out`):
 *
 *   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1].
 *
 * Per tile, each output pixel's output and residual pointers and whether it lies inside are
 * worked out once, before the loop over quads, which adds the quad's offset.
 */
function outputBody(side: 4 | 6): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32]);
  const [desc, n, ty, tx0, count, m] = [0, 1, 2, 3, 4, 5];
  const get = getter(f, desc);
  const out = side - 2; // outputs per side of a block
  const xis = side * side;
  const shift = side === 4 ? 1 : 2;
  const [t, oy0, ox0, oh, ow, mq, mTile, quads, q, bias, outImage, resImage, outPixel, resPixel, residual, relu, offset, pixel] =
    Array.from({ length: 18 }, () => f.local(i32));
  const outPtr = Array.from({ length: out * out }, () => f.local(i32));
  const resPtr = Array.from({ length: out * out }, () => f.local(i32));
  const inside = Array.from({ length: out * out }, () => f.local(i32));
  const r = Array.from({ length: out * side }, () => f.local(v128)); // r[side·a + j]: row a of Aᵀ M
  const x = Array.from({ length: side }, () => f.local(v128));
  const [s, d, s2, d2, value, biasV, zero, two, four, eight] = Array.from({ length: 10 }, () => f.local(v128));

  get("oh").localSet(oh);
  get("ow").localSet(ow);
  get("ocBlocks").i32Const(32 * xis).i32Mul().localSet(mTile);
  get("ocBlocks").i32Const(1).i32Shl().localSet(quads);
  get("outPixel").localSet(outPixel);
  get("resPixel").localSet(resPixel);
  get("residual").localSet(residual);
  get("flags").i32Const(1).i32And().localSet(relu);
  get("output").localGet(n);
  get("outImage").i32Mul().i32Add().localSet(outImage);
  f.localGet(residual).localGet(n);
  get("resImage").i32Mul().i32Add().localSet(resImage);
  f.localGet(ty).i32Const(shift).i32Shl().localSet(oy0);
  f.f32Const(0).f32x4Splat().localSet(zero);
  f.f32Const(2).f32x4Splat().localSet(two);
  f.f32Const(4).f32x4Splat().localSet(four);
  f.f32Const(8).f32x4Splat().localSet(eight);

  // The outputs of one transform Aᵀ·x of the inputs in `x`, each handed to `use`. F(2×2, 3×3):
  // x0 + x1 + x2, x1 − x2 − x3. F(4×4, 3×3): {@link winograd4Output}.
  const transform = (use: (k: number, push: () => void) => void): void => {
    if (side === 4) {
      use(0, () => f.localGet(x[0]).localGet(x[1]).f32x4Add().localGet(x[2]).f32x4Add());
      use(1, () => f.localGet(x[1]).localGet(x[2]).f32x4Sub().localGet(x[3]).f32x4Sub());
      return;
    }
    winograd4Output(f, x, [s, d, s2, d2, two, four, eight], use);
  };

  f.i32Const(0).localSet(t);
  f.loop(); // tiles
  {
    f.localGet(tx0).localGet(t).i32Add().i32Const(shift).i32Shl().localSet(ox0);
    for (let a = 0; a < out; a++) {
      for (let b = 0; b < out; b++) {
        const k = out * a + b;
        f.localGet(oy0).i32Const(a).i32Add().localGet(oh).i32LtU();
        f.localGet(ox0).i32Const(b).i32Add().localGet(ow).i32LtU().i32And().localSet(inside[k]);
        // the pixel's index (oy0 + a)·ow + ox0 + b, then its bytes in the output and residual
        f.localGet(oy0).i32Const(a).i32Add().localGet(ow).i32Mul().localGet(ox0).i32Add().i32Const(b).i32Add().localSet(pixel);
        f.localGet(pixel).localGet(outPixel).i32Mul().localGet(outImage).i32Add().localSet(outPtr[k]);
        f.localGet(pixel).localGet(resPixel).i32Mul().localGet(resImage).i32Add().localSet(resPtr[k]);
      }
    }
    f.localGet(m).localGet(t).localGet(mTile).i32Mul().i32Add().localSet(mq);
    get("bias").localSet(bias);
    f.i32Const(0).localSet(offset);
    f.localGet(quads).localSet(q);
    f.loop(); // quads of output channels
    {
      // Columns first: r[side·a + j] = (Aᵀ M)[a][j] from M's column j (ξ = side·i + j).
      for (let j = 0; j < side; j++) {
        for (let i = 0; i < side; i++) f.localGet(mq).v128Load(16 * (side * i + j)).localSet(x[i]);
        transform((a, push) => {
          push();
          f.localSet(r[side * a + j]);
        });
      }
      f.localGet(bias).localGet(offset).i32Add().v128Load(0).localSet(biasV);
      for (let a = 0; a < out; a++) {
        for (let j = 0; j < side; j++) f.localGet(r[side * a + j]).localSet(x[j]);
        transform((b, push) => {
          const k = out * a + b;
          push();
          f.localGet(biasV).f32x4Add().localSet(value);
          f.localGet(inside[k]).if();
          {
            f.localGet(residual).if();
            f.localGet(value).localGet(resPtr[k]).localGet(offset).i32Add().v128Load(0).f32x4Add().localSet(value);
            f.end();
            f.localGet(relu).if();
            f.localGet(value).localGet(zero).f32x4Pmax().localSet(value);
            f.end();
            f.localGet(outPtr[k]).localGet(offset).i32Add().localGet(value).v128Store(0);
          }
          f.end();
        });
      }
      f.localGet(offset).i32Const(16).i32Add().localSet(offset);
      f.localGet(mq).i32Const(16 * xis).i32Add().localSet(mq);
      f.localGet(q).i32Const(1).i32Sub().localTee(q).brIf(0);
    }
    f.end();
    f.localGet(t).i32Const(1).i32Add().localTee(t).localGet(count).i32LtU().brIf(0);
  }
  f.end();
  return f;
}

/** Values of ξ in an F(4×4, 3×3) tile: its 6 × 6 input pixels. */
export const WINO4_XIS = 36;

/**
 * `wino4_u(src, dst, channels, uXi)`: F(4×4, 3×3)'s U = G g Gᵀ, with
 *
 *   G = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1],
 *
 * for one block of 8 output channels, from and to the layouts of `wino_u`: U for channel i and
 * ξ = 6·row + column at `dst + ξ·uXi + 32·i`. Each row of G is applied as
 * (g0 + g2 ± g1)·(−⅙), g0/24 + g2/6 ± g1/12, g0/4 and g2.
 */
function weight4Body(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32]);
  const [src, dst, channels, uXi] = [0, 1, 2, 3];
  const xiOffset = Array.from({ length: WINO4_XIS }, () => f.local(i32));
  const ch = f.local(i32);
  const g = Array.from({ length: 9 }, () => f.local(v128));
  const t = Array.from({ length: 18 }, () => f.local(v128)); // t[3·row + kx]: (G g)[row][kx]
  const constants = winograd4WeightLocals(f);
  f.localGet(channels).i32Eqz().if().return().end();
  for (let xi = 1; xi < WINO4_XIS; xi++) f.localGet(uXi).i32Const(xi).i32Mul().localSet(xiOffset[xi]);
  f.localGet(channels).localSet(ch);
  f.loop();
  {
    for (let h = 0; h < 2; h++) {
      for (let k = 0; k < 9; k++) f.localGet(src).v128Load(32 * k + 16 * h).localSet(g[k]);
      // U = G g Gᵀ, stored at ξ = 6·row + column.
      winograd4WeightTile(f, g, t, constants, (xi, push) => {
        f.localGet(dst);
        if (xi > 0) f.localGet(xiOffset[xi]).i32Add();
        push();
        f.v128Store(16 * h);
      });
    }
    f.localGet(src).i32Const(9 * 32).i32Add().localSet(src);
    f.localGet(dst).i32Const(32).i32Add().localSet(dst);
    f.localGet(ch).i32Const(1).i32Sub().localTee(ch).brIf(0);
  }
  f.end();
  return f;
}

