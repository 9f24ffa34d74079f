/**
 * Generates the kernels with which the training products (`runtime/linalg/wasm-products.ts`,
 * `heap-conv.ts`) build a conv's operands in the product heap:
 *
 *   im2col(x, channels, height, width, kh, kw, sh, dh, oh, ow, top, table, col, ld)
 *
 * is the WebAssembly form of `im2col` (`runtime/linalg/im2col.ts`) over an image already copied
 * into the heap, writing row r = (c, ky, kx) of the column matrix at `col + r·ld`:
 *
 * - `x`: the image's first plane (bytes), `channels` planes of `height × width` floats;
 * - the window: `kh × kw` taps, row stride `sh` and dilation `dh`, `top` rows of padding, and
 *   `oh × ow` outputs; the columns' geometry is the caller's, as a table at `table` of three i32
 *   per kernel column kx: the byte offset of its first input column (`(kx·dw − left)·4`, negative
 *   in the padding), the first and the end output column whose tap lies inside the image, and the
 *   column stride `sw` times 4 in the table's last word (`table[3·kw]`).
 *
 * Taps in the padding write 0. With unit stride the inside of a row is copied a vector at a
 * time; otherwise value by value. Every value is a copy, so the result is exactly `im2col`'s.
 *
 *   transpose(src, srcStride, dst, dstStride, rows, columns)
 *
 * writes `dst[c][r] = src[r][c]` for a `rows × columns` matrix (both multiples of 4, strides in
 * bytes) by 4 × 4 blocks: four rows' vectors in, four shuffles in two rounds, four columns' out.
 * It packs the operands of a weight gradient: plain im2col rows into the row blocks of A (a
 * block's 4 rows, `dstStride` 16), and dY's channel planes into the rows of dYᵀ.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import { countedLoop } from "./loops.js";
import type { ModuleFunction } from "./module.js";

/** The kernel's export name. */
export const IM2COL_KERNEL = "im2col";

/** The transpose kernel's export name. */
export const TRANSPOSE_KERNEL = "transpose";

/** The col2im kernel's export name. */
export const COL2IM_KERNEL = "col2im";

/** The `col2im` function, for a module over the product heap. */
export function col2imFunction(): ModuleFunction {
  return { name: COL2IM_KERNEL, results: [], body: col2imBody() };
}

/** The row copy's export name. */
export const COPY_ROWS_KERNEL = "copy_rows";

/**
 * `zero_bytes(dst, bytes)`: bulk memory's `memory.fill` with 0. A JavaScript `fill` on a view of
 * the heap's shared memory stores element by element, about five times slower.
 */
export const ZERO_KERNEL = "zero_bytes";

/** The `zero_bytes` function, for a module over the product heap. */
export function zeroFunction(): ModuleFunction {
  const { i32 } = ValueType;
  const f = new FunctionBody([i32, i32]);
  f.localGet(0).i32Const(0).localGet(1).memoryFill();
  return { name: ZERO_KERNEL, results: [], body: f };
}

/** The `copy_rows` function, for a module over the product heap. */
export function copyRowsFunction(): ModuleFunction {
  return { name: COPY_ROWS_KERNEL, results: [], body: copyRowsBody() };
}

function copyRowsBody(): FunctionBody {
  const { i32 } = ValueType;
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32]);
  const [src, srcStride, dst, dstStride, rows, floats] = [0, 1, 2, 3, 4, 5];
  const from = f.local(i32);
  const to = f.local(i32);
  const i = f.local(i32);
  const vectorEnd = f.local(i32);
  f.localGet(rows).i32Eqz().localGet(floats).i32Eqz().i32Or().if().return().end();
  f.loop(); // rows
  {
    f.localGet(src).localSet(from);
    f.localGet(dst).localSet(to);
    f.i32Const(0).localSet(i);
    runTo(
      f, i, floats, vectorEnd,
      () => {
        f.localGet(to).localGet(from).v128Load(0, 2).v128Store(0, 2);
        f.localGet(from).i32Const(16).i32Add().localSet(from);
        f.localGet(to).i32Const(16).i32Add().localSet(to);
      },
      () => {
        f.localGet(to).localGet(from).f32Load().f32Store();
        f.localGet(from).i32Const(4).i32Add().localSet(from);
        f.localGet(to).i32Const(4).i32Add().localSet(to);
      },
    );
    f.localGet(src).localGet(srcStride).i32Add().localSet(src);
    f.localGet(dst).localGet(dstStride).i32Add().localSet(dst);
    f.localGet(rows).i32Const(1).i32Sub().localTee(rows).brIf(0);
  }
  f.end();
  return f;
}

/** The `im2col` function, for a module over the product heap. */
export function im2colFunction(): ModuleFunction {
  return { name: IM2COL_KERNEL, results: [], body: im2colBody() };
}

/** The `transpose` function, for a module over the product heap. */
export function transposeFunction(): ModuleFunction {
  return { name: TRANSPOSE_KERNEL, results: [], body: transposeBody() };
}

function transposeBody(): FunctionBody {
  const { i32, v128 } = ValueType;
  const f = new FunctionBody([i32, i32, i32, i32, i32, i32]);
  const [src, srcStride, dst, dstStride, rows, columns] = [0, 1, 2, 3, 4, 5];
  const r = f.local(i32);
  const c = f.local(i32);
  const from = f.local(i32);
  const to = f.local(i32);
  const [a, b, x, y] = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  const [t0, t1, t2, t3] = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  f.localGet(rows).i32Eqz().localGet(columns).i32Eqz().i32Or().if().return().end();
  f.i32Const(0).localSet(r);
  f.loop(); // blocks of 4 rows
  {
    f.i32Const(0).localSet(c);
    f.loop(); // blocks of 4 columns
    {
      // from = src + r·srcStride + c·4; to = dst + c·dstStride + r·4
      f.localGet(src).localGet(r).localGet(srcStride).i32Mul().i32Add().localGet(c).i32Const(4).i32Mul().i32Add().localSet(from);
      f.localGet(dst).localGet(c).localGet(dstStride).i32Mul().i32Add().localGet(r).i32Const(4).i32Mul().i32Add().localSet(to);
      [a, b, x, y].forEach((v, k) => {
        f.localGet(from);
        if (k > 0) f.localGet(srcStride).i32Const(k).i32Mul().i32Add();
        f.v128Load(0, 2).localSet(v);
      });
      f.localGet(a).localGet(b).f32x4Shuffle([0, 4, 1, 5]).localSet(t0); // a0 b0 a1 b1
      f.localGet(a).localGet(b).f32x4Shuffle([2, 6, 3, 7]).localSet(t1); // a2 b2 a3 b3
      f.localGet(x).localGet(y).f32x4Shuffle([0, 4, 1, 5]).localSet(t2); // x0 y0 x1 y1
      f.localGet(x).localGet(y).f32x4Shuffle([2, 6, 3, 7]).localSet(t3); // x2 y2 x3 y3
      const out: [number, number, [number, number, number, number]][] = [[t0, t2, [0, 1, 4, 5]], [t0, t2, [2, 3, 6, 7]], [t1, t3, [0, 1, 4, 5]], [t1, t3, [2, 3, 6, 7]]];
      out.forEach(([p, q, lanes], k) => {
        f.localGet(to);
        if (k > 0) f.localGet(dstStride).i32Const(k).i32Mul().i32Add();
        f.localGet(p).localGet(q).f32x4Shuffle(lanes).v128Store(0, 2);
      });
      f.localGet(c).i32Const(4).i32Add().localTee(c).localGet(columns).i32LtS().brIf(0);
    }
    f.end();
    f.localGet(r).i32Const(4).i32Add().localTee(r).localGet(rows).i32LtS().brIf(0);
  }
  f.end();
  return f;
}

/** The parameters of `im2col` and `col2im` that {@link tapRows} walks, by local index. */
interface WindowParams {
  x: number;
  col: number;
  ld: number;
  channels: number;
  height: number;
  width: number;
  kh: number;
  kw: number;
  sh: number;
  dh: number;
  oh: number;
  top: number;
  table: number;
}

/** The locals {@link tapRows} keeps for its callers: the input row `iy`, and the kernel column's table entry. */
interface TapLocals {
  /** The first value of the current channel's plane (bytes). */
  base: number;
  iy: number;
  /** The kernel column's byte offset, its first and end output columns, the column stride × 4, and a plane row's bytes. */
  shift: number;
  start: number;
  end: number;
  stride: number;
  rowBytes: number;
  oy: number;
  /** The current row of the column matrix (bytes). */
  row: number;
}

/**
 * The loops im2col and col2im share: for each row r = (c, ky, kx) of the column matrix (at
 * `col + r·ld`), the kernel column's table entry, then for each output row oy its input row
 * iy = oy·sh + ky·dh − top, for which `outputRow` emits the work (iy may lie outside the image).
 */
function tapRows(f: FunctionBody, p: WindowParams, outputRow: (t: TapLocals) => void): void {
  const { i32 } = ValueType;
  const [c, ky, kx, plane, entry] = [f.local(i32), f.local(i32), f.local(i32), f.local(i32), f.local(i32)];
  const t: TapLocals = {
    base: f.local(i32), iy: f.local(i32), shift: f.local(i32), start: f.local(i32), end: f.local(i32),
    stride: f.local(i32), rowBytes: f.local(i32), oy: f.local(i32), row: f.local(i32),
  };
  f.localGet(p.height).localGet(p.width).i32Mul().i32Const(4).i32Mul().localSet(plane);
  f.localGet(p.width).i32Const(4).i32Mul().localSet(t.rowBytes);
  // The column stride times 4, the table's last word.
  f.localGet(p.table).localGet(p.kw).i32Const(12).i32Mul().i32Add().i32Load().localSet(t.stride);
  f.localGet(p.x).localSet(t.base);
  f.localGet(p.col).localSet(t.row);
  f.i32Const(0).localSet(c);
  f.loop(); // channels
  {
    f.i32Const(0).localSet(ky);
    f.loop(); // kernel rows
    {
      f.i32Const(0).localSet(kx);
      f.loop(); // kernel columns: one row of the column matrix
      {
        f.localGet(p.table).localGet(kx).i32Const(12).i32Mul().i32Add().localSet(entry);
        f.localGet(entry).i32Load(0).localSet(t.shift);
        f.localGet(entry).i32Load(4).localSet(t.start);
        f.localGet(entry).i32Load(8).localSet(t.end);
        f.i32Const(0).localSet(t.oy);
        f.loop(); // output rows
        {
          f.localGet(t.oy).localGet(p.sh).i32Mul().localGet(ky).localGet(p.dh).i32Mul().i32Add().localGet(p.top).i32Sub().localSet(t.iy);
          outputRow(t);
          f.localGet(t.oy).i32Const(1).i32Add().localTee(t.oy).localGet(p.oh).i32LtS().brIf(0);
        }
        f.end();
        f.localGet(t.row).localGet(p.ld).i32Add().localSet(t.row);
        f.localGet(kx).i32Const(1).i32Add().localTee(kx).localGet(p.kw).i32LtS().brIf(0);
      }
      f.end();
      f.localGet(ky).i32Const(1).i32Add().localTee(ky).localGet(p.kh).i32LtS().brIf(0);
    }
    f.end();
    f.localGet(t.base).localGet(plane).i32Add().localSet(t.base);
    f.localGet(c).i32Const(1).i32Add().localTee(c).localGet(p.channels).i32LtS().brIf(0);
  }
  f.end();
}

/**
 * Steps `ox` to `end`: four values at a time while four fit before `end` (`vector`, when given),
 * then one at a time (`scalar`, when given). Each callback emits one step's work and advances its
 * own pointers; `vectorEnd` is scratch.
 */
function runTo(f: FunctionBody, ox: number, end: number, vectorEnd: number, vector: (() => void) | undefined, scalar: (() => void) | undefined): void {
  if (vector !== undefined) {
    f.localGet(end).i32Const(3).i32Sub().localSet(vectorEnd);
    countedLoop(f, ox, vectorEnd, 4, vector);
  }
  if (scalar !== undefined) countedLoop(f, ox, end, 1, scalar);
}

/**
 * The inside of the current output row, output columns `[start, end)` whose tap lies in the
 * image: local `column` set to the column matrix's first value there (`row + (oy·ow + start)·4`),
 * `image` to the input's (`base + iy·width·4 + shift + start·stride`); then `vector` steps (unit
 * stride only) and `scalar` steps, after each of which this advances `column` by 16 or 4 and
 * `image` by 16 or the stride.
 */
function insideRow(
  f: FunctionBody,
  t: TapLocals,
  ow: number,
  { ox, vectorEnd, column, image }: { ox: number; vectorEnd: number; column: number; image: number },
  vector: () => void,
  scalar: () => void,
): void {
  f.localGet(t.row).localGet(t.oy).localGet(ow).i32Mul().localGet(t.start).i32Add().i32Const(4).i32Mul().i32Add().localSet(column);
  f.localGet(t.base).localGet(t.iy).localGet(t.rowBytes).i32Mul().i32Add().localGet(t.shift).i32Add();
  f.localGet(t.start).localGet(t.stride).i32Mul().i32Add().localSet(image);
  f.localGet(t.start).localSet(ox);
  f.localGet(t.stride).i32Const(4).i32Eq().if();
  runTo(f, ox, t.end, vectorEnd, () => {
    vector();
    f.localGet(column).i32Const(16).i32Add().localSet(column);
    f.localGet(image).i32Const(16).i32Add().localSet(image);
  }, undefined);
  f.end();
  runTo(f, ox, t.end, vectorEnd, undefined, () => {
    scalar();
    f.localGet(column).i32Const(4).i32Add().localSet(column);
    f.localGet(image).localGet(t.stride).i32Add().localSet(image);
  });
}

function im2colBody(): FunctionBody {
  const { i32 } = ValueType;
  const f = new FunctionBody(Array.from({ length: 14 }, () => i32));
  const [x, channels, height, width, kh, kw, sh, dh, oh, ow, top, table, col, ld] = Array.from({ length: 14 }, (_, i) => i);
  const run = { ox: f.local(i32), vectorEnd: f.local(i32), column: f.local(i32), image: f.local(i32) };
  const { ox, vectorEnd, column: dst, image: src } = run;
  // Stays 0: where the zero run before a row's inside starts.
  const first = f.local(i32);
  const zeros = (from: number, to: number): void => {
    f.localGet(from).localSet(ox);
    runTo(f, ox, to, vectorEnd, undefined, () => {
      f.localGet(dst).f32Const(0).f32Store();
      f.localGet(dst).i32Const(4).i32Add().localSet(dst);
    });
  };
  f.i32Const(0).localSet(first);
  tapRows(f, { x, col, ld, channels, height, width, kh, kw, sh, dh, oh, top, table }, (t) => {
    // dst = row + oy·ow·4: this output row's values in the column matrix's row.
    f.localGet(t.row).localGet(t.oy).localGet(ow).i32Mul().i32Const(4).i32Mul().i32Add().localSet(dst);
    // Outside [0, height) as an unsigned compare: the whole row is padding.
    f.localGet(t.iy).localGet(height).i32GeU().if();
    zeros(first, ow);
    f.else();
    {
      zeros(first, t.start);
      insideRow(
        f, t, ow, run,
        () => f.localGet(dst).localGet(src).v128Load(0, 2).v128Store(0, 2),
        () => f.localGet(dst).localGet(src).f32Load().f32Store(),
      );
      zeros(t.end, ow);
    }
    f.end();
  });
  return f;
}

function col2imBody(): FunctionBody {
  const { i32 } = ValueType;
  const f = new FunctionBody(Array.from({ length: 14 }, () => i32));
  const [x, channels, height, width, kh, kw, sh, dh, oh, ow, top, table, col, ld] = Array.from({ length: 14 }, (_, i) => i);
  const run = { ox: f.local(i32), vectorEnd: f.local(i32), column: f.local(i32), image: f.local(i32) };
  const { column: src, image: dst } = run;
  tapRows(f, { x, col, ld, channels, height, width, kh, kw, sh, dh, oh, top, table }, (t) => {
    // Taps in the padding (iy outside [0, height), an unsigned compare) add nothing.
    f.localGet(t.iy).localGet(height).i32LtU().if();
    insideRow(
      f, t, ow, run,
      () => f.localGet(dst).localGet(dst).v128Load(0, 2).localGet(src).v128Load(0, 2).f32x4Add().v128Store(0, 2),
      () => f.localGet(dst).localGet(dst).f32Load().localGet(src).f32Load().f32Add().f32Store(),
    );
    f.end();
  });
  return f;
}
