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
 * Each lane does what the TypeScript loop does to that element, so the results are the same bits.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import type { ModuleFunction } from "./module.js";

/** Export names of the kernels. */
export const POINTWISE_KERNELS = { relu: "pointwise_relu", reluBackward: "pointwise_relu_backward", add: "pointwise_add" } as const;

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
