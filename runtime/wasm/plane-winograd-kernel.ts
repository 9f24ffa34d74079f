/**
 * The transforms of the training products' Winograd conv F(2×2, 3×3) (`runtime/linalg/heap-winograd.ts`),
 * over planes in the product heap (channels first, as the training kernels keep tensors):
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
 */
import { FunctionBody, ValueType } from "./instructions.js";
import { countedLoop } from "./loops.js";
import type { ModuleFunction } from "./module.js";

/** Export names of the two transforms. */
export const PLANE_WINOGRAD_KERNELS = { input: "wino_planes_in", output: "wino_planes_out", gradient: "wino_planes_grad" } as const;

/** The input transform's and the output transform's functions, for a module over the product heap. */
export function planeWinogradFunctions(): ModuleFunction[] {
  return [
    { name: PLANE_WINOGRAD_KERNELS.input, results: [], body: inputBody() },
    { name: PLANE_WINOGRAD_KERNELS.output, results: [], body: outputBody() },
    { name: PLANE_WINOGRAD_KERNELS.gradient, results: [], body: gradientBody() },
  ];
}

const { i32, v128 } = ValueType;

/** Locals holding ξ·`stride` for ξ = 0 … 15 (the byte offsets of the 16 matrices), set at the function's start. */
function xiOffsets(f: FunctionBody, stride: number): number[] {
  return Array.from({ length: 16 }, (_, xi) => {
    const local = f.local(i32);
    f.localGet(stride).i32Const(xi).i32Mul().localSet(local);
    return local;
  });
}

/**
 * Stores the first `count` (a local, 0 … 7) floats of the 8 in `vectors` at `out`: a 64-bit lane
 * for each pair, a float32 lane for an odd last one.
 */
function storePrefix(f: FunctionBody, out: number, vectors: readonly number[], count: number): void {
  for (const [half, vector] of vectors.entries()) {
    const base = 4 * half;
    // Within this vector: lanes 0-1 when count ≥ base + 2, lanes 2-3 when ≥ base + 4 (only for the first).
    f.localGet(count).i32Const(base + 2).i32GeS().if();
    f.localGet(out).localGet(vector).v128Store64Lane(0, 16 * half);
    if (half === 0) {
      f.localGet(count).i32Const(4).i32GeS().if();
      f.localGet(out).localGet(vector).v128Store64Lane(1, 8);
      f.else();
      f.localGet(count).i32Const(3).i32Eq().if();
      f.localGet(out).localGet(vector).f32x4ExtractLane(2).f32Store(8);
      f.end();
      f.end();
    } else {
      f.localGet(count).i32Const(7).i32Eq().if();
      f.localGet(out).localGet(vector).f32x4ExtractLane(2).f32Store(24);
      f.end();
    }
    f.else();
    f.localGet(count).i32Const(base + 1).i32Eq().if();
    f.localGet(out).localGet(vector).f32x4ExtractLane(0).f32Store(16 * half);
    f.end();
    f.end();
  }
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
 * The walk both tile transforms make (`wino_planes_in`, `wino_planes_grad`): for each image and
 * channel, `start(image, c)` sets the plane's first byte (`plane`) and its first tile's
 * destination (`dstRow`); then for each group of four tiles of each tile row `body()` runs with
 * `src` = plane + 2ty·rowBytes + 8tx and `dst` = dstRow + 4·(ty·tw + tx).
 */
function eachTileGroup(
  f: FunctionBody,
  [images, channels, th, tw, rowBytes]: readonly number[],
  start: (at: { plane: number; dstRow: number }, image: number, c: number) => void,
  body: (at: { src: number; dst: number }) => void,
): void {
  const [plane, dstRow, src, dst, ty, tx] = Array.from({ length: 6 }, () => f.local(i32));
  planes(f, images, channels, (image, c) => {
    start({ plane, dstRow }, image, c);
    f.i32Const(0).localSet(ty);
    countedLoop(f, ty, th, 1, () => {
      f.i32Const(0).localSet(tx);
      countedLoop(f, tx, tw, 4, () => {
        f.localGet(plane).localGet(ty).localGet(rowBytes).i32Mul().i32Const(1).i32Shl().i32Add();
        f.localGet(tx).i32Const(3).i32Shl().i32Add().localSet(src);
        f.localGet(dstRow).localGet(ty).localGet(tw).i32Mul().localGet(tx).i32Add().i32Const(2).i32Shl().i32Add().localSet(dst);
        body({ src, dst });
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
  const tiles = f.local(i32);
  f.localGet(th).localGet(tw).i32Mul().localSet(tiles);
  const offsets = xiOffsets(f, vXi);

  eachTileGroup(
    f,
    [images, channels, th, tw, rowBytes],
    ({ plane, dstRow }, image, c) => {
      // plane = xp + (image·channels + c)·planeBytes; its tiles start at v + c·ld + 4·image·th·tw.
      f.localGet(xp).localGet(image).localGet(channels).i32Mul().localGet(c).i32Add().localGet(planeBytes).i32Mul().i32Add().localSet(plane);
      f.localGet(v).localGet(c).localGet(ld).i32Mul().i32Add().localGet(image).localGet(tiles).i32Mul().i32Const(4).i32Mul().i32Add().localSet(dstRow);
    },
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
  const tiles = f.local(i32);
  const srcRow = f.local(i32);
  const src = f.local(i32);
  const out = f.local(i32);
  const plane = f.local(i32);
  const ty = f.local(i32);
  const tx = f.local(i32);
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
  f.localGet(th).localGet(tw).i32Mul().localSet(tiles);
  f.f32Const(0).f32x4Splat().localSet(zero);
  const offsets = xiOffsets(f, mXi);
  const load = (xi: number): void => {
    f.localGet(src).localGet(offsets[xi]).i32Add().v128Load(0);
  };

  planes(f, images, channels, (image, c) => {
    f.localGet(bias).localGet(c).i32Const(2).i32Shl().i32Add().v128Load32Splat(0).localSet(b);
    f.localGet(mBase).localGet(c).localGet(ld).i32Mul().i32Add().localGet(image).localGet(tiles).i32Mul().i32Const(2).i32Shl().i32Add().localSet(srcRow);
    f.localGet(y).localGet(image).localGet(channels).i32Mul().localGet(c).i32Add().localGet(oh).i32Mul().localGet(ow).i32Mul().i32Const(2).i32Shl().i32Add().localSet(plane);
    f.i32Const(0).localSet(ty);
    countedLoop(f, ty, th, 1, () => {
      f.i32Const(0).localSet(tx);
      countedLoop(f, tx, tw, 4, () => {
        f.localGet(srcRow).localGet(ty).localGet(tw).i32Mul().localGet(tx).i32Add().i32Const(2).i32Shl().i32Add().localSet(src);
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
          const write = (): void => {
            f.localGet(count).i32Const(8).i32GeS().if();
            f.localGet(out).localGet(rowPair[0]).v128Store(0);
            f.localGet(out).localGet(rowPair[1]).v128Store(16);
            f.else();
            storePrefix(f, out, rowPair, count);
            f.end();
          };
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
