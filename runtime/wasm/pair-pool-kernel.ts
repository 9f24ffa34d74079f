/**
 * The 2×2 stride-2 max pool whose windows tile the input (`kernels/max-pool.ts`, `pairWindows`
 * with even height and width), and its backward (`gradients/pool.ts`), over the product heap:
 * four windows at a time, the tail of a row one at a time. Planes of an even height are
 * consecutive pairs of rows, so both run over `pairs` row pairs of `w` floats:
 *
 * - `pair_pool(x, y, pairs, w) → nan`: each window `[a, b]` above `[c, d]` gives its first maximum
 *   in row-major order, as `firstMaxOffset` picks it: the upper row's `b > a ? b : a`, the lower
 *   row's likewise, the lower when strictly greater; the bits of the value picked;
 * - `pair_pool_backward(x, dy, dx, pairs, w) → nan`: that position of dx gets `0 + dy` (so −0
 *   becomes +0, as the TypeScript `+=` onto a zero), the window's other three +0.
 *
 * And the 2×2 stride-2 average pool over the same windows (`kernels/average-pool.ts`,
 * `averagePoolBackward`), as their TypeScript loops compute it:
 *
 * - `pair_average(x, y, pairs, w)`: `y = ((((0 + a) + b) + c) + d) / 4` in float64, rounded once;
 * - `pair_average_backward(dy, dx, pairs, w)`: each of the window's four values of dx gets
 *   `0 + dy / 4` (float32: dy / 4 is exact, or rounds as the float64 quotient does).
 *
 * The max pool's kernels return 1 when a window's `a + b + c + d` is NaN (a NaN, or infinities of both signs, or
 * a float32 overflow that float64 would not have: a superset of the TypeScript loop's test), and
 * the caller then runs the TypeScript loop, which scans such windows; their output here is junk.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import { advance, countedLoop } from "./loops.js";
import type { ModuleFunction } from "./module.js";

/** Export names of the kernels. */
export const PAIR_POOL_KERNELS = { forward: "pair_pool", backward: "pair_pool_backward", average: "pair_average", averageBackward: "pair_average_backward" } as const;

/** The forward and backward kernels, for a module over the product heap. */
export function pairPoolFunctions(): ModuleFunction[] {
  return [
    { name: PAIR_POOL_KERNELS.forward, results: [ValueType.i32], body: pairPoolBody(false) },
    { name: PAIR_POOL_KERNELS.backward, results: [ValueType.i32], body: pairPoolBody(true) },
    { name: PAIR_POOL_KERNELS.average, results: [], body: pairAverageBody(false) },
    { name: PAIR_POOL_KERNELS.averageBackward, results: [], body: pairAverageBody(true) },
  ];
}

/**
 * `pair_average(x, y, pairs, w)` or `pair_average_backward(dy, dx, pairs, w)`: four windows a
 * step, the tail of a row one window at a time (as four-lane vectors whose other lanes are
 * ignored, so one body serves both).
 */
function pairAverageBody(backward: boolean): FunctionBody {
  const { i32, v128 } = ValueType;
  const f = new FunctionBody([i32, i32, i32, i32]);
  // Forward: rows of x in, y out. Backward: dy in, rows of dx out.
  const [rows, single, pairs, w] = backward ? [1, 0, 2, 3] : [0, 1, 2, 3];
  const [a, b, c, d, low] = Array.from({ length: 5 }, () => f.local(v128));
  f.localGet(pairs).i32Eqz().if().return().end();
  /** Four windows (`count` of them real) at the row pointers and `single`. */
  const windows = (count: 1 | 4, { upper, lower }: RowPair): void => {
    if (!backward) {
      if (count === 4) splitWindows(f, upper, lower, [a, b, c, d]);
      else {
        for (const [row, even, odd] of [[upper, a, b], [lower, c, d]] as const) {
          f.localGet(row).v128Load64Zero().localSet(even);
          f.localGet(even).localGet(even).f32x4Shuffle([1, 1, 1, 1]).localSet(odd);
        }
      }
      // (((0 + a) + b) + c) + d, then / 4, in float64 (0 + a makes −0 +0, as the loop's sum from 0
      // does): the low two windows, then the high two.
      const half = (highLanes: boolean): void => {
        f.f64Const(0).f64x2Splat();
        for (const v of [a, b, c, d]) {
          f.localGet(v);
          if (highLanes) f.localGet(v).f32x4Shuffle([2, 3, 2, 3]);
          f.f64x2PromoteLowF32x4().f64x2Add();
        }
        f.f64Const(0.25).f64x2Splat().f64x2Mul().f32x4DemoteF64x2Zero();
      };
      half(false);
      f.localSet(low);
      if (count === 4) {
        f.localGet(single);
        f.localGet(low);
        half(true);
        f.f32x4Shuffle([0, 1, 4, 5]).v128Store(0, 2);
      } else {
        f.localGet(single).localGet(low).f32x4ExtractLane(0).f32Store();
      }
      return;
    }
    // 0 + dy / 4, each share twice along both rows.
    if (count === 4) f.localGet(single).v128Load(0, 2);
    else f.localGet(single).v128Load32Splat();
    f.f32Const(0.25).f32x4Splat().f32x4Mul().f32Const(0).f32x4Splat().f32x4Add().localSet(low);
    for (const row of [upper, lower]) {
      if (count === 4) {
        f.localGet(row).localGet(low).localGet(low).f32x4Shuffle([0, 0, 1, 1]).v128Store(0, 2);
        f.localGet(row).localGet(low).localGet(low).f32x4Shuffle([2, 2, 3, 3]).v128Store(16, 2);
      } else {
        f.localGet(row).localGet(low).v128Store64Lane(0);
      }
    }
  };
  eachRowPair(f, rows, pairs, w, [single], [], (r) => windows(4, r), (r) => windows(1, r));
  return f;
}

/** A row pair's pointers: the upper row's next window, the lower row's, and a row's bytes. */
interface RowPair {
  upper: number;
  lower: number;
  rowBytes: number;
}

/**
 * The walk of the 2×2 kernels over `pairs` row pairs of `w` floats (even) from the byte pointer
 * in local `rows`: per pair, `four` for four windows at a time while four fit, then `one` for
 * each window left. After each, the row pointers move past its windows (32 or 8 bytes), and so
 * do the `perWindow` pointers (one float a window: 16 or 4 bytes) and the `perValue` ones (rows
 * of another plane, which also skip the lower row after each pair). `pairs` counts down to 0.
 */
function eachRowPair(
  f: FunctionBody,
  rows: number,
  pairs: number,
  w: number,
  perWindow: readonly number[],
  perValue: readonly number[],
  four: (r: RowPair) => void,
  one: (r: RowPair) => void,
): void {
  const { i32 } = ValueType;
  const [upper, lower, rowBytes, ox, ow, vectorEnd] = Array.from({ length: 6 }, () => f.local(i32));
  const r = { upper, lower, rowBytes };
  f.localGet(w).i32Const(4).i32Mul().localSet(rowBytes);
  f.localGet(w).i32Const(2).i32DivU().localSet(ow);
  f.localGet(ow).i32Const(3).i32Sub().localSet(vectorEnd);
  f.localGet(rows).localSet(upper);
  f.loop();
  {
    f.localGet(upper).localGet(rowBytes).i32Add().localSet(lower);
    f.i32Const(0).localSet(ox);
    countedLoop(f, ox, vectorEnd, 4, () => {
      four(r);
      advance(f, [upper, lower, ...perValue], 32);
      advance(f, perWindow, 16);
    });
    countedLoop(f, ox, ow, 1, () => {
      one(r);
      advance(f, [upper, lower, ...perValue], 8);
      advance(f, perWindow, 4);
    });
    // The next pair starts after the lower row, which ends where `lower` stands.
    f.localGet(lower).localSet(upper);
    for (const p of perValue) f.localGet(p).localGet(rowBytes).i32Add().localSet(p);
    f.localGet(pairs).i32Const(1).i32Sub().localTee(pairs).brIf(0);
  }
  f.end();
}

/** Four windows' values from the rows at `upper` and `lower`: a and b the even and odd of eight in the upper row, c and d of the lower. */
function splitWindows(f: FunctionBody, upper: number, lower: number, [a, b, c, d]: readonly number[]): void {
  for (const [row, even, odd] of [[upper, a, b], [lower, c, d]] as const) {
    f.localGet(row).v128Load(0, 2).localGet(row).v128Load(16, 2).f32x4Shuffle([0, 2, 4, 6]).localSet(even);
    f.localGet(row).v128Load(0, 2).localGet(row).v128Load(16, 2).f32x4Shuffle([1, 3, 5, 7]).localSet(odd);
  }
}

function pairPoolBody(backward: boolean): FunctionBody {
  const { i32, f32, v128 } = ValueType;
  const f = new FunctionBody(backward ? [i32, i32, i32, i32, i32] : [i32, i32, i32, i32]);
  const [x, out] = [0, 1]; // out: y (forward) or dy (backward), one value per window
  const dx = 2;
  const [pairs, w] = backward ? [3, 4] : [2, 3];
  const [dxUpper, offset] = [f.local(i32), f.local(i32)];
  const [a, b, c, d, upperIsB, lowerIsD, below, sum, nan, first, second] = Array.from({ length: 11 }, () => f.local(v128));
  const [sa, sb, sc, sd, sTop, sBottom, sSum] = Array.from({ length: 7 }, () => f.local(f32));
  const scalarNan = f.local(i32);
  f.localGet(pairs).i32Eqz().if().i32Const(0).return().end();
  if (backward) f.localGet(dx).localSet(dxUpper);
  f.f32Const(0).f32x4Splat().localSet(nan);
  f.i32Const(0).localSet(scalarNan);
  /** The upper row's first maximum: b > a ? b : a (and the lower's, with d and c). */
  const rowMax = (left: number, right: number, pick: number): FunctionBody => f.localGet(right).localGet(left).localGet(pick).v128Bitselect();
  eachRowPair(
    f, x, pairs, w, [out], backward ? [dxUpper] : [],
    ({ upper, lower, rowBytes }) => {
      splitWindows(f, upper, lower, [a, b, c, d]);
      f.localGet(b).localGet(a).f32x4Gt().localSet(upperIsB);
      f.localGet(d).localGet(c).f32x4Gt().localSet(lowerIsD);
      rowMax(a, b, upperIsB).localSet(first);
      rowMax(c, d, lowerIsD).localSet(second);
      f.localGet(second).localGet(first).f32x4Gt().localSet(below);
      f.localGet(a).localGet(b).f32x4Add().localGet(c).f32x4Add().localGet(d).f32x4Add().localTee(sum);
      f.localGet(sum).f32x4Ne().localGet(nan).v128Or().localSet(nan);
      if (!backward) {
        f.localGet(out).localGet(second).localGet(first).localGet(below).v128Bitselect().v128Store(0, 2);
      } else {
        // dy split by row (the lower where below), then by column; + 0 turns −0 into +0 as `0 + dy` does.
        f.localGet(out).v128Load(0, 2).localGet(below).v128Andnot().localSet(b);
        f.localGet(out).v128Load(0, 2).localGet(below).v128And().localSet(d);
        for (const [share, pick, lowerRow] of [[b, upperIsB, false], [d, lowerIsD, true]] as const) {
          f.localGet(share).localGet(pick).v128Andnot().f32Const(0).f32x4Splat().f32x4Add().localSet(first);
          f.localGet(share).localGet(pick).v128And().f32Const(0).f32x4Splat().f32x4Add().localSet(second);
          f.localGet(dxUpper);
          if (lowerRow) f.localGet(rowBytes).i32Add();
          f.localTee(offset).localGet(first).localGet(second).f32x4Shuffle([0, 4, 1, 5]).v128Store(0, 2);
          f.localGet(offset).localGet(first).localGet(second).f32x4Shuffle([2, 6, 3, 7]).v128Store(16, 2);
        }
      }
    },
    // The rest of the row one window at a time.
    ({ upper, lower, rowBytes }) => {
      f.localGet(upper).f32Load(0).localSet(sa);
      f.localGet(upper).f32Load(4).localSet(sb);
      f.localGet(lower).f32Load(0).localSet(sc);
      f.localGet(lower).f32Load(4).localSet(sd);
      f.localGet(sb).localGet(sa).localGet(sb).localGet(sa).f32Gt().select().localSet(sTop);
      f.localGet(sd).localGet(sc).localGet(sd).localGet(sc).f32Gt().select().localSet(sBottom);
      f.localGet(sa).localGet(sb).f32Add().localGet(sc).f32Add().localGet(sd).f32Add().localTee(sSum);
      f.localGet(sSum).f32Ne().localGet(scalarNan).i32Or().localSet(scalarNan);
      if (!backward) {
        f.localGet(out).localGet(sBottom).localGet(sTop).localGet(sBottom).localGet(sTop).f32Gt().select().f32Store();
      } else {
        // Zeros over the window, then 0 + dy at the picked value.
        for (const at of [0, 4]) {
          f.localGet(dxUpper).f32Const(0).f32Store(at);
          f.localGet(dxUpper).localGet(rowBytes).i32Add().f32Const(0).f32Store(at);
        }
        // offset = bottom > top ? rowBytes + (d > c ? 4 : 0) : (b > a ? 4 : 0)
        f.localGet(rowBytes).i32Const(4).i32Const(0).localGet(sd).localGet(sc).f32Gt().select().i32Add();
        f.i32Const(4).i32Const(0).localGet(sb).localGet(sa).f32Gt().select();
        f.localGet(sBottom).localGet(sTop).f32Gt().select().localSet(offset);
        f.localGet(dxUpper).localGet(offset).i32Add().f32Const(0).localGet(out).f32Load().f32Add().f32Store();
      }
    },
  );
  f.localGet(nan).v128AnyTrue().localGet(scalarNan).i32Or();
  return f;
}
