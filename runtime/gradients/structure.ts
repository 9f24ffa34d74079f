/**
 * Backward kernels of the structural operators, as PyTorch's autograd computes them:
 *
 * - `Flatten`, `Reshape`: the output's gradient viewed in the input's shape;
 * - `Concat`: the output's gradient cut back into the inputs' slices along the axis;
 * - `Slice`: the output's gradient scattered into zeros of the input's shape;
 * - `ChannelShuffle`: the output's gradient shuffled back, by the inverse permutation (a shuffle
 *   of C/groups groups);
 * - `Add`, `Sub`, `Mul`, `Div` (broadcasting): `da = dy`, `db = ±dy`; `da = dy·b`, `db = dy·a`;
 *   `da = dy / b`, `db = −dy·(a / b) / b`, each summed over the axes its operand was broadcast
 *   along;
 * - `Dropout`: `dy · mask`, the mask its training forward saved (0 or 1/(1−p) per element).
 */
import type { BackwardAttributes } from "./attributes.js";
import { broadcastShape, broadcastStrides } from "../broadcast.js";
import { assertShape, freshFloats, sizeOf, type Tensor } from "../tensor.js";
import { channelShuffle, type ChannelShuffleAttributes } from "../kernels/channel-shuffle.js";
import { copySlice, sliceRanges, type SliceAttributes } from "../kernels/slice.js";

export { dropoutWithMask } from "../kernels/dropout.js";

/** The attributes every backward node carries: the wanted gradients, 0/1 per forward input. */
export interface WantsAttributes {
  wants: readonly number[];
}

/** The gradient of `Reshape(x)` given `dy`: `[dy]` viewed as `x`'s shape (the data is shared). */
export function reshapeBackward(dy: Tensor, x: Tensor): Tensor[] {
  if (dy.data.length !== x.data.length) {
    throw new Error(`reshapeBackward: a gradient of [${dy.shape.join(", ")}] cannot flow back to [${x.shape.join(", ")}]`);
  }
  return [{ shape: [...x.shape], data: dy.data }];
}

/** The gradient of `Flatten(x)` given `dy`: `[dy]` viewed as `x`'s shape. */
export const flattenBackward = reshapeBackward;

/**
 * The gradients of `Concat(x0, x1, …)` along `attrs.axis` given `dy`: the slice of each wanted
 * input. Called as `concatBackward(dy, x0, x1, …, attrs)`.
 */
export function concatBackward(dy: Tensor, ...rest: [...Tensor[], { axis?: number } & WantsAttributes]): Tensor[] {
  const attrs = rest[rest.length - 1] as { axis?: number } & WantsAttributes;
  const inputs = rest.slice(0, -1) as Tensor[];
  const rank = dy.shape.length;
  const requested = attrs.axis ?? 1;
  const axis = requested < 0 ? requested + rank : requested;
  const outer = sizeOf(dy.shape.slice(0, axis));
  const inner = sizeOf(dy.shape.slice(axis + 1));
  const joined = dy.shape[axis] * inner;
  const grads: Tensor[] = [];
  let offset = 0;
  inputs.forEach((x, i) => {
    const run = x.shape[axis] * inner;
    if (attrs.wants[i] === 1) {
      const data = freshFloats(outer * run);
      for (let o = 0; o < outer; o++) data.set(dy.data.subarray(o * joined + offset, o * joined + offset + run), o * run);
      grads.push({ shape: [...x.shape], data });
    }
    offset += run;
  });
  if (offset !== joined) throw new Error(`concatBackward: the inputs along axis ${axis} do not make up the gradient [${dy.shape.join(", ")}]`);
  return grads;
}

/** The gradient of `Slice(x)` given `dy`: `[dx]`, zero outside the slice and `dy` inside it. */
export function sliceBackward(dy: Tensor, x: Tensor, attrs: BackwardAttributes<SliceAttributes>): Tensor[] {
  const ranges = sliceRanges(x.shape, attrs, "sliceBackward");
  assertShape(dy, ranges.map(([a, b]) => b - a), "sliceBackward: output gradient");
  const dx = freshFloats(x.data.length);
  copySlice(dx, x.shape, dy.data, ranges, false);
  return [{ shape: [...x.shape], data: dx }];
}

/**
 * The gradient of `ChannelShuffle(x)` given `dy`: `[dx]`, `dy` with the inverse permutation
 * applied. Output channel `j·g + i` is input channel `i·(C/g) + j`, so input channel
 * `i·(C/g) + j` reads gradient channel `j·g + i`: a shuffle of `dy` in C/g groups.
 */
export function channelShuffleBackward(dy: Tensor, attrs: BackwardAttributes<ChannelShuffleAttributes>): Tensor[] {
  const channels = dy.shape[1];
  if (channels % attrs.groups !== 0) throw new Error(`channelShuffleBackward: groups ${attrs.groups} must divide the ${channels} channels`);
  return [channelShuffle(dy, { groups: channels / attrs.groups })];
}

/**
 * The gradients of a broadcasting binary operator: for each output element `i` (with operand
 * elements `a[ia]`, `b[ib]`), `da[ia] += fa(dy[i], a, b)` and `db[ib] += fb(dy[i], a, b)`, summed
 * in double; the wanted of `[da, db]`.
 */
function binaryBackward(
  op: string,
  dy: Tensor,
  a: Tensor,
  b: Tensor,
  wants: readonly number[],
  fa: (g: number, x: number, y: number) => number,
  fb: (g: number, x: number, y: number) => number,
): Tensor[] {
  const shape = broadcastShape(a.shape, b.shape, op);
  assertShape(dy, shape, `${op}: output gradient`);
  const rank = shape.length;
  const sa = broadcastStrides(a.shape, shape);
  const sb = broadcastStrides(b.shape, shape);
  const da = wants[0] === 1 ? new Float64Array(a.data.length) : undefined;
  const db = wants[1] === 1 ? new Float64Array(b.data.length) : undefined;
  const index = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < dy.data.length; i++) {
    const g = dy.data[i];
    const x = a.data[ia];
    const y = b.data[ib];
    if (da !== undefined) da[ia] += fa(g, x, y);
    if (db !== undefined) db[ib] += fb(g, x, y);
    // Advance the odometer over the output's axes.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]++;
      ia += sa[axis];
      ib += sb[axis];
      if (index[axis] < shape[axis]) break;
      ia -= sa[axis] * shape[axis];
      ib -= sb[axis] * shape[axis];
      index[axis] = 0;
    }
  }
  const grads: Tensor[] = [];
  if (da !== undefined) grads.push({ shape: [...a.shape], data: Float32Array.from(da) });
  if (db !== undefined) grads.push({ shape: [...b.shape], data: Float32Array.from(db) });
  return grads;
}

/** The gradients of `Add(a, b)` given `dy`: the wanted of `[da, db]`. */
export function addBackward(dy: Tensor, a: Tensor, b: Tensor, attrs: BackwardAttributes<WantsAttributes>): Tensor[] {
  return binaryBackward("addBackward", dy, a, b, attrs.wants, (g) => g, (g) => g);
}

/** The gradients of `Sub(a, b)` given `dy`: the wanted of `[da, db]`. */
export function subBackward(dy: Tensor, a: Tensor, b: Tensor, attrs: BackwardAttributes<WantsAttributes>): Tensor[] {
  return binaryBackward("subBackward", dy, a, b, attrs.wants, (g) => g, (g) => -g);
}

/** The gradients of `Mul(a, b)` given `dy`: the wanted of `[da, db]`. */
export function mulBackward(dy: Tensor, a: Tensor, b: Tensor, attrs: BackwardAttributes<WantsAttributes>): Tensor[] {
  return binaryBackward("mulBackward", dy, a, b, attrs.wants, (g, _x, y) => g * y, (g, x) => g * x);
}

/** The gradients of `Div(a, b)` given `dy`: the wanted of `[da, db]`. */
export function divBackward(dy: Tensor, a: Tensor, b: Tensor, attrs: BackwardAttributes<WantsAttributes>): Tensor[] {
  return binaryBackward("divBackward", dy, a, b, attrs.wants, (g, _x, y) => g / y, (g, x, y) => (-g * (x / y)) / y);
}

/** The gradient of `Dropout(x)` given `dy` and the forward's saved mask: `[dy · mask]`. */
export function dropoutBackward(dy: Tensor, mask: Tensor): Tensor[] {
  assertShape(mask, dy.shape, "dropoutBackward: mask");
  const dx = freshFloats(dy.data.length);
  for (let i = 0; i < dx.length; i++) dx[i] = dy.data[i] * mask.data[i];
  return [{ shape: [...dy.shape], data: dx }];
}
