/**
 * Backward kernels of `conv` (`Conv`) and `dense` (`Gemm`), as PyTorch's autograd computes them.
 *
 * Conv, per image and group, with `col = im2col(x)` (`K × P`, `K = C/group · kh · kw`, `P = oh · ow`):
 *
 *     dW_g += dY_g · colᵀ          (`M/group × K`, summed over the images)
 *     dcol  = W_gᵀ · dY_g           (`K × P`), then col2im adds each column back onto its window
 *     db    = Σ dY over images and positions
 *
 * A depthwise convolution (one input and one output channel per group) runs direct loops over the
 * kernel taps instead, as its forward does. Dense (`y = x · Wᵀ + b`): `dx = dy · W`,
 * `dW = dyᵀ · x`, `db = Σ_n dy`. Every product goes through {@link matmul}.
 */
import type { BackwardAttributes } from "./attributes.js";
import { convInputGradientOnHeap, convWeightGradientOnHeap, type HeapConvProblem } from "../linalg/heap-conv.js";
import { im2col } from "../linalg/im2col.js";
import { pointwiseHeap } from "../linalg/wasm-products.js";
import { assertRank, assertShape, freshFloats, overwrittenFloats, type Tensor } from "../tensor.js";
import { window2d, type Window2d } from "../window.js";
import { matmul } from "./products.js";

/** The flags every backward node of conv and dense carries: the wanted gradients, 0/1 per forward input. */
export interface LinearBackwardFlags {
  wants: readonly number[];
  /** A fused activation, which training graphs never have: refused. */
  activation?: unknown;
}

/** The attributes of a `ConvGrad` node: the forward `Conv`'s, and the wanted gradients. */
export interface ConvBackwardAttributes extends LinearBackwardFlags {
  kernel_shape?: readonly number[];
  strides?: readonly number[];
  /** `[top, left, bottom, right]`. */
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

/** The attributes of a `GemmGrad` node. */
export type GemmBackwardAttributes = LinearBackwardFlags;

/** Which of `[dx, dw, db]` are asked for, refusing a fused activation (training graphs never fuse). */
function wanted(op: string, attrs: LinearBackwardFlags, hasBias: boolean): boolean[] {
  if (attrs.activation !== undefined) throw new Error(`${op}: a node with a fused activation has no backward`);
  const w = attrs.wants;
  if (w.length !== (hasBias ? 3 : 2)) throw new Error(`${op}: wants has ${w.length} flags for ${hasBias ? 3 : 2} inputs`);
  return [w[0] === 1, w[1] === 1, hasBias && w[2] === 1];
}

/** The gradients of the wanted inputs, in input order. */
function pick(grads: readonly (Tensor | undefined)[], wants: readonly boolean[]): Tensor[] {
  return grads.filter((_, i) => wants[i]) as Tensor[];
}

/**
 * `db[c] = Σ dy[n, c, …]` over `n` and the `inner` positions, in double: each plane summed from
 * its first value, the planes added image by image. For a large `dy` the plane sums run in
 * WebAssembly (`ProductHeap.planeSums`), each in the same order, so the result is the same.
 */
function biasGradient(dy: Float32Array, n: number, channels: number, inner: number): Tensor {
  const planes = new Float64Array(n * channels);
  const heap = pointwiseHeap(dy.length);
  if (heap !== undefined) heap.planeSums("sums", [dy], inner, undefined, planes);
  else {
    for (let p = 0; p < n * channels; p++) {
      let sum = 0;
      for (let i = p * inner; i < (p + 1) * inner; i++) sum += dy[i];
      planes[p] = sum;
    }
  }
  const sums = new Float64Array(channels);
  for (let p = 0; p < n * channels; p++) sums[p % channels] += planes[p];
  const db = freshFloats(channels);
  db.set(sums);
  return { shape: [channels], data: db };
}

/**
 * The gradients of `Conv(x, w, b?)` given `dy`, the gradient of its output: the wanted of
 * `[dx, dw, db]`. `b` is read only for its presence.
 */
export function convBackward(dy: Tensor, x: Tensor, w: Tensor, b: Tensor | undefined, attrs: BackwardAttributes<ConvBackwardAttributes>): Tensor[] {
  const wants = wanted("convBackward", attrs, b !== undefined);
  assertRank(x, [4], "convBackward: input");
  assertRank(w, [4], "convBackward: weight");
  const [n, c, h, width] = x.shape;
  const [m, cg, kh, kw] = w.shape;
  const group = attrs.group ?? 1;
  if (c !== cg * group || m % group !== 0) throw new Error(`convBackward: group ${group} does not fit input [${x.shape.join(", ")}] and weight [${w.shape.join(", ")}]`);
  const win = window2d("convBackward", h, width, [kh, kw], pair(attrs.strides), (attrs.pads ?? [0, 0, 0, 0]) as [number, number, number, number], pair(attrs.dilations));
  assertShape(dy, [n, m, win.oh, win.ow], "convBackward: output gradient");
  // Every path but the depthwise one writes each value of dx and dW, so a pooled buffer need not be zeroed first.
  const depthwise = cg === 1 && m === group;
  const take = depthwise ? freshFloats : overwrittenFloats;
  const dx = wants[0] ? take(x.data.length) : undefined;
  const dw = wants[1] ? take(w.data.length) : undefined;
  if (dx !== undefined || dw !== undefined) {
    const problem: ConvProblem = { dy: dy.data, x: x.data, w: w.data, n, c, h, width, m, group, win, dx, dw };
    if (depthwise) depthwiseBackward(problem);
    else groupedBackward(problem);
  }
  const db = wants[2] ? biasGradient(dy.data, n, m, win.oh * win.ow) : undefined;
  return pick([dx && { shape: [...x.shape], data: dx }, dw && { shape: [...w.shape], data: dw }, db], wants);
}

function pair(value: readonly number[] | undefined): [number, number] {
  return value === undefined ? [1, 1] : [value[0], value[1]];
}

/** One conv backward: the operands and sizes (as the heap's), the groups, and the wanted gradients to fill. */
interface ConvProblem extends HeapConvProblem {
  readonly group: number;
  readonly dx: Float32Array | undefined;
  readonly dw: Float32Array | undefined;
}

/**
 * The general case: one product per image and group for each of dW and dcol (then col2im); an
 * ungrouped conv's dW and dx as products over the batch on the heap where they fit there
 * (`runtime/linalg/heap-conv.ts`).
 */
function groupedBackward(problem: ConvProblem): void {
  if (problem.group === 1) {
    const { dx, dw } = problem;
    const weightDone = dw === undefined || convWeightGradientOnHeap(problem, dw);
    const inputDone = dx === undefined || convInputGradientOnHeap(problem, dx);
    if (weightDone && inputDone) return;
    perImageBackward({ ...problem, dw: weightDone ? undefined : dw, dx: inputDone ? undefined : dx });
    return;
  }
  perImageBackward(problem);
}

/** One product per image and group for each of dW and dcol (then col2im). */
function perImageBackward({ dy, x, w, n, c, h, width, m, group, win, dx, dw }: ConvProblem): void {
  const cg = c / group;
  const mg = m / group;
  const depth = cg * win.kh * win.kw;
  const positions = win.oh * win.ow;
  const plane = h * width;
  const { top, left, bottom, right } = win.pads;
  // A 1×1 window with unit stride and no padding: the input planes are the column matrix, and
  // the column gradient is the input gradient.
  const direct = win.kh === 1 && win.kw === 1 && win.sh === 1 && win.sw === 1 && top === 0 && left === 0 && bottom === 0 && right === 0 && positions === plane;
  // The only scratch: one column matrix and one column gradient, shared by every image and group.
  const col = dw !== undefined && !direct ? freshFloats(depth * positions) : undefined;
  const dcol = dx !== undefined && !direct ? freshFloats(depth * positions) : undefined;
  for (let image = 0; image < n; image++) {
    for (let g = 0; g < group; g++) {
      const xOffset = (image * c + g * cg) * plane;
      const dyOffset = (image * m + g * mg) * positions;
      if (dw !== undefined) {
        if (col !== undefined) im2col(x, xOffset, cg, h, width, win, col);
        matmul({
          m: mg, n: depth, k: positions,
          a: dy, aOffset: dyOffset, lda: positions, transA: false,
          b: col ?? x, bOffset: col ? 0 : xOffset, ldb: positions, transB: true,
          c: dw, cOffset: g * mg * depth, ldc: depth,
          accumulate: image > 0,
        });
      }
      if (dx !== undefined) {
        matmul({
          m: depth, n: positions, k: mg,
          a: w, aOffset: g * mg * depth, lda: depth, transA: true,
          b: dy, bOffset: dyOffset, ldb: positions, transB: false,
          c: dcol ?? dx, cOffset: dcol ? 0 : xOffset, ldc: positions,
          accumulate: false,
        });
        if (dcol !== undefined) col2im(dcol, cg, h, width, win, dx, xOffset);
      }
    }
  }
}

/**
 * col2im, the adjoint of im2col: adds row `(c, ky, kx)` of `dcol` (`K × oh·ow`) onto the input
 * positions that kernel tap saw, into `channels` planes of `dx` from `dxOffset` (which it
 * overwrites first); taps in the padding are dropped.
 */
function col2im(dcol: Float32Array, channels: number, height: number, width: number, win: Window2d, dx: Float32Array, dxOffset: number): void {
  const { kh, kw, sh, sw, dh, dw, oh, ow } = win;
  const { top, left } = win.pads;
  const plane = height * width;
  dx.fill(0, dxOffset, dxOffset + channels * plane);
  let row = 0;
  for (let ch = 0; ch < channels; ch++) {
    const base = dxOffset + ch * plane;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row += oh * ow) {
        const shift = kx * dw - left;
        const [oxStart, oxEnd] = validRange(shift, sw, width, ow);
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh + ky * dh - top;
          if (iy < 0 || iy >= height) continue;
          const target = base + iy * width + shift;
          const source = row + oy * ow;
          for (let ox = oxStart; ox < oxEnd; ox++) dx[target + ox * sw] += dcol[source + ox];
        }
      }
    }
  }
}

/** The output columns `[start, end)` whose input column `ox·s + shift` lies in `[0, width)`. */
function validRange(shift: number, s: number, width: number, outputs: number): [number, number] {
  const start = Math.min(outputs, Math.max(0, Math.ceil(-shift / s)));
  return [start, Math.max(start, Math.min(outputs, Math.floor((width - 1 - shift) / s) + 1))];
}

/** Depthwise: for each plane and kernel tap, `dx[iy, ix] += w·dy[oy, ox]` and `dw += x[iy, ix]·dy[oy, ox]`. */
function depthwiseBackward({ dy, x, w, n, c, h, width, win, dx, dw }: ConvProblem): void {
  const { kh, kw, sh, sw, dh, dw: dilW, oh, ow } = win;
  const { top, left } = win.pads;
  const taps = kh * kw;
  // Weight gradients summed in double over the batch and the plane.
  const sums = dw === undefined ? undefined : new Float64Array(dw.length);
  for (let p = 0; p < n * c; p++) {
    const channel = p % c;
    const xBase = p * h * width;
    const yBase = p * oh * ow;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const tap = channel * taps + ky * kw + kx;
        const weight = w[tap];
        const shift = kx * dilW - left;
        const [oxStart, oxEnd] = validRange(shift, sw, width, ow);
        let sum = 0;
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh + ky * dh - top;
          if (iy < 0 || iy >= h) continue;
          const xi = xBase + iy * width + shift;
          const yi = yBase + oy * ow;
          for (let ox = oxStart; ox < oxEnd; ox++) {
            const g = dy[yi + ox];
            if (dx !== undefined) dx[xi + ox * sw] += weight * g;
            sum += x[xi + ox * sw] * g;
          }
        }
        if (sums !== undefined) sums[tap] += sum;
      }
    }
  }
  if (dw !== undefined && sums !== undefined) dw.set(sums);
}

/** The gradients of `Gemm(x, w, b?)` (`y = x · Wᵀ + b`) given `dy`: the wanted of `[dx, dw, db]`. */
export function gemmBackward(dy: Tensor, x: Tensor, w: Tensor, b: Tensor | undefined, attrs: BackwardAttributes<GemmBackwardAttributes>): Tensor[] {
  const wants = wanted("gemmBackward", attrs, b !== undefined);
  assertRank(x, [2], "gemmBackward: input");
  const [n, f] = x.shape;
  const units = w.shape[0];
  assertShape(w, [units, f], "gemmBackward: weight");
  assertShape(dy, [n, units], "gemmBackward: output gradient");
  let dx: Tensor | undefined;
  let dw: Tensor | undefined;
  if (wants[0]) {
    // The products overwrite every element of C: a pool's buffer needs no zero fill.
    dx = { shape: [n, f], data: overwrittenFloats(n * f) };
    matmul({ m: n, n: f, k: units, a: dy.data, aOffset: 0, lda: units, transA: false, b: w.data, bOffset: 0, ldb: f, transB: false, c: dx.data, cOffset: 0, ldc: f, accumulate: false });
  }
  if (wants[1]) {
    dw = { shape: [units, f], data: overwrittenFloats(units * f) };
    matmul({ m: units, n: f, k: n, a: dy.data, aOffset: 0, lda: units, transA: true, b: x.data, bOffset: 0, ldb: f, transB: false, c: dw.data, cOffset: 0, ldc: f, accumulate: false });
  }
  const db = wants[2] ? biasGradient(dy.data, n, units, 1) : undefined;
  return pick([dx, dw, db], wants);
}
