/**
 * F(4×4, 3×3)'s transforms of six vectors (or, for G, three), shared by the plan's Winograd
 * conv (`winograd-kernel.ts`, channels-last) and the training products' (`plane-winograd-kernel.ts`,
 * planes): the input transform Bᵀ, the output transform Aᵀ and the weights' G. Each emits the
 * arithmetic for values in locals and hands each result to a callback, which stores it.
 */
import { type FunctionBody, ValueType } from "./instructions.js";

/**
 * F(4×4, 3×3)'s input transform of six vectors, `x`·B (or Bᵀ·`x`), each output k handed to
 * `store` (the plan's `wino4_in` and the training products' `wino4_planes_in`): 4(x0 − x2) +
 * (x4 − x2); (x4 − 4x2) ± (x3 − 4x1); (x4 − x2) ± 2(x3 − x1); 4(x1 − x3) + (x5 − x3). `four` and
 * `two` hold splats of 4 and 2; `t1` and `t2` are scratch.
 */
export function winograd4Input(f: FunctionBody, x: readonly number[], [four, two, t1, t2]: readonly number[], store: (k: number, push: () => void) => void): void {
  store(0, () => f.localGet(x[0]).localGet(x[2]).f32x4Sub().localGet(four).f32x4Mul().localGet(x[4]).localGet(x[2]).f32x4Sub().f32x4Add());
  store(5, () => f.localGet(x[1]).localGet(x[3]).f32x4Sub().localGet(four).f32x4Mul().localGet(x[5]).localGet(x[3]).f32x4Sub().f32x4Add());
  f.localGet(x[4]).localGet(x[2]).localGet(four).f32x4Mul().f32x4Sub().localSet(t1);
  f.localGet(x[3]).localGet(x[1]).localGet(four).f32x4Mul().f32x4Sub().localSet(t2);
  store(1, () => f.localGet(t1).localGet(t2).f32x4Add());
  store(2, () => f.localGet(t1).localGet(t2).f32x4Sub());
  f.localGet(x[4]).localGet(x[2]).f32x4Sub().localSet(t1);
  f.localGet(x[3]).localGet(x[1]).f32x4Sub().localGet(two).f32x4Mul().localSet(t2);
  store(3, () => f.localGet(t1).localGet(t2).f32x4Add());
  store(4, () => f.localGet(t1).localGet(t2).f32x4Sub());
}

/**
 * F(4×4, 3×3)'s output transform of six vectors, Aᵀ·`x` (or `x`·A), each output k handed to
 * `use`: with s = x1 + x2, d = x1 − x2, s2 = x3 + x4, d2 = x3 − x4 (scratch locals), x0 + s + s2,
 * d + 2·d2, s + 4·s2, d + 8·d2 + x5. `two`, `four` and `eight` hold splats.
 */
export function winograd4Output(
  f: FunctionBody,
  x: readonly number[],
  [s, d, s2, d2, two, four, eight]: readonly number[],
  use: (k: number, push: () => void) => void,
): void {
  f.localGet(x[1]).localGet(x[2]).f32x4Add().localSet(s);
  f.localGet(x[1]).localGet(x[2]).f32x4Sub().localSet(d);
  f.localGet(x[3]).localGet(x[4]).f32x4Add().localSet(s2);
  f.localGet(x[3]).localGet(x[4]).f32x4Sub().localSet(d2);
  use(0, () => f.localGet(x[0]).localGet(s).f32x4Add().localGet(s2).f32x4Add());
  use(1, () => f.localGet(d).localGet(d2).localGet(two).f32x4Mul().f32x4Add());
  use(2, () => f.localGet(s).localGet(s2).localGet(four).f32x4Mul().f32x4Add());
  use(3, () => f.localGet(d).localGet(d2).localGet(eight).f32x4Mul().f32x4Add().localGet(x[5]).f32x4Add());
}

/**
 * F(4×4, 3×3)'s G applied to three vectors (`x[k]()` pushes the k-th), each of the six results
 * handed to `use` (the plan's `wino4_u` and the training products' `wino4_planes_u`): x0/4,
 * (x0 + x2 + x1)·(−⅙), (x0 + x2 − x1)·(−⅙), x0/24 + x2/6 ± x1/12, x2. `sixth` (−⅙), `quarter`,
 * `twelfth` and `sixth24` (1/24) hold splats; `a`, `b`, `c` are scratch.
 */
export function winograd4Weight(
  f: FunctionBody,
  x: readonly (() => void)[],
  { a, b, c, sixth, quarter, twelfth, sixth24 }: Record<"a" | "b" | "c" | "sixth" | "quarter" | "twelfth" | "sixth24", number>,
  use: (row: number, push: () => void) => void,
): void {
  x[0]();
  x[2]();
  f.f32x4Add().localSet(a);
  // b = x0/24 + x2/6, c = x1/12
  x[0]();
  f.localGet(sixth24).f32x4Mul();
  x[2]();
  f.localGet(sixth).f32x4Mul().f32x4Sub().localSet(b);
  x[1]();
  f.localGet(twelfth).f32x4Mul().localSet(c);
  use(0, () => {
    x[0]();
    f.localGet(quarter).f32x4Mul();
  });
  use(1, () => {
    f.localGet(a);
    x[1]();
    f.f32x4Add().localGet(sixth).f32x4Mul();
  });
  use(2, () => {
    f.localGet(a);
    x[1]();
    f.f32x4Sub().localGet(sixth).f32x4Mul();
  });
  use(3, () => f.localGet(b).localGet(c).f32x4Add());
  use(4, () => f.localGet(b).localGet(c).f32x4Sub());
  use(5, () => x[2]());
}

/** Locals for {@link winograd4Weight}: its factors as splats, set here, and its scratch. */
export function winograd4WeightLocals(f: FunctionBody): Record<"a" | "b" | "c" | "sixth" | "quarter" | "twelfth" | "sixth24", number> {
  const [a, b, c, sixth, quarter, twelfth, sixth24] = Array.from({ length: 7 }, () => f.local(ValueType.v128));
  f.f32Const(-1 / 6).f32x4Splat().localSet(sixth);
  f.f32Const(1 / 4).f32x4Splat().localSet(quarter);
  f.f32Const(1 / 12).f32x4Splat().localSet(twelfth);
  f.f32Const(1 / 24).f32x4Splat().localSet(sixth24);
  return { a, b, c, sixth, quarter, twelfth, sixth24 };
}

/**
 * U = G g Gᵀ of the 3 × 3 taps in the locals `g` (g[3·ky + kx]), through the 18 scratch locals
 * `t` ((G g)[row][kx] at t[3·row + kx]): G g column by column, then each of its rows times Gᵀ,
 * the value for ξ = 6·row + column handed to `store` (the plan's `wino4_u` and the training
 * products' `wino4_planes_u`).
 */
export function winograd4WeightTile(
  f: FunctionBody,
  g: readonly number[],
  t: readonly number[],
  constants: Record<"a" | "b" | "c" | "sixth" | "quarter" | "twelfth" | "sixth24", number>,
  store: (xi: number, push: () => void) => void,
): void {
  for (let kx = 0; kx < 3; kx++) {
    winograd4Weight(f, [0, 1, 2].map((ky) => () => void f.localGet(g[3 * ky + kx])), constants, (row, push) => {
      push();
      f.localSet(t[3 * row + kx]);
    });
  }
  for (let row = 0; row < 6; row++) {
    winograd4Weight(f, [0, 1, 2].map((kx) => () => void f.localGet(t[3 * row + kx])), constants, (col, push) => store(6 * row + col, push));
  }
}
