/**
 * The transforms of the training products' Winograd convs F(2×2, 3×3) and F(4×4, 3×3)
 * (`runtime/linalg/heap-winograd.ts`), over planes in the product heap (channels first, as the
 * training kernels keep tensors):
 *
 *   Y = Aᵀ [ Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B) ] A
 *
 * for each 2×2 block ("tile") of output pixels, whose 4×4 input patch is `d` (Lavin & Gray,
 * "Fast Algorithms for Convolutional Neural Networks", 2016). The 16 element-wise products summed
 * over input channels are 16 products of the GEMM micro-kernel, one per ξ = 4i + j, between the
 * transformed weights U_ξ `[M × C]` and the transformed inputs V_ξ `[C × T]` (T tiles).
 *
 *   wino_planes_in(xp, channels, images, th, tw, rowBytes, planeBytes, v, vXi, ld)
 *
 * transforms the tiles of `images` images of `channels` zero-padded planes (image i's plane c at
 * `xp + (i·channels + c)·planeBytes`, rows `rowBytes` apart; tile (ty, tx) reads rows 2ty … 2ty + 3
 * and columns 2tx … 2tx + 3) to V = Bᵀ d B, stored at `v + ξ·vXi + c·ld + 4·t` with
 * t = i·th·tw + ty·tw + tx. Four tiles of a row at a time, a tile per lane: the even and odd
 * columns of the patch rows come from two pairs of vector loads and a shuffle each. A row's last
 * group may run past `tw`: those lanes read the padding (each plane row holds 2·⌈tw/4⌉·4 + 2
 * columns) and land on the next row's tiles, which are written after them, or, after the last
 * tile, on the 3 columns that `ld` must leave past T.
 *
 *   wino_planes_out(m, mXi, ld, channels, images, th, tw, oh, ow, y, bias, relu)
 *
 * reads the 16 products (`m + ξ·mXi + c·ld + 4·t`) and writes Y = Aᵀ M A + bias[c] (then max(·, 0)
 * when `relu` is 1) to image i's output plane c at `y + (i·channels + c)·oh·ow·4`, 4 tiles (8
 * output columns) at a time; the columns and the row past the plane's edge (odd sizes, a row's
 * last group) are not written.
 *
 *   wino_planes_grad(dy, channels, images, th, tw, dm, dmXi, ld)
 *
 * is the weight gradient's transform of dY (`[images, channels, 2·th, 2·tw]`, even sizes only):
 * dM = A dY_t Aᵀ for each 2×2 tile of dY, stored as the products' are (`dm + ξ·dmXi + c·ld + 4·t`),
 * four tiles at a time as the input transform, whose last group may likewise write 3 columns past
 * a row of tiles (and read 8 floats past the last plane). The gradient of U is then
 * Σ_t dM_ξ ⊙ V_ξ, a product per ξ over the tiles, and that of g is Gᵀ dU G.
 *
 * B and A have coefficients 0 and ±1, so the transforms are sums and differences only.
 *
 * F(4×4, 3×3) has the forward's two transforms (and its weights'), over 4 × 4 output tiles whose
 * 6 × 6 input patches give 36 matrices (ξ = 6i + j), with the arguments and layouts above:
 * `wino4_planes_in` (tile (ty, tx) reads rows 4ty … 4ty + 5 and columns 4tx … 4tx + 5; a padded
 * row holds 4·⌈tw/4⌉·4 + 4 columns), `wino4_planes_out`, and `wino4_planes_u`, which makes U from
 * the weights. Per output it takes 36/16 = 2.25 multiplies per pair of channels against
 * F(2×2, 3×3)'s 4, at the price of larger factors in its transforms (up to 8), so a little more
 * rounding (`winograd4-transforms.ts`, the plan's F(4×4, 3×3) arithmetic).
 */
import { FunctionBody, ValueType } from "./instructions.js";
import { countedLoop } from "./loops.js";
import { winograd4Input, winograd4Output, winograd4WeightLocals, winograd4WeightTile } from "./winograd4-transforms.js";
import type { ModuleFunction } from "./module.js";

/** Export names of the transforms: F(2×2, 3×3)'s three, then F(4×4, 3×3)'s input and output transforms. */
export const PLANE_WINOGRAD_KERNELS = {
  input: "wino_planes_in",
  output: "wino_planes_out",
  gradient: "wino_planes_grad",
  weight: "wino_planes_u",
  weightGradient: "wino_planes_dw",
  input4: "wino4_planes_in",
  output4: "wino4_planes_out",
  weight4: "wino4_planes_u",
} as const;

/** The transforms' functions, for a module over the product heap. */
export function planeWinogradFunctions(): ModuleFunction[] {
  return [
    { name: PLANE_WINOGRAD_KERNELS.input, results: [], body: inputBody() },
    { name: PLANE_WINOGRAD_KERNELS.output, results: [], body: outputBody() },
    { name: PLANE_WINOGRAD_KERNELS.gradient, results: [], body: gradientBody() },
    { name: PLANE_WINOGRAD_KERNELS.weight, results: [], body: weightBody() },
    { name: PLANE_WINOGRAD_KERNELS.weightGradient, results: [], body: weightGradientBody() },
    { name: PLANE_WINOGRAD_KERNELS.input4, results: [], body: input4Body() },
    { name: PLANE_WINOGRAD_KERNELS.output4, results: [], body: output4Body() },
    { name: PLANE_WINOGRAD_KERNELS.weight4, results: [], body: weight4Body() },
  ];
}

const { i32, f64, v128 } = ValueType;

/** Locals holding ξ·`stride` for ξ = 0 … `count` − 1 (the byte offsets of the matrices), set at the function's start. */
function xiOffsets(f: FunctionBody, stride: number, count = 16): number[] {
  return Array.from({ length: count }, (_, xi) => {
    const local = f.local(i32);
    f.localGet(stride).i32Const(xi).i32Mul().localSet(local);
    return local;
  });
}

/**
 * Stores the first `count` (a local, at least 1) floats of the 4·`vectors.length` in `vectors`
 * at `out`: whole vectors while they fit, then a 64-bit lane and a float32 lane for the rest.
 */
function storePrefix(f: FunctionBody, out: number, vectors: readonly number[], count: number, q = 0): void {
  if (q === vectors.length) return;
  const base = 4 * q;
  f.localGet(count).i32Const(base + 4).i32GeS().if();
  f.localGet(out).localGet(vectors[q]).v128Store(16 * q);
  storePrefix(f, out, vectors, count, q + 1);
  f.else();
  f.localGet(count).i32Const(base + 2).i32GeS().if();
  f.localGet(out).localGet(vectors[q]).v128Store64Lane(0, 16 * q);
  f.localGet(count).i32Const(base + 3).i32Eq().if();
  f.localGet(out).localGet(vectors[q]).f32x4ExtractLane(2).f32Store(16 * q + 8);
  f.end();
  f.else();
  f.localGet(count).i32Const(base + 1).i32Eq().if();
  f.localGet(out).localGet(vectors[q]).f32x4ExtractLane(0).f32Store(16 * q);
  f.end();
  f.end();
  f.end();
}

/** The loops over images and channels (image outer), with `body(c)` for channel local `c`. */
function planes(f: FunctionBody, images: number, channels: number, body: (image: number, c: number) => void): void {
  const image = f.local(i32);
  const c = f.local(i32);
  f.i32Const(0).localSet(image);
  countedLoop(f, image, images, 1, () => {
    f.i32Const(0).localSet(c);
    countedLoop(f, c, channels, 1, () => body(image, c));
  });
}

/**
 * The walk the tile transforms make (`wino_planes_in`, `wino_planes_grad`, `wino4_planes_in`):
 * for each image and channel, `start(image, c)` sets the plane's first byte (`plane`) and its
 * first tile's destination (`dstRow`); then for each group of four tiles of each tile row
 * `body()` runs with `src` = plane + `step`·ty·rowBytes + 4·`step`·tx (a tile covers `step` ×
 * `step` outputs: 2 or 4) and `dst` = dstRow + 4·(ty·tw + tx).
 */
function eachTileGroup(
  f: FunctionBody,
  [images, channels, th, tw, rowBytes]: readonly number[],
  start: (at: { plane: number; dstRow: number }, image: number, c: number) => void,
  body: (at: { src: number; dst: number }) => void,
  step: 2 | 4 = 2,
): void {
  const shift = step === 2 ? 1 : 2;
  const [plane, dstRow, src, dst, ty, tx] = Array.from({ length: 6 }, () => f.local(i32));
  planes(f, images, channels, (image, c) => {
    start({ plane, dstRow }, image, c);
    f.i32Const(0).localSet(ty);
    countedLoop(f, ty, th, 1, () => {
      f.i32Const(0).localSet(tx);
      countedLoop(f, tx, tw, 4, () => {
        f.localGet(plane).localGet(ty).localGet(rowBytes).i32Mul().i32Const(shift).i32Shl().i32Add();
        f.localGet(tx).i32Const(shift + 2).i32Shl().i32Add().localSet(src);
        f.localGet(dstRow).localGet(ty).localGet(tw).i32Mul().localGet(tx).i32Add().i32Const(2).i32Shl().i32Add().localSet(dst);
        body({ src, dst });
      });
    });
  });
}

/**
 * The input transforms' walk (`wino_planes_in`, `wino4_planes_in`) over their arguments `xp,
 * channels, images, th, tw, rowBytes, planeBytes, v, ld`: {@link eachTileGroup} over image i's
 * plane c at `xp + (i·channels + c)·planeBytes`, whose tiles' V start at `v + c·ld + 4·i·th·tw`.
 */
function eachInputGroup(
  f: FunctionBody,
  [xp, channels, images, th, tw, rowBytes, planeBytes, v, ld]: readonly number[],
  body: (at: { src: number; dst: number }) => void,
  step: 2 | 4 = 2,
): void {
  const tiles = f.local(i32);
  f.localGet(th).localGet(tw).i32Mul().localSet(tiles);
  eachTileGroup(
    f,
    [images, channels, th, tw, rowBytes],
    ({ plane, dstRow }, image, c) => {
      f.localGet(xp).localGet(image).localGet(channels).i32Mul().localGet(c).i32Add().localGet(planeBytes).i32Mul().i32Add().localSet(plane);
      f.localGet(v).localGet(c).localGet(ld).i32Mul().i32Add().localGet(image).localGet(tiles).i32Mul().i32Const(4).i32Mul().i32Add().localSet(dstRow);
    },
    body,
    step,
  );
}

/**
 * The walk both output transforms make (`wino_planes_out`, `wino4_planes_out`), over their
 * arguments `mBase, ld, channels, images, th, tw, oh, ow, y, bias`: for each image and channel,
 * the channel's bias splat into `b` and its output plane's first byte into `plane`; then for each
 * group of four tiles of each tile row, `body()` with `src` = the group's first product
 * (`mBase + c·ld + 4·(image·th·tw + ty·tw + tx)`).
 */
function eachOutputGroup(
  f: FunctionBody,
  [mBase, ld, channels, images, th, tw, oh, ow, y, bias]: readonly number[],
  b: number,
  body: (at: { src: number; plane: number; ty: number; tx: number }) => void,
): void {
  const [tiles, srcRow, src, plane, ty, tx] = Array.from({ length: 6 }, () => f.local(i32));
  f.localGet(th).localGet(tw).i32Mul().localSet(tiles);
  planes(f, images, channels, (image, c) => {
    f.localGet(bias).localGet(c).i32Const(2).i32Shl().i32Add().v128Load32Splat(0).localSet(b);
    f.localGet(mBase).localGet(c).localGet(ld).i32Mul().i32Add().localGet(image).localGet(tiles).i32Mul().i32Const(2).i32Shl().i32Add().localSet(srcRow);
    f.localGet(y).localGet(image).localGet(channels).i32Mul().localGet(c).i32Add().localGet(oh).i32Mul().localGet(ow).i32Mul().i32Const(2).i32Shl().i32Add().localSet(plane);
    f.i32Const(0).localSet(ty);
    countedLoop(f, ty, th, 1, () => {
      f.i32Const(0).localSet(tx);
      countedLoop(f, tx, tw, 4, () => {
        f.localGet(srcRow).localGet(ty).localGet(tw).i32Mul().localGet(tx).i32Add().i32Const(2).i32Shl().i32Add().localSet(src);
        body({ src, plane, ty, tx });
      });
    });
  });
}

function inputBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [xp, channels, images, th, tw, rowBytes, planeBytes, v, vXi, ld] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const lo = f.local(v128);
  const hi = f.local(v128);
  // d·B of each of the patch's 4 rows: e[r][j].
  const e = Array.from({ length: 4 }, () => Array.from({ length: 4 }, () => f.local(v128)));
  const d = Array.from({ length: 4 }, () => f.local(v128));
  const offsets = xiOffsets(f, vXi);

  eachInputGroup(
    f,
    [xp, channels, images, th, tw, rowBytes, planeBytes, v, ld],
    ({ src, dst }) => {
      for (let r = 0; r < 4; r++) {
        // Columns 2t … 2t + 9 of the row for the four tiles t: d[k] holds column 2t + k.
        f.localGet(src).v128Load(0).localSet(lo);
        f.localGet(src).v128Load(16).localSet(hi);
        f.localGet(lo).localGet(hi).f32x4Shuffle([0, 2, 4, 6]).localSet(d[0]);
        f.localGet(lo).localGet(hi).f32x4Shuffle([1, 3, 5, 7]).localSet(d[1]);
        f.localGet(src).v128Load(8).localSet(lo);
        f.localGet(src).v128Load(24).localSet(hi);
        f.localGet(lo).localGet(hi).f32x4Shuffle([0, 2, 4, 6]).localSet(d[2]);
        f.localGet(lo).localGet(hi).f32x4Shuffle([1, 3, 5, 7]).localSet(d[3]);
        // d·B: (d0 − d2, d1 + d2, d2 − d1, d1 − d3)
        f.localGet(d[0]).localGet(d[2]).f32x4Sub().localSet(e[r][0]);
        f.localGet(d[1]).localGet(d[2]).f32x4Add().localSet(e[r][1]);
        f.localGet(d[2]).localGet(d[1]).f32x4Sub().localSet(e[r][2]);
        f.localGet(d[1]).localGet(d[3]).f32x4Sub().localSet(e[r][3]);
        if (r < 3) f.localGet(src).localGet(rowBytes).i32Add().localSet(src);
      }
      // Bᵀ·(d·B) by rows, each ξ = 4i + j stored at dst + ξ·vXi.
      const rows: [number, number, "add" | "sub"][] = [[0, 2, "sub"], [1, 2, "add"], [2, 1, "sub"], [1, 3, "sub"]];
      rows.forEach(([p, q, op], i) => {
        for (let j = 0; j < 4; j++) {
          f.localGet(dst).localGet(offsets[4 * i + j]).i32Add();
          f.localGet(e[p][j]).localGet(e[q][j]);
          if (op === "add") f.f32x4Add();
          else f.f32x4Sub();
          f.v128Store(0);
        }
      });
    },
  );
  return f;
}

function outputBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [mBase, mXi, ld, channels, images, th, tw, oh, ow, y, bias, relu] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const out = f.local(i32);
  const count = f.local(i32);
  const b = f.local(v128);
  const zero = f.local(v128);
  // Aᵀ·M by columns: s[j] = M0j + M1j + M2j, u[j] = M1j − M2j − M3j.
  const s = Array.from({ length: 4 }, () => f.local(v128));
  const u = Array.from({ length: 4 }, () => f.local(v128));
  const m1 = f.local(v128);
  const m2 = f.local(v128);
  const y0 = f.local(v128);
  const y1 = f.local(v128);
  const rowPair = [f.local(v128), f.local(v128)];
  f.f32Const(0).f32x4Splat().localSet(zero);
  const offsets = xiOffsets(f, mXi);

  eachOutputGroup(f, [mBase, ld, channels, images, th, tw, oh, ow, y, bias], b, ({ src, plane, ty, tx }) => {
    const load = (xi: number): void => {
      f.localGet(src).localGet(offsets[xi]).i32Add().v128Load(0);
    };
    for (let j = 0; j < 4; j++) {
      load(4 + j);
      f.localSet(m1);
      load(8 + j);
      f.localSet(m2);
      load(j);
      f.localGet(m1).f32x4Add().localGet(m2).f32x4Add().localSet(s[j]);
      f.localGet(m1).localGet(m2).f32x4Sub();
      load(12 + j);
      f.f32x4Sub().localSet(u[j]);
    }
    // out = plane + 4·(2ty·ow + 2tx); count = min(8, ow − 2tx) columns to write.
    f.localGet(plane).localGet(ty).localGet(ow).i32Mul().localGet(tx).i32Add().i32Const(3).i32Shl().i32Add().localSet(out);
    f.localGet(ow).localGet(tx).i32Const(1).i32Shl().i32Sub().localSet(count);
    [s, u].forEach((row, r) => {
      // The output row 2ty + r: y0 = row0 + row1 + row2, y1 = row1 − row2 − row3 (+ bias, relu).
      f.localGet(row[0]).localGet(row[1]).f32x4Add().localGet(row[2]).f32x4Add().localGet(b).f32x4Add().localSet(y0);
      f.localGet(row[1]).localGet(row[2]).f32x4Sub().localGet(row[3]).f32x4Sub().localGet(b).f32x4Add().localSet(y1);
      f.localGet(relu).if();
      f.localGet(y0).localGet(zero).f32x4Max().localSet(y0);
      f.localGet(y1).localGet(zero).f32x4Max().localSet(y1);
      f.end();
      // Interleaved, tile by tile: columns 2t, 2t + 1.
      f.localGet(y0).localGet(y1).f32x4Shuffle([0, 4, 1, 5]).localSet(rowPair[0]);
      f.localGet(y0).localGet(y1).f32x4Shuffle([2, 6, 3, 7]).localSet(rowPair[1]);
      const write = (): void => storePrefix(f, out, rowPair, count);
      if (r === 0) write();
      else {
        // The second row exists unless oh is odd and this is the last tile row.
        f.localGet(ty).i32Const(1).i32Shl().i32Const(1).i32Add().localGet(oh).i32LtS().if();
        f.localGet(out).localGet(ow).i32Const(2).i32Shl().i32Add().localSet(out);
        write();
        f.end();
      }
    });
  });
  return f;
}

function gradientBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32]);
  const [dy, channels, images, th, tw, dm, dmXi, ld] = [0, 1, 2, 3, 4, 5, 6, 7];
  const tiles = f.local(i32);
  const rowBytes = f.local(i32);
  const lo = f.local(v128);
  const hi = f.local(v128);
  const zero = f.local(v128);
  // Row r of each tile: its left values in left[r], its right ones in right[r].
  const left = [f.local(v128), f.local(v128)];
  const right = [f.local(v128), f.local(v128)];
  const a = f.local(v128);
  const b = f.local(v128);
  f.localGet(th).localGet(tw).i32Mul().localSet(tiles);
  f.localGet(tw).i32Const(3).i32Shl().localSet(rowBytes); // 2·tw floats
  f.f32Const(0).f32x4Splat().localSet(zero);
  const offsets = xiOffsets(f, dmXi);

  eachTileGroup(
    f,
    [images, channels, th, tw, rowBytes],
    ({ plane, dstRow }, image, c) => {
      f.localGet(dy).localGet(image).localGet(channels).i32Mul().localGet(c).i32Add().localGet(tiles).i32Mul().i32Const(4).i32Shl().i32Add().localSet(plane);
      f.localGet(dm).localGet(c).localGet(ld).i32Mul().i32Add().localGet(image).localGet(tiles).i32Mul().i32Const(2).i32Shl().i32Add().localSet(dstRow);
    },
    ({ src, dst }) => {
      for (let r = 0; r < 2; r++) {
        f.localGet(src).v128Load(0).localSet(lo);
        f.localGet(src).v128Load(16).localSet(hi);
        f.localGet(lo).localGet(hi).f32x4Shuffle([0, 2, 4, 6]).localSet(left[r]);
        f.localGet(lo).localGet(hi).f32x4Shuffle([1, 3, 5, 7]).localSet(right[r]);
        if (r === 0) f.localGet(src).localGet(rowBytes).i32Add().localSet(src);
      }
      // A·dY: rows (y0, y0 + y1, y0 − y1, −y1); then each row (a, b)·Aᵀ = (a, a + b, a − b, −b).
      const rows: ((side: number[]) => void)[] = [
        (side) => f.localGet(side[0]),
        (side) => f.localGet(side[0]).localGet(side[1]).f32x4Add(),
        (side) => f.localGet(side[0]).localGet(side[1]).f32x4Sub(),
        (side) => f.localGet(zero).localGet(side[1]).f32x4Sub(),
      ];
      rows.forEach((row, i) => {
        row(left);
        f.localSet(a);
        row(right);
        f.localSet(b);
        const store = (j: number, value: () => void): void => {
          f.localGet(dst).localGet(offsets[4 * i + j]).i32Add();
          value();
          f.v128Store(0);
        };
        store(0, () => f.localGet(a));
        store(1, () => f.localGet(a).localGet(b).f32x4Add());
        store(2, () => f.localGet(a).localGet(b).f32x4Sub());
        store(3, () => f.localGet(zero).localGet(b).f32x4Sub());
      });
    },
  );
  return f;
}

/** `dst[t]` = lane t of each of `src`'s four vectors (a 4 × 4 transpose), through the scratch `tmp`. */
function transpose4(f: FunctionBody, src: readonly number[], tmp: readonly number[], dst: readonly number[]): void {
  f.localGet(src[0]).localGet(src[1]).f32x4Shuffle([0, 4, 1, 5]).localSet(tmp[0]);
  f.localGet(src[2]).localGet(src[3]).f32x4Shuffle([0, 4, 1, 5]).localSet(tmp[1]);
  f.localGet(src[0]).localGet(src[1]).f32x4Shuffle([2, 6, 3, 7]).localSet(tmp[2]);
  f.localGet(src[2]).localGet(src[3]).f32x4Shuffle([2, 6, 3, 7]).localSet(tmp[3]);
  f.localGet(tmp[0]).localGet(tmp[1]).f32x4Shuffle([0, 1, 4, 5]).localSet(dst[0]);
  f.localGet(tmp[0]).localGet(tmp[1]).f32x4Shuffle([2, 3, 6, 7]).localSet(dst[1]);
  f.localGet(tmp[2]).localGet(tmp[3]).f32x4Shuffle([0, 1, 4, 5]).localSet(dst[2]);
  f.localGet(tmp[2]).localGet(tmp[3]).f32x4Shuffle([2, 3, 6, 7]).localSet(dst[3]);
}

/** Locals holding splats of 4, 2 and 8 (F(4×4, 3×3)'s factors), set here. */
function factors(f: FunctionBody): { four: number; two: number; eight: number } {
  const [four, two, eight] = [f.local(v128), f.local(v128), f.local(v128)];
  f.f32Const(4).f32x4Splat().localSet(four);
  f.f32Const(2).f32x4Splat().localSet(two);
  f.f32Const(8).f32x4Splat().localSet(eight);
  return { four, two, eight };
}

/**
 * `wino4_planes_in`: F(4×4, 3×3)'s V = Bᵀ d B (see `winograd4Input`) for the 6 × 6 patches d at
 * rows 4ty … 4ty + 5 and columns 4tx … 4tx + 5, with `wino_planes_in`'s arguments and layout, 36
 * matrices V_ξ (ξ = 6i + j). Four tiles of a row at a time, a tile per lane: the 20 columns
 * 4tx … 4tx + 19 of a patch row are 5 vector loads; a 4 × 4 transpose of the first four gives
 * columns 0 … 3 of each tile, and two shuffles with the fifth columns 4 and 5. A padded row must
 * hold 4·⌈tw/4⌉·4 + 4 columns.
 */
function input4Body(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [xp, channels, images, th, tw, rowBytes, planeBytes, v, vXi, ld] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const loads = Array.from({ length: 5 }, () => f.local(v128));
  const tmp = Array.from({ length: 4 }, () => f.local(v128));
  const d = Array.from({ length: 6 }, () => f.local(v128));
  // d·B of each of the patch's 6 rows: e[r][j].
  const e = Array.from({ length: 6 }, () => Array.from({ length: 6 }, () => f.local(v128)));
  const [t1, t2] = [f.local(v128), f.local(v128)];
  const { four, two } = factors(f);
  const offsets = xiOffsets(f, vXi, 36);

  eachInputGroup(
    f,
    [xp, channels, images, th, tw, rowBytes, planeBytes, v, ld],
    ({ src, dst }) => {
      for (let r = 0; r < 6; r++) {
        for (let k = 0; k < 5; k++) f.localGet(src).v128Load(16 * k).localSet(loads[k]);
        transpose4(f, loads, tmp, d);
        f.localGet(d[0]).localGet(loads[4]).f32x4Shuffle([1, 2, 3, 4]).localSet(d[4]);
        f.localGet(d[1]).localGet(loads[4]).f32x4Shuffle([1, 2, 3, 5]).localSet(d[5]);
        winograd4Input(f, d, [four, two, t1, t2], (k, push) => {
          push();
          f.localSet(e[r][k]);
        });
        if (r < 5) f.localGet(src).localGet(rowBytes).i32Add().localSet(src);
      }
      // Bᵀ·(d·B) by columns, each ξ = 6i + j stored at dst + ξ·vXi.
      for (let j = 0; j < 6; j++) {
        winograd4Input(f, e.map((row) => row[j]), [four, two, t1, t2], (i, push) => {
          f.localGet(dst).localGet(offsets[6 * i + j]).i32Add();
          push();
          f.v128Store(0);
        });
      }
    },
    4,
  );
  return f;
}

/**
 * `wino4_planes_out`: F(4×4, 3×3)'s Y = Aᵀ M A + bias (then relu) from the 36 products, with
 * `wino_planes_out`'s arguments and layout, four tiles (16 output columns) at a time: the four
 * output columns of each tile come out one per vector, and a 4 × 4 transpose puts each tile's
 * together. Columns and rows past the plane's edge are not written.
 */
function output4Body(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32]);
  const [mBase, mXi, ld, channels, images, th, tw, oh, ow, y, bias, relu] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [out, count] = [f.local(i32), f.local(i32)];
  const [b, zero, s, d, s2, d2] = Array.from({ length: 6 }, () => f.local(v128));
  const { four, two, eight } = factors(f);
  const x = Array.from({ length: 6 }, () => f.local(v128));
  // r[a][j] = (Aᵀ M)[a][j]; then row a's four output columns, one per vector, and transposed.
  const r = Array.from({ length: 4 }, () => Array.from({ length: 6 }, () => f.local(v128)));
  const columns = Array.from({ length: 4 }, () => f.local(v128));
  const tmp = Array.from({ length: 4 }, () => f.local(v128));
  const row = Array.from({ length: 4 }, () => f.local(v128));
  const scratch = [s, d, s2, d2, two, four, eight];
  f.f32Const(0).f32x4Splat().localSet(zero);
  const offsets = xiOffsets(f, mXi, 36);

  eachOutputGroup(f, [mBase, ld, channels, images, th, tw, oh, ow, y, bias], b, ({ src, plane, ty, tx }) => {
    for (let j = 0; j < 6; j++) {
      for (let i = 0; i < 6; i++) f.localGet(src).localGet(offsets[6 * i + j]).i32Add().v128Load(0).localSet(x[i]);
      winograd4Output(f, x, scratch, (a, push) => {
        push();
        f.localSet(r[a][j]);
      });
    }
    // out = plane + 4·(4ty·ow + 4tx); count = ow − 4tx columns to write (16 at most).
    f.localGet(plane).localGet(ty).localGet(ow).i32Mul().localGet(tx).i32Add().i32Const(4).i32Shl().i32Add().localSet(out);
    f.localGet(ow).localGet(tx).i32Const(2).i32Shl().i32Sub().localSet(count);
    for (let a = 0; a < 4; a++) {
      // Output row 4ty + a, which exists unless it is past the plane's last.
      if (a > 0) {
        f.localGet(out).localGet(ow).i32Const(2).i32Shl().i32Add().localSet(out);
        f.localGet(ty).i32Const(2).i32Shl().i32Const(a).i32Add().localGet(oh).i32LtS().if();
      }
      for (let j = 0; j < 6; j++) f.localGet(r[a][j]).localSet(x[j]);
      winograd4Output(f, x, scratch, (k, push) => {
        push();
        f.localGet(b).f32x4Add().localSet(columns[k]);
      });
      f.localGet(relu).if();
      for (const v of columns) f.localGet(v).localGet(zero).f32x4Max().localSet(v);
      f.end();
      transpose4(f, columns, tmp, row);
      storePrefix(f, out, row, count);
      if (a > 0) f.end();
    }
  });
  return f;
}

/**
 * `wino4_planes_u(w, c, blocks, dst, xiStride)`: F(4×4, 3×3)'s U = G g Gᵀ (in float32, see
 * `winograd4Weight`) of the weights `[4·blocks, c, 3, 3]` at byte `w`, packed as the GEMM
 * micro-kernel's A: ξ's matrix (ξ = 6·row + column) at `dst + ξ·xiStride`, holding for block q
 * and input channel i the 4 output rows 4q … 4q + 3 side by side at byte 16·(q·c + i). Four output
 * rows at a time, a row per lane, their taps gathered lane by lane.
 */
function weight4Body(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32]);
  const [w, c, blocks, dst, xiStride] = [0, 1, 2, 3, 4];
  const [q, i, src, rowBytes, out] = Array.from({ length: 5 }, () => f.local(i32));
  const rows = Array.from({ length: 4 }, () => f.local(i32));
  const g = Array.from({ length: 9 }, () => f.local(v128));
  const t = Array.from({ length: 18 }, () => f.local(v128)); // t[3·row + kx]: (G g)[row][kx]
  const constants = winograd4WeightLocals(f);
  const offsets = xiOffsets(f, xiStride, 36);
  f.localGet(c).i32Const(36).i32Mul().localSet(rowBytes);
  f.localGet(dst).localSet(out);
  f.i32Const(0).localSet(q);
  countedLoop(f, q, blocks, 1, () => {
    f.localGet(w).localGet(q).localGet(rowBytes).i32Mul().i32Const(2).i32Shl().i32Add().localSet(src);
    f.i32Const(0).localSet(i);
    countedLoop(f, i, c, 1, () => {
      for (let r = 0; r < 4; r++) {
        f.localGet(src);
        if (r > 0) f.localGet(rowBytes).i32Const(r).i32Mul().i32Add();
        f.localSet(rows[r]);
      }
      for (let k = 0; k < 9; k++) {
        f.localGet(rows[0]).v128Load32Splat(4 * k).localSet(g[k]);
        for (let r = 1; r < 4; r++) f.localGet(rows[r]).localGet(g[k]).v128Load32Lane(r, 4 * k).localSet(g[k]);
      }
      winograd4WeightTile(f, g, t, constants, (xi, push) => {
        f.localGet(out).localGet(offsets[xi]).i32Add();
        push();
        f.v128Store(0);
      });
      f.localGet(src).i32Const(36).i32Add().localSet(src);
      f.localGet(out).i32Const(16).i32Add().localSet(out);
    });
  });
  return f;
}

/**
 * Pushes (a op b)·½ for two float64 locals, op `add` or `sub`: the half-sums of F(2×2, 3×3)'s G,
 * each rounded as float64 (the product by ½ is exact, as a division by 2 would be).
 */
function half(f: FunctionBody, a: () => void, b: () => void, op: "add" | "sub"): void {
  a();
  b();
  if (op === "add") f.f64Add();
  else f.f64Sub();
  f.f64Const(0.5).f64Mul();
}

/**
 * `wino_planes_u(w, m, c, dst, xiStride)`: F(2×2, 3×3)'s U = G g Gᵀ of the weights `[m, c, 3, 3]`
 * at byte `w`, in float64 and rounded once, packed as the GEMM micro-kernel's A: ξ's matrix
 * (ξ = 4·row + column) at `dst + ξ·xiStride`, output row o and input channel i at float
 * (o − o mod 4)·c + 4i + o mod 4 of it (a caller pads `m` to whole blocks of 4 with zero
 * weights). With
 *
 *   G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]],
 *
 * G g column by column ((g0 + g1 + g2)·½ and (g0 − g1 + g2)·½ between g0 and g2), then each row
 * (a0, a1, a2) of it times Gᵀ alike.
 */
function weightBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32]);
  const [w, m, c, dst, xiStride] = [0, 1, 2, 3, 4];
  const [o, i, src, to] = Array.from({ length: 4 }, () => f.local(i32));
  const g = Array.from({ length: 9 }, () => f.local(f64));
  const gg = Array.from({ length: 12 }, () => f.local(f64)); // gg[3·row + column]: (G g)[row][column]
  const offsets = xiOffsets(f, xiStride);
  const get = (local: number) => () => void f.localGet(local);
  // The 4 results of G applied to (a, b, c), each handed to `use`.
  const applyG = ([a, b, cc]: readonly number[], use: (k: number, push: () => void) => void): void => {
    use(0, get(a));
    use(1, () => {
      half(f, () => f.localGet(a).localGet(b).f64Add(), get(cc), "add");
    });
    use(2, () => {
      half(f, () => f.localGet(a).localGet(b).f64Sub(), get(cc), "add");
    });
    use(3, get(cc));
  };
  f.localGet(w).localSet(src);
  f.i32Const(0).localSet(o);
  countedLoop(f, o, m, 1, () => {
    f.i32Const(0).localSet(i);
    countedLoop(f, i, c, 1, () => {
      // to = dst + 4·((o − o mod 4)·c + o mod 4 + 4i)
      f.localGet(o).i32Const(-4).i32And().localGet(c).i32Mul().localGet(o).i32Const(3).i32And().i32Add().localGet(i).i32Const(2).i32Shl().i32Add();
      f.i32Const(2).i32Shl().localGet(dst).i32Add().localSet(to);
      for (let k = 0; k < 9; k++) f.localGet(src).f32Load(4 * k).f64PromoteF32().localSet(g[k]);
      for (let col = 0; col < 3; col++) {
        applyG([g[col], g[3 + col], g[6 + col]], (row, push) => {
          push();
          f.localSet(gg[3 * row + col]);
        });
      }
      for (let row = 0; row < 4; row++) {
        applyG([gg[3 * row], gg[3 * row + 1], gg[3 * row + 2]], (col, push) => {
          f.localGet(to).localGet(offsets[4 * row + col]).i32Add();
          push();
          f.f32DemoteF64().f32Store(0);
        });
      }
      f.localGet(src).i32Const(36).i32Add().localSet(src);
    });
  });
  return f;
}

/**
 * `wino_planes_dw(src, xiStride, ld, m, c, dw)`: the weight gradient `[m, c, 3, 3]` at byte `dw`
 * = Gᵀ dU G (F(2×2, 3×3)'s G, see `wino_planes_u`), from dU_ξ[o][i] at `src + ξ·xiStride +
 * o·ld + 4i` (bytes), in float64 and rounded once:
 *
 *   Gᵀ = [[1, ½, ½, 0], [0, ½, −½, 0], [0, ½, ½, 1]],
 *
 * Gᵀ dU column by column (u0 + (u1 + u2)·½, (u1 − u2)·½, (u1 + u2)·½ + u3), then each row
 * (z0, z1, z2, z3) of it times G alike.
 */
function weightGradientBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32]);
  const [src, xiStride, ld, m, c, dw] = [0, 1, 2, 3, 4, 5];
  const [o, i, from, out] = Array.from({ length: 4 }, () => f.local(i32));
  const u = Array.from({ length: 16 }, () => f.local(f64)); // u[ξ]
  const z = Array.from({ length: 12 }, () => f.local(f64)); // z[4·row + column]: (Gᵀ dU)[row][column]
  const offsets = xiOffsets(f, xiStride);
  const applyGt = ([u0, u1, u2, u3]: readonly number[], use: (k: number, push: () => void) => void): void => {
    use(0, () => {
      f.localGet(u0);
      half(f, () => f.localGet(u1), () => f.localGet(u2), "add");
      f.f64Add();
    });
    use(1, () => half(f, () => f.localGet(u1), () => f.localGet(u2), "sub"));
    use(2, () => {
      half(f, () => f.localGet(u1), () => f.localGet(u2), "add");
      f.localGet(u3).f64Add();
    });
  };
  f.localGet(dw).localSet(out);
  f.i32Const(0).localSet(o);
  countedLoop(f, o, m, 1, () => {
    f.i32Const(0).localSet(i);
    countedLoop(f, i, c, 1, () => {
      f.localGet(src).localGet(o).localGet(ld).i32Mul().i32Add().localGet(i).i32Const(2).i32Shl().i32Add().localSet(from);
      for (let xi = 0; xi < 16; xi++) {
        f.localGet(from);
        if (xi > 0) f.localGet(offsets[xi]).i32Add();
        f.f32Load(0).f64PromoteF32().localSet(u[xi]);
      }
      for (let col = 0; col < 4; col++) {
        applyGt([u[col], u[4 + col], u[8 + col], u[12 + col]], (row, push) => {
          push();
          f.localSet(z[4 * row + col]);
        });
      }
      for (let row = 0; row < 3; row++) {
        applyGt([z[4 * row], z[4 * row + 1], z[4 * row + 2], z[4 * row + 3]], (col, push) => {
          f.localGet(out);
          push();
          f.f32DemoteF64().f32Store(4 * (3 * row + col));
        });
      }
      f.localGet(out).i32Const(36).i32Add().localSet(out);
    });
  });
  return f;
}
