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
 *   float32 equal exactly).
 *
 * And the per-plane affine maps of the normalizers, in float64 as the TypeScript loops compute them
 * (`applyScaleShift` in `moments.ts`, `writeInputGradient` in `gradients/normalization-sums.ts`),
 * over `planes` consecutive planes of `inner` floats, plane p's coefficients the float64 values at
 * `coefficients + 8·(count·p + j)`, rounded once to float32:
 *
 * - `scale_shift(x, y, planes, inner, coefficients)`: `y = x·a + b` (count 2);
 * - `gradient_affine(dy, x, dx, planes, inner, coefficients)`: `dx = (a·dy + b·x) + c` (count 3).
 *
 * Each lane does what the TypeScript loop does to that element, so the results are the same bits.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import type { ModuleFunction } from "./module.js";

/** Export names of the kernels. */
export const POINTWISE_KERNELS = { relu: "pointwise_relu", reluBackward: "pointwise_relu_backward", add: "pointwise_add" } as const;
/** Export names of the per-plane kernels. */
export const PLANE_KERNELS = { scaleShift: "planes_scale_shift", gradientAffine: "planes_gradient_affine" } as const;
/** Float64 coefficients per plane of each per-plane kernel. */
export const PLANE_COEFFICIENTS = { scaleShift: 2, gradientAffine: 3 } as const;

/** A kernel over operands at byte pointers, `n` floats (a multiple of four). */
export type PointwiseKernel = (...pointersThenCount: number[]) => void;

/** The three kernels, for a module over the product heap. */
export function pointwiseFunctions(): ModuleFunction[] {
  return [
    {
      name: POINTWISE_KERNELS.relu,
      results: [],
      // x > 0 as a mask, and x under it: +0 elsewhere.
      body: vectorLoop(1, (f, [x]) => f.localGet(x).v128Load(0, 2).f32Const(0).f32x4Splat().f32x4Gt().localGet(x).v128Load(0, 2).v128And()),
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
  ];
}

/** The two per-plane kernels. */
export function planeFunctions(): ModuleFunction[] {
  return [
    {
      name: PLANE_KERNELS.scaleShift,
      results: [],
      // x·a + b
      body: planeLoop(1, 2, (f, [x], [a, b]) => {
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
      }),
    },
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
  ];
}

/** Pushes one operand (a float64 pair, or a float64) on the stack. */
type Push = () => void;

/**
 * A function `(in_1 … in_inputs, out, planes, inner, coefficients)` that writes each plane's
 * float32 values from `lanes` (two at a time, float64x2: given pushers of the inputs' values
 * promoted and of the coefficients splatted) or `scalar` (one at a time, float64), rounded to
 * float32. The vector loop takes four values: the low two lanes, then the high two moved down.
 */
function planeLoop(
  inputs: number,
  count: number,
  lanes: (f: FunctionBody, values: Push[], coefficients: Push[]) => void,
  scalar: (f: FunctionBody, values: Push[], coefficients: Push[]) => void,
): FunctionBody {
  const { i32, f64, v128 } = ValueType;
  const f = new FunctionBody(Array.from({ length: inputs + 4 }, () => i32));
  const pointers = Array.from({ length: inputs }, (_, k) => k);
  const [out, planes, inner, table] = [inputs, inputs + 1, inputs + 2, inputs + 3];
  const wide = Array.from({ length: count }, () => f.local(v128));
  const narrow = Array.from({ length: count }, () => f.local(f64));
  const loaded = Array.from({ length: inputs }, () => f.local(v128));
  const low = f.local(v128);
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
    f.block();
    f.loop();
    {
      f.localGet(i).localGet(vectorEnd).i32GeS().brIf(1);
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
      f.v128Store(0, 2);
      for (const p of [...pointers, out]) f.localGet(p).i32Const(16).i32Add().localSet(p);
      f.localGet(i).i32Const(4).i32Add().localSet(i);
      f.br(0);
    }
    f.end();
    f.end();
    // The rest one at a time.
    f.block();
    f.loop();
    {
      f.localGet(i).localGet(inner).i32GeS().brIf(1);
      f.localGet(out);
      scalar(f, pointers.map((p) => () => f.localGet(p).f32Load().f64PromoteF32()), narrow.map((n) => () => f.localGet(n)));
      f.f32DemoteF64().f32Store();
      for (const p of [...pointers, out]) f.localGet(p).i32Const(4).i32Add().localSet(p);
      f.localGet(i).i32Const(1).i32Add().localSet(i);
      f.br(0);
    }
    f.end();
    f.end();
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
    for (const p of [...pointers, out]) f.localGet(p).i32Const(16).i32Add().localSet(p);
    f.localGet(out).localGet(end).i32LtU().brIf(0);
  }
  f.end();
  return f;
}
