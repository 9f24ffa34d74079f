/**
 * Backward kernels of the pools, as PyTorch's autograd computes them:
 *
 * - `MaxPool` (`nn.MaxPool2d`): each window's gradient goes to the element its forward picked,
 *   the first maximum in the window's row-major scan (a NaN wins, the last one when several);
 *   padding never wins. Overlapping windows add up.
 * - `AveragePool` (`nn.AvgPool2d(count_include_pad=False)`): each window's gradient is shared
 *   equally among the real input values it covers. Both pools take ceil mode (`ceil_mode`), whose
 *   last windows are clipped to the input as in the forward.
 * - `AdaptiveAveragePool` (`nn.AdaptiveAvgPool2d`): each bin's gradient is shared equally among
 *   the input values of the bin; overlapping bins add up.
 * - `GlobalAveragePool`: `dy / (H·W)` everywhere in the plane.
 * - `GlobalMaxPool` (`amax` over H and W): shared equally among the elements equal to the
 *   maximum; a plane whose maximum is NaN gets NaN everywhere, as `amax`'s backward gives.
 */
import type { BackwardAttributes } from "./attributes.js";
import { firstMaxOffset, pairWindows, tiledPairs } from "../kernels/max-pool.js";
import { pointwiseHeap } from "../linalg/wasm-products.js";
import { assertRank, assertShape, freshFloats, overwrittenFloats, type Tensor } from "../tensor.js";
import { adaptiveBins, checkPoolPads, window2d, type Window2d } from "../window.js";

/** The attributes of a `MaxPoolGrad` or `AveragePoolGrad` node (the forward's, in ONNX names). */
export interface PoolBackwardAttributes {
  kernel_shape: readonly number[];
  /** Default: the kernel. */
  strides?: readonly number[];
  /** `[top, left, bottom, right]`, default 0. */
  pads?: readonly number[];
  /** 1: the forward rounded its output size up (PyTorch's `ceil_mode`); default 0. */
  ceil_mode?: number;
}

/** The window of a pool's backward, checked against the output gradient's shape. */
function poolWindow(op: string, dy: Tensor, x: Tensor, attrs: BackwardAttributes<PoolBackwardAttributes>): Window2d {
  assertRank(x, [4], `${op}: input`);
  const [n, c, h, w] = x.shape;
  const k = attrs.kernel_shape;
  const s = attrs.strides ?? k;
  const pads = (attrs.pads ?? [0, 0, 0, 0]) as [number, number, number, number];
  const win = window2d(op, h, w, [k[0], k[1]], [s[0], s[1]], pads, 1, attrs.ceil_mode === 1);
  checkPoolPads(op, win);
  assertShape(dy, [n, c, win.oh, win.ow], `${op}: output gradient`);
  return win;
}

/** Visits every window of every plane with its clipped input rows `[y0, y1)` and columns `[x0, x1)`. */
function eachWindow(
  planes: number,
  h: number,
  w: number,
  win: Window2d,
  visit: (base: number, o: number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < win.oh; oy++) {
      const top = oy * win.sh - win.pads.top;
      const y0 = Math.max(0, top);
      const y1 = Math.min(h, top + win.kh);
      for (let ox = 0; ox < win.ow; ox++, o++) {
        const left = ox * win.sw - win.pads.left;
        visit(base, o, y0, y1, Math.max(0, left), Math.min(w, left + win.kw));
      }
    }
  }
}

/**
 * The gradient of `MaxPool(x)` given `dy`: `[dx]`. Each window's maximum is found again as the
 * forward found it; the 2×2 stride-2 windows inside the input take the forward's branch-free
 * choice ({@link firstMaxOffset}), in WebAssembly where they tile a large input
 * (`ProductHeap.pairPool`), the others (and a window holding a NaN, or both infinities) the scan.
 */
export function maxPoolBackward(dy: Tensor, x: Tensor, attrs: BackwardAttributes<PoolBackwardAttributes>): Tensor[] {
  const win = poolWindow("maxPoolBackward", dy, x, attrs);
  const [n, c, h, w] = x.shape;
  const src = x.data;
  const g = dy.data;
  if (pairWindows(win, h, w)) {
    // Where the windows tile the input, the loop zeroes each window's four values itself.
    const tiled = tiledPairs(win, h, w);
    const dx = tiled ? overwrittenFloats(src.length) : freshFloats(src.length);
    if (tiled && pointwiseHeap(src.length)?.pairPool(src, h, w, dx, g)) return [{ shape: [...x.shape], data: dx }];
    let o = 0;
    for (let plane = 0; plane < n * c; plane++) {
      for (let oy = 0; oy < win.oh; oy++) {
        for (let ox = 0, i = plane * h * w + 2 * oy * w; ox < win.ow; ox++, o++, i += 2) {
          const a = src[i];
          const b = src[i + 1];
          const c = src[i + w];
          const d = src[i + w + 1];
          if (tiled) {
            dx[i] = 0;
            dx[i + 1] = 0;
            dx[i + w] = 0;
            dx[i + w + 1] = 0;
          }
          const sum = a + b + c + d;
          dx[sum !== sum ? argmax(src, i, i + w + w, 2, w) : i + firstMaxOffset(a, b, c, d, w)] += g[o];
        }
      }
    }
    return [{ shape: [...x.shape], data: dx }];
  }
  const dx = freshFloats(src.length);
  eachWindow(n * c, h, w, win, (base, o, y0, y1, x0, x1) => {
    dx[argmax(src, base + y0 * w + x0, base + y1 * w + x0, x1 - x0, w)] += g[o];
  });
  return [{ shape: [...x.shape], data: dx }];
}

/**
 * The index of the value the forward's scan picks among the rows of `width` values starting at
 * `from`, `from + w`, … before `to`: the first maximum in row-major order, or the last NaN.
 */
function argmax(src: Float32Array, from: number, to: number, width: number, w: number): number {
  let best = -Infinity;
  let at = -1;
  for (let row = from; row < to; row += w) {
    for (let i = row; i < row + width; i++) {
      const v = src[i];
      // The forward's scan: strictly greater, or NaN (which then stays, unless another NaN follows).
      if (v > best || Number.isNaN(v) || at < 0) {
        best = v;
        at = i;
      }
    }
  }
  return at;
}

/**
 * The gradient of `AveragePool(x)` (padding excluded from the count) given `dy`: `[dx]`; 2×2
 * stride-2 windows that tile a large input in WebAssembly (`ProductHeap.pairAverageBackward`).
 */
export function averagePoolBackward(dy: Tensor, x: Tensor, attrs: BackwardAttributes<PoolBackwardAttributes>): Tensor[] {
  const win = poolWindow("averagePoolBackward", dy, x, attrs);
  const [n, c, h, w] = x.shape;
  const heap = tiledPairs(win, h, w) ? pointwiseHeap(x.data.length) : undefined;
  if (heap !== undefined) {
    // Tiled windows write every value of dx once: a pooled buffer needs no zero fill.
    const dx = overwrittenFloats(x.data.length);
    heap.pairAverageBackward(dy.data, h, w, dx);
    return [{ shape: [...x.shape], data: dx }];
  }
  const dx = freshFloats(x.data.length);
  eachWindow(n * c, h, w, win, (base, o, y0, y1, x0, x1) => {
    const share = dy.data[o] / ((y1 - y0) * (x1 - x0));
    for (let iy = y0; iy < y1; iy++) {
      const row = base + iy * w;
      for (let ix = x0; ix < x1; ix++) dx[row + ix] += share;
    }
  });
  return [{ shape: [...x.shape], data: dx }];
}

/** The attributes of an `AdaptiveAveragePoolGrad` node (the forward's). */
export interface AdaptiveAveragePoolBackwardAttributes {
  /** The forward's output `[h, w]`. */
  output_size: readonly number[];
}

/** The gradient of `AdaptiveAveragePool(x)` given `dy`: `[dx]`. */
export function adaptiveAveragePoolBackward(dy: Tensor, x: Tensor, attrs: BackwardAttributes<AdaptiveAveragePoolBackwardAttributes>): Tensor[] {
  assertRank(x, [4], "adaptiveAveragePoolBackward: input");
  const [n, c, h, w] = x.shape;
  const [oh, ow] = attrs.output_size;
  assertShape(dy, [n, c, oh, ow], "adaptiveAveragePoolBackward: output gradient");
  const rows = adaptiveBins(h, oh);
  const cols = adaptiveBins(w, ow);
  const dx = freshFloats(x.data.length);
  let o = 0;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++, o++) {
        const share = dy.data[o] / ((rows.end[i] - rows.start[i]) * (cols.end[j] - cols.start[j]));
        for (let iy = rows.start[i]; iy < rows.end[i]; iy++) {
          const row = base + iy * w;
          for (let ix = cols.start[j]; ix < cols.end[j]; ix++) dx[row + ix] += share;
        }
      }
    }
  }
  return [{ shape: [...x.shape], data: dx }];
}

/** The planes of a global pool's input and its checked output gradient. */
function globalPlanes(op: string, dy: Tensor, x: Tensor): { planes: number; size: number } {
  assertRank(x, [4], `${op}: input`);
  const [n, c, h, w] = x.shape;
  assertShape(dy, [n, c, 1, 1], `${op}: output gradient`);
  return { planes: n * c, size: h * w };
}

/** The gradient of `GlobalAveragePool(x)` given `dy`: `[dx]`. */
export function globalAveragePoolBackward(dy: Tensor, x: Tensor): Tensor[] {
  const { planes, size } = globalPlanes("globalAveragePoolBackward", dy, x);
  const dx = freshFloats(x.data.length);
  for (let p = 0; p < planes; p++) dx.fill(dy.data[p] / size, p * size, (p + 1) * size);
  return [{ shape: [...x.shape], data: dx }];
}

/** The gradient of `GlobalMaxPool(x)` given `dy`, shared among the ties: `[dx]`. */
export function globalMaxPoolBackward(dy: Tensor, x: Tensor): Tensor[] {
  const { planes, size } = globalPlanes("globalMaxPoolBackward", dy, x);
  const src = x.data;
  const dx = freshFloats(src.length);
  for (let p = 0; p < planes; p++) {
    const start = p * size;
    const end = start + size;
    let best = -Infinity;
    for (let i = start; i < end; i++) {
      const v = src[i];
      if (v > best || Number.isNaN(v)) best = v;
    }
    let count = 0;
    for (let i = start; i < end; i++) if (src[i] === best) count++;
    // No element equals a NaN maximum: amax's backward then divides by a count of 0 everywhere.
    if (count === 0) {
      dx.fill(NaN, start, end);
      continue;
    }
    const share = dy.data[p] / count;
    for (let i = start; i < end; i++) if (src[i] === best) dx[i] = share;
  }
  return [{ shape: [...x.shape], data: dx }];
}
