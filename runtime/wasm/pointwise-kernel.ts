/**
 * Element-wise kernels of training over the product heap (`runtime/linalg/wasm-products.ts`),
 * four floats at a time: the caller copies a chunk of its operands into the heap, calls one of
 * these over it, and copies the result out (`ProductHeap.pointwise`). Each takes byte pointers
 * and a count of floats that is a multiple of four (the caller pads its scratch):
 *
 * - `relu(x, y, n)`: `y = x > 0 ? x : 0`, so a NaN and −0 give +0, as `kernels/relu.ts`;
 * - `relu_backward(dy, y, dx, n)`: `dx = y <= 0 ? 0 : dy`, so a NaN output passes its gradient,
 *   as `reluBackward` in `gradients/activations.ts`;
 * - `add(a, b, c, n)`: `c = a + b`, float32 sums (which JavaScript's double sums rounded once to
 *   float32 equal exactly);
 * - `add_relu(a, b, c, n)`: relu of that sum, as `add` then `relu` (a training graph's residual
 *   sum with the relu after it fused, `compiler/train/fuse-relu.ts`).
 *
 * And the per-plane affine maps of the normalizers, in float64 as the TypeScript loops compute them
 * (`applyScaleShift` in `moments.ts`, `writeInputGradient` in `gradients/normalization-sums.ts`),
 * over `planes` consecutive planes of `inner` floats, plane p's coefficients the float64 values at
 * `coefficients + 8·(count·p + j)`, rounded once to float32:
 *
 * - `scale_shift(x, y, planes, inner, coefficients)`: `y = x·a + b` (count 2);
 * - `gradient_affine(dy, x, dx, planes, inner, coefficients)`: `dx = (a·dy + b·x) + c` (count 3);
 * - `scale_shift_relu(x, y, planes, inner, coefficients)`: relu of `scale_shift`'s float32 result
 *   (count 2), as `relu` after it: a training batch norm with its relu fused.
 *
 * And the sums of the normalizers' statistics, per plane in float64 and in the plane's order, as
 * the TypeScript loops add them (`channelMoments` in `moments.ts`, `binMoments` in
 * `gradients/normalization-sums.ts`), over `pairs` pairs of consecutive planes of `inner` floats,
 * the two planes of a pair in the two float64 lanes, each lane adding its plane's values one after
 * another; a pair's per-plane parameters and results are float64 pairs:
 *
 * - `sums(x, pairs, inner, out)`: `Σ x`;
 * - `squares(x, pairs, inner, centres, out)`: `Σ (x − centre)²`;
 * - `moments(x, dy, pairs, inner, origins, out)`: with `v = x − origin`, the four sums `Σ v`,
 *   `Σ v²`, `Σ dy`, `Σ dy·v`, at `out + 16·(4·pair + j)`.
 *
 * And SGD's update of `runtime/train/optimizers.ts`, two parameters per float64x2, each float32
 * rounding of the TypeScript loop a demotion and promotion:
 *
 * - `sgd(p, g, b, n, decay, momentum, keep, rate, flags)`: with `d = g`, `d ← R(d + decay·p)`
 *   (flag 8), then with a momentum buffer (flag 1) `b ← d` on the first update (flag 2), else
 *   `b ← R(R(b·momentum) + keep·d)`, and `d ← R(d + momentum·b)` (nesterov, flag 4) or `b`; last
 *   `p ← R(p + rate·d)`. `n` is even.
 * - `adam(p, g, m, v, n, decay, b1, b2, c1, c2, correction2, eps, stepSize, flags)`: Adam's and
 *   AdamW's update, `p ← R(p·decay)` (AdamW, flag 1) or `g ← R(g + decay·p)` (flag 2), then
 *   `m ← R(R(m·b1) + c1·g)`, `v ← R(R(v·b2) + R(c2·g)·g)`,
 *   `p ← R(p + R(R(stepSize·m) / R(R(R(√v) / correction2) + eps)))`.
 *
 * Each lane does what the TypeScript loop does to that element, so the results are the same bits.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import { advance, countedLoop } from "./loops.js";
import type { ModuleFunction } from "./module.js";

/** Export names of the kernels. */
export const POINTWISE_KERNELS = {
  relu: "pointwise_relu",
  reluBackward: "pointwise_relu_backward",
  add: "pointwise_add",
  tanhBackward: "pointwise_tanh_backward",
  sigmoidBackward: "pointwise_sigmoid_backward",
  addRelu: "pointwise_add_relu",
} as const;
/** Export names of the per-plane kernels. */
export const PLANE_KERNELS = { scaleShift: "planes_scale_shift", gradientAffine: "planes_gradient_affine", scaleShiftRelu: "planes_scale_shift_relu" } as const;
/** Export names of the per-plane sums. */
export const SUM_KERNELS = { sums: "planes_sums", squares: "planes_squares", moments: "planes_moments" } as const;
/** Float64 sums per plane of each. */
export const SUM_COUNTS = { sums: 1, squares: 1, moments: 4 } as const;
/** Export name of SGD's update. */
export const SGD_KERNEL = "sgd_update";
/** Export name of Adam's update. */
export const ADAM_KERNEL = "adam_update";
/** The flags of {@link ADAM_KERNEL}. */
export const AdamFlags = { decoupled: 1, decay: 2 } as const;
/** The flags of {@link SGD_KERNEL}. */
export const SgdFlags = { buffer: 1, first: 2, nesterov: 4, decay: 8 } as const;
/** Float64 coefficients per plane of each per-plane kernel. */
export const PLANE_COEFFICIENTS = { scaleShift: 2, gradientAffine: 3, scaleShiftRelu: 2 } as const;

/** A kernel over operands at byte pointers, `n` floats (a multiple of four). */
export type PointwiseKernel = (...pointersThenCount: number[]) => void;

/** The three kernels, for a module over the product heap. */
export function pointwiseFunctions(): ModuleFunction[] {
  return [
    {
      name: POINTWISE_KERNELS.relu,
      results: [],
      body: vectorLoop(1, (f, [x]) => {
        f.localGet(x).v128Load(0, 2);
        relu32x4(f);
      }),
    },
    {
      name: POINTWISE_KERNELS.reluBackward,
      results: [],
      // dy with the lanes where y <= 0 cleared (a NaN y compares false and keeps dy).
      body: vectorLoop(2, (f, [dy, y]) => f.localGet(dy).v128Load(0, 2).localGet(y).v128Load(0, 2).f32Const(0).f32x4Splat().f32x4Le().v128Andnot()),
    },
    {
      name: POINTWISE_KERNELS.add,
      results: [],
      body: vectorLoop(2, (f, [a, b]) => f.localGet(a).v128Load(0, 2).localGet(b).v128Load(0, 2).f32x4Add()),
    },
    {
      name: POINTWISE_KERNELS.tanhBackward,
      results: [],
      // dy · (1 − y·y), in float32 operations as PyTorch's tanh_backward.
      body: vectorLoop(2, (f, [dy, y]) => {
        f.localGet(dy).v128Load(0, 2);
        f.f32Const(1).f32x4Splat().localGet(y).v128Load(0, 2).localGet(y).v128Load(0, 2).f32x4Mul().f32x4Sub();
        f.f32x4Mul();
      }),
    },
    {
      name: POINTWISE_KERNELS.sigmoidBackward,
      results: [],
      // (dy · (1 − y)) · y, in float32 operations as PyTorch's sigmoid_backward.
      body: vectorLoop(2, (f, [dy, y]) => {
        f.localGet(dy).v128Load(0, 2);
        f.f32Const(1).f32x4Splat().localGet(y).v128Load(0, 2).f32x4Sub().f32x4Mul();
        f.localGet(y).v128Load(0, 2).f32x4Mul();
      }),
    },
    {
      name: POINTWISE_KERNELS.addRelu,
      results: [],
      body: vectorLoop(2, (f, [a, b]) => {
        f.localGet(a).v128Load(0, 2).localGet(b).v128Load(0, 2).f32x4Add();
        relu32x4(f);
      }),
    },
  ];
}

/**
 * Relu of the float32x4 on the stack (the `relu` kernel's, and the fused kernels'): x > 0 as a
 * mask, and x under it, so +0 elsewhere (a NaN and −0 too).
 */
function relu32x4(f: FunctionBody): void {
  const v = f.local(ValueType.v128);
  f.localTee(v).f32Const(0).f32x4Splat().f32x4Gt().localGet(v).v128And();
}

/** The two per-plane kernels. */
export function planeFunctions(): ModuleFunction[] {
  const scaleShift = (relu: boolean): FunctionBody =>
    // x·a + b
    planeLoop(1, 2, (f, [x], [a, b]) => {
      x();
      a();
      f.f64x2Mul();
      b();
      f.f64x2Add();
    }, (f, [x], [a, b]) => {
      x();
      a();
      f.f64Mul();
      b();
      f.f64Add();
    }, relu);
  return [
    { name: PLANE_KERNELS.scaleShift, results: [], body: scaleShift(false) },
    {
      name: PLANE_KERNELS.gradientAffine,
      results: [],
      // (a·dy + b·x) + c
      body: planeLoop(2, 3, (f, [dy, x], [a, b, c]) => {
        a();
        dy();
        f.f64x2Mul();
        b();
        x();
        f.f64x2Mul();
        f.f64x2Add();
        c();
        f.f64x2Add();
      }, (f, [dy, x], [a, b, c]) => {
        a();
        dy();
        f.f64Mul();
        b();
        x();
        f.f64Mul();
        f.f64Add();
        c();
        f.f64Add();
      }),
    },
    { name: PLANE_KERNELS.scaleShiftRelu, results: [], body: scaleShift(true) },
  ];
}

/** The three per-plane sums. */
export function sumFunctions(): ModuleFunction[] {
  return [
    { name: SUM_KERNELS.sums, results: [], body: pairSums(1, false, 1, (f, [x], _, [s]) => add(f, s, () => f.localGet(x))) },
    {
      name: SUM_KERNELS.squares,
      results: [],
      body: pairSums(1, true, 1, (f, [x], centre, [s], [d]) => {
        f.localGet(x).localGet(centre).f64x2Sub().localSet(d);
        add(f, s, () => f.localGet(d).localGet(d).f64x2Mul());
      }),
    },
    {
      name: SUM_KERNELS.moments,
      results: [],
      body: pairSums(2, true, 4, (f, [x, g], origin, [s1, s2, g1, g2], [v]) => {
        f.localGet(x).localGet(origin).f64x2Sub().localSet(v);
        add(f, s1, () => f.localGet(v));
        add(f, s2, () => f.localGet(v).localGet(v).f64x2Mul());
        add(f, g1, () => f.localGet(g));
        add(f, g2, () => f.localGet(g).localGet(v).f64x2Mul());
      }),
    },
  ];
}

/** SGD's update (see the header). */
export function sgdFunction(): ModuleFunction {
  const { i32, f64, v128 } = ValueType;
  const f = new FunctionBody([i32, i32, i32, i32, f64, f64, f64, f64, i32]);
  const [p, g, b, n, decayArg, momentumArg, keepArg, rateArg, flags] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [decay, momentum, keep, rate] = [f.local(v128), f.local(v128), f.local(v128), f.local(v128)];
  const [d, param, buffer] = [f.local(v128), f.local(v128), f.local(v128)];
  const end = f.local(i32);
  const flag = (bit: number): FunctionBody => f.localGet(flags).i32Const(bit).i32And();
  /** Rounds the float64x2 on the stack to float32 and back. */
  const round = (): FunctionBody => f.f32x4DemoteF64x2Zero().f64x2PromoteLowF32x4();
  const load = (pointer: number): FunctionBody => f.localGet(pointer).v128Load64Zero().f64x2PromoteLowF32x4();
  f.localGet(n).i32Eqz().if().return().end();
  for (const [local, arg] of [[decay, decayArg], [momentum, momentumArg], [keep, keepArg], [rate, rateArg]]) f.localGet(arg).f64x2Splat().localSet(local);
  f.localGet(p).localGet(n).i32Const(4).i32Mul().i32Add().localSet(end);
  f.loop();
  {
    load(g).localSet(d);
    load(p).localSet(param);
    flag(SgdFlags.decay).if();
    f.localGet(d).localGet(decay).localGet(param).f64x2Mul().f64x2Add();
    round().localSet(d);
    f.end();
    flag(SgdFlags.buffer).if();
    {
      flag(SgdFlags.first).if();
      f.localGet(d).localSet(buffer);
      f.else();
      load(b).localGet(momentum).f64x2Mul();
      round().localGet(keep).localGet(d).f64x2Mul().f64x2Add();
      round().localSet(buffer);
      f.end();
      f.localGet(b).localGet(buffer).f32x4DemoteF64x2Zero().v128Store64Lane(0);
      flag(SgdFlags.nesterov).if();
      f.localGet(d).localGet(momentum).localGet(buffer).f64x2Mul().f64x2Add();
      round().localSet(d);
      f.else();
      f.localGet(buffer).localSet(d);
      f.end();
      f.localGet(b).i32Const(8).i32Add().localSet(b);
    }
    f.end();
    f.localGet(p).localGet(param).localGet(rate).localGet(d).f64x2Mul().f64x2Add().f32x4DemoteF64x2Zero().v128Store64Lane(0);
    advance(f, [p, g], 8);
    f.localGet(p).localGet(end).i32LtU().brIf(0);
  }
  f.end();
  return { name: SGD_KERNEL, results: [], body: f };
}

/** Adam's and AdamW's update (see the header). */
export function adamFunction(): ModuleFunction {
  const { i32, f64, v128 } = ValueType;
  const f = new FunctionBody([i32, i32, i32, i32, i32, f64, f64, f64, f64, f64, f64, f64, f64, i32]);
  const [p, g, m, v, n] = [0, 1, 2, 3, 4];
  const flags = 13;
  const [decay, b1, b2, c1, c2, correction2, eps, stepSize] = Array.from({ length: 8 }, () => f.local(v128));
  const [grad, param, first, second] = Array.from({ length: 4 }, () => f.local(v128));
  const end = f.local(i32);
  const round = (): FunctionBody => f.f32x4DemoteF64x2Zero().f64x2PromoteLowF32x4();
  const load = (pointer: number): FunctionBody => f.localGet(pointer).v128Load64Zero().f64x2PromoteLowF32x4();
  f.localGet(n).i32Eqz().if().return().end();
  [decay, b1, b2, c1, c2, correction2, eps, stepSize].forEach((local, k) => f.localGet(5 + k).f64x2Splat().localSet(local));
  f.localGet(p).localGet(n).i32Const(4).i32Mul().i32Add().localSet(end);
  f.loop();
  {
    load(g).localSet(grad);
    load(p).localSet(param);
    f.localGet(flags).i32Const(AdamFlags.decoupled).i32And().if();
    f.localGet(param).localGet(decay).f64x2Mul();
    round().localSet(param);
    f.end();
    f.localGet(flags).i32Const(AdamFlags.decay).i32And().if();
    f.localGet(grad).localGet(decay).localGet(param).f64x2Mul().f64x2Add();
    round().localSet(grad);
    f.end();
    // m ← R(R(m·b1) + c1·g)
    load(m).localGet(b1).f64x2Mul();
    round().localGet(c1).localGet(grad).f64x2Mul().f64x2Add();
    round().localSet(first);
    f.localGet(m).localGet(first).f32x4DemoteF64x2Zero().v128Store64Lane(0);
    // v ← R(R(v·b2) + R(c2·g)·g)
    load(v).localGet(b2).f64x2Mul();
    round().localGet(c2).localGet(grad).f64x2Mul();
    round().localGet(grad).f64x2Mul().f64x2Add();
    round().localSet(second);
    f.localGet(v).localGet(second).f32x4DemoteF64x2Zero().v128Store64Lane(0);
    // p ← R(p + R(R(stepSize·m) / R(R(R(√v) / correction2) + eps)))
    f.localGet(p).localGet(param);
    f.localGet(stepSize).localGet(first).f64x2Mul();
    round();
    f.localGet(second).f64x2Sqrt();
    round().localGet(correction2).f64x2Div();
    round().localGet(eps).f64x2Add();
    round().f64x2Div();
    round().f64x2Add().f32x4DemoteF64x2Zero().v128Store64Lane(0);
    advance(f, [p, g, m, v], 8);
    f.localGet(p).localGet(end).i32LtU().brIf(0);
  }
  f.end();
  return { name: ADAM_KERNEL, results: [], body: f };
}

/** `sum += value`, float64x2. */
function add(f: FunctionBody, sum: number, value: () => void): void {
  f.localGet(sum);
  value();
  f.f64x2Add().localSet(sum);
}

/** Pairs of planes {@link pairSums} sums side by side: their chains of additions are independent, so each waits on the others' latency less. */
const PAIRS_AT_ONCE = 2;

/**
 * A function `(in_1 … in_inputs, pairs, inner[, parameters], out)` over pairs of planes: for
 * each pair, `sums` float64x2 sums from zero, each value of the two planes (two lanes of float64,
 * in the planes' order) given to `step` with the pair's parameter, then stored at `out`. Two
 * pairs go through one loop while two are left (then the last alone): a plane's sum is one chain
 * of additions whose latency bounds a loop over one pair, and two independent chains overlap.
 * Each plane's values are still added in its order, so the sums are those of a pair at a time.
 */
function pairSums(
  inputs: number,
  parameter: boolean,
  sums: number,
  step: (f: FunctionBody, values: number[], parameter: number, sums: number[], scratch: number[]) => void,
): FunctionBody {
  const { i32, v128 } = ValueType;
  const f = new FunctionBody(Array.from({ length: inputs + (parameter ? 4 : 3) }, () => i32));
  const first = Array.from({ length: inputs }, (_, k) => k);
  const [pairs, inner] = [inputs, inputs + 1];
  const table = parameter ? inputs + 2 : -1;
  const out = inputs + (parameter ? 3 : 2);
  /** Per pair of a pass: its planes' pointers (the first's and the second's), its values, its sums and its parameter. */
  const lanes = Array.from({ length: PAIRS_AT_ONCE }, () => ({
    one: first.map(() => f.local(i32)),
    two: first.map(() => f.local(i32)),
    low: first.map(() => f.local(v128)),
    high: first.map(() => f.local(v128)),
    values: first.map(() => f.local(v128)),
    accumulators: Array.from({ length: sums }, () => f.local(v128)),
    scratch: [f.local(v128)],
    centre: f.local(v128),
  }));
  const planeBytes = f.local(i32);
  const i = f.local(i32);
  const vectorEnd = f.local(i32);
  f.localGet(pairs).i32Eqz().localGet(inner).i32Eqz().i32Or().if().return().end();
  f.localGet(inner).i32Const(4).i32Mul().localSet(planeBytes);
  f.localGet(inner).i32Const(3).i32Sub().localSet(vectorEnd);
  /** A loop that takes `together` pairs a pass while that many are left. */
  const passes = (together: number): void => {
    const taken = lanes.slice(0, together);
    const pointers = taken.flatMap((lane) => [...lane.one, ...lane.two]);
    f.block();
    f.loop();
    {
      f.localGet(pairs).i32Const(together).i32LtU().brIf(1);
      taken.forEach((lane, q) => {
        first.forEach((p, k) => {
          f.localGet(p).localGet(planeBytes).i32Const(2 * q).i32Mul().i32Add().localSet(lane.one[k]);
          f.localGet(lane.one[k]).localGet(planeBytes).i32Add().localSet(lane.two[k]);
        });
        if (parameter) f.localGet(table).v128Load(16 * q, 3).localSet(lane.centre);
        for (const a of lane.accumulators) f.f64Const(0).f64x2Splat().localSet(a);
      });
      f.i32Const(0).localSet(i);
      // Four values of each plane: a0 b0 a1 b1 (low), a2 b2 a3 b3 (high), a pair after the other.
      countedLoop(f, i, vectorEnd, 4, () => {
        for (const { one, two, low, high, values, accumulators, scratch, centre } of taken) {
          first.forEach((_, k) => {
            // a0…a3 of the first plane in low, b0…b3 of the second in high, then interleaved.
            f.localGet(one[k]).v128Load(0, 2).localSet(low[k]);
            f.localGet(two[k]).v128Load(0, 2).localSet(high[k]);
            f.localGet(low[k]).localGet(high[k]).f32x4Shuffle([0, 4, 1, 5]).localSet(values[k]);
            f.localGet(low[k]).localGet(high[k]).f32x4Shuffle([2, 6, 3, 7]).localSet(high[k]);
            f.localGet(values[k]).localSet(low[k]);
          });
          for (const [source, upper] of [[low, false], [low, true], [high, false], [high, true]] as const) {
            first.forEach((_, k) => {
              f.localGet(source[k]);
              if (upper) f.localGet(source[k]).f32x4Shuffle([2, 3, 2, 3]);
              f.f64x2PromoteLowF32x4().localSet(values[k]);
            });
            step(f, values, centre, accumulators, scratch);
          }
        }
        advance(f, pointers, 16);
      });
      // The rest one at a time.
      countedLoop(f, i, inner, 1, () => {
        for (const { one, two, values, accumulators, scratch, centre } of taken) {
          first.forEach((_, k) => {
            f.localGet(one[k]).f32Load().f64PromoteF32().f64x2Splat().localGet(two[k]).f32Load().f64PromoteF32().f64x2ReplaceLane(1).localSet(values[k]);
          });
          step(f, values, centre, accumulators, scratch);
        }
        advance(f, pointers, 4);
      });
      taken.forEach((lane, q) => lane.accumulators.forEach((a, j) => f.localGet(out).localGet(a).v128Store(16 * (sums * q + j), 3)));
      f.localGet(out).i32Const(16 * sums * together).i32Add().localSet(out);
      if (parameter) f.localGet(table).i32Const(16 * together).i32Add().localSet(table);
      // The next pass starts where the last pair's second plane ended.
      first.forEach((p, k) => f.localGet(taken[together - 1].two[k]).localSet(p));
      f.localGet(pairs).i32Const(together).i32Sub().localSet(pairs);
      f.br(0);
    }
    f.end();
    f.end();
  };
  passes(PAIRS_AT_ONCE);
  passes(1);
  return f;
}

/** Pushes one operand (a float64 pair, or a float64) on the stack. */
type Push = () => void;

/**
 * A function `(in_1 … in_inputs, out, planes, inner, coefficients)` that writes each plane's
 * float32 values from `lanes` (two at a time, float64x2: given pushers of the inputs' values
 * promoted and of the coefficients splatted) or `scalar` (one at a time, float64), rounded to
 * float32 (with `relu`, then relu of it). The vector loop takes four values: the low two lanes,
 * then the high two moved down.
 */
function planeLoop(
  inputs: number,
  count: number,
  lanes: (f: FunctionBody, values: Push[], coefficients: Push[]) => void,
  scalar: (f: FunctionBody, values: Push[], coefficients: Push[]) => void,
  relu = false,
): FunctionBody {
  const { i32, f64, v128 } = ValueType;
  const f = new FunctionBody(Array.from({ length: inputs + 4 }, () => i32));
  const pointers = Array.from({ length: inputs }, (_, k) => k);
  const [out, planes, inner, table] = [inputs, inputs + 1, inputs + 2, inputs + 3];
  const wide = Array.from({ length: count }, () => f.local(v128));
  const narrow = Array.from({ length: count }, () => f.local(f64));
  const loaded = Array.from({ length: inputs }, () => f.local(v128));
  const low = f.local(v128);
  const single = relu ? f.local(ValueType.f32) : -1;
  const i = f.local(i32);
  const vectorEnd = f.local(i32);
  f.localGet(planes).i32Eqz().localGet(inner).i32Eqz().i32Or().if().return().end();
  f.localGet(inner).i32Const(3).i32Sub().localSet(vectorEnd);
  f.loop(); // planes
  {
    narrow.forEach((local, j) => {
      f.localGet(table).f64Load(8 * j).localTee(local).f64x2Splat().localSet(wide[j]);
    });
    f.i32Const(0).localSet(i);
    // Four values at a time while four fit in the plane.
    countedLoop(f, i, vectorEnd, 4, () => {
      pointers.forEach((p, k) => f.localGet(p).v128Load(0, 2).localSet(loaded[k]));
      const half = (high: boolean): void => {
        // The high half: lanes 2 and 3 of v (shuffled with itself) moved down.
        const values = loaded.map((v) => () => {
          f.localGet(v);
          if (high) f.localGet(v).f32x4Shuffle([2, 3, 2, 3]);
          f.f64x2PromoteLowF32x4();
        });
        lanes(f, values, wide.map((w) => () => f.localGet(w)));
        f.f32x4DemoteF64x2Zero();
      };
      f.localGet(out);
      half(false);
      f.localSet(low);
      f.localGet(low);
      half(true);
      f.f32x4Shuffle([0, 1, 4, 5]);
      if (relu) relu32x4(f);
      f.v128Store(0, 2);
      advance(f, [...pointers, out], 16);
    });
    // The rest one at a time.
    countedLoop(f, i, inner, 1, () => {
      f.localGet(out);
      scalar(f, pointers.map((p) => () => f.localGet(p).f32Load().f64PromoteF32()), narrow.map((n) => () => f.localGet(n)));
      f.f32DemoteF64();
      if (relu) {
        // v > 0 ? v : +0, as a lane of relu32x4.
        f.localTee(single).f32Const(0).localGet(single).f32Const(0).f32Gt().select();
      }
      f.f32Store();
      advance(f, [...pointers, out], 4);
    });
    f.localGet(table).i32Const(8 * count).i32Add().localSet(table);
    f.localGet(planes).i32Const(1).i32Sub().localTee(planes).brIf(0);
  }
  f.end();
  return f;
}

/**
 * A function `(in_1 … in_inputs, out, n)` that stores, for every four floats, the vector that
 * `lane` leaves on the stack from the inputs' pointers, then advances every pointer by 16 bytes.
 */
function vectorLoop(inputs: number, lane: (f: FunctionBody, pointers: number[]) => void): FunctionBody {
  const f = new FunctionBody(Array.from({ length: inputs + 2 }, () => ValueType.i32));
  const pointers = Array.from({ length: inputs }, (_, k) => k);
  const [out, n] = [inputs, inputs + 1];
  const end = f.local(ValueType.i32);
  f.localGet(n).i32Eqz().if().return().end();
  // end = out + 4·n
  f.localGet(out).localGet(n).i32Const(4).i32Mul().i32Add().localSet(end);
  f.loop();
  {
    f.localGet(out);
    lane(f, pointers);
    f.v128Store(0, 2);
    advance(f, [...pointers, out], 16);
    f.localGet(out).localGet(end).i32LtU().brIf(0);
  }
  f.end();
  return f;
}
