/**
 * MaxPool: the maximum over each 2-D window of every channel, `nn.MaxPool2d` (dilation 1, floor
 * or ceil mode) and ONNX `MaxPool`. Padding never wins: padded taps are skipped, as if they held
 * -∞, and so are the taps of a ceil-mode window beyond the padding.
 *
 * The common 2×2 window at stride 2 whose windows all lie inside the input has its own loop
 * ({@link pairWindows}): it picks each window's first maximum from comparisons turned into 0
 * or 1, not branches, which the CPU would mispredict on trained activations about half the
 * time, and copies its bits; a window holding a NaN (or both infinities) takes the general scan.
 * Where those windows tile a large input, the same choice runs in WebAssembly
 * (`ProductHeap.pairPool`), and the whole pool falls back to these loops if a window holds a NaN.
 */
import { bitsOf } from "../float-bits.js";
import { pointwiseHeap } from "../linalg/wasm-products.js";
import type { Tensor } from "../tensor.js";
import { poolWindow, type PoolAttributes, type Window2d } from "../window.js";

/** Attributes of {@link maxPool}: see {@link PoolAttributes}. */
export type MaxPoolAttributes = PoolAttributes;

/** Max-pools `x` `[N, C, H, W]` to `[N, C, oh, ow]`, in `out` when a buffer is passed. */
export function maxPool(x: Tensor, attributes: MaxPoolAttributes, out?: Float32Array): Tensor {
  const [n, c, h, w] = x.shape;
  const { win, y } = poolWindow("maxPool", x, attributes, out);
  if (tiledPairs(win, h, w) && pointwiseHeap(x.data.length)?.pairPool(x.data, h, w, y.data)) return y;
  if (pairWindows(win, h, w)) maxPoolPairs(x.data, n * c, h, w, win, y.data);
  else maxPoolWindows(x.data, n * c, h, w, win, y.data);
  return y;
}

/** Whether every window is 2×2 at stride 2 and lies inside the `h`×`w` input (no padding, no clipped ceil-mode window). */
export function pairWindows(win: Window2d, h: number, w: number): boolean {
  const { top, left, bottom, right } = win.pads;
  const unpadded = top === 0 && left === 0 && bottom === 0 && right === 0;
  return win.kh === 2 && win.kw === 2 && win.sh === 2 && win.sw === 2 && unpadded && 2 * win.oh <= h && 2 * win.ow <= w;
}

/** Whether the windows are {@link pairWindows} that tile the `h`×`w` input exactly. */
export function tiledPairs(win: Window2d, h: number, w: number): boolean {
  return pairWindows(win, h, w) && 2 * win.oh === h && 2 * win.ow === w;
}

/**
 * The offset from a 2×2 window's top-left value `a` (`[a, b]` above `[c, d]`, rows `w` apart) of
 * its first maximum in row-major order, for values none of which is NaN: 0, 1, `w` or `w + 1`.
 * The first maxima of the rows are compared (the lower row wins only when strictly greater, so
 * that ties keep the first), each comparison a 0 or 1, and the offset is their arithmetic.
 */
export function firstMaxOffset(a: number, b: number, c: number, d: number, w: number): number {
  const upper = +(b > a);
  const lower = +(d > c);
  // max(c, d) > max(a, b): one of c and d exceeds both a and b.
  const below = (+(c > a) & +(c > b)) | (+(d > a) & +(d > b));
  return upper + below * (w + lower - upper);
}

/** The 2×2 stride-2 pool over `planes` planes (see {@link pairWindows}). */
function maxPoolPairs(src: Float32Array, planes: number, h: number, w: number, win: Window2d, dst: Float32Array): void {
  const bits = bitsOf(src);
  const out = bitsOf(dst);
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    for (let oy = 0; oy < win.oh; oy++) {
      for (let ox = 0, i = plane * h * w + 2 * oy * w; ox < win.ow; ox++, o++, i += 2) {
        const a = src[i];
        const b = src[i + 1];
        const c = src[i + w];
        const d = src[i + w + 1];
        // NaN only when one of them is (or +∞ meets −∞): rare, so the branch is predicted.
        const sum = a + b + c + d;
        if (sum !== sum) dst[o] = windowMax(src, i, i + w + w, 2, w);
        else out[o] = bits[i + firstMaxOffset(a, b, c, d, w)];
      }
    }
  }
}

/** Any window: the scan of {@link windowMax} over each window's clipped rows and columns. */
function maxPoolWindows(src: Float32Array, planes: number, h: number, w: number, win: Window2d, dst: Float32Array): void {
  let o = 0;
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < win.oh; oy++) {
      const top = oy * win.sh - win.pads.top;
      const y0 = Math.max(0, top);
      const y1 = Math.min(h, top + win.kh);
      for (let ox = 0; ox < win.ow; ox++) {
        const left = ox * win.sw - win.pads.left;
        const x0 = Math.max(0, left);
        const x1 = Math.min(w, left + win.kw);
        dst[o++] = windowMax(src, base + y0 * w + x0, base + y1 * w + x0, x1 - x0, w);
      }
    }
  }
}

/**
 * The maximum of the rows of `width` values starting at `from`, `from + w`, … before `to`,
 * scanned in row-major order from −∞: a NaN wins and stays, as in PyTorch.
 */
function windowMax(src: Float32Array, from: number, to: number, width: number, w: number): number {
  let best = -Infinity;
  for (let row = from; row < to; row += w) {
    for (let i = row; i < row + width; i++) {
      const v = src[i];
      if (v > best || Number.isNaN(v)) best = v;
    }
  }
  return best;
}
