/**
 * AveragePool: the mean over each 2-D window of every channel, `nn.AvgPool2d(count_include_pad =
 * False)` and ONNX `AveragePool` with `count_include_pad = 0`: a window that overlaps the padding
 * is divided by the number of real input values it covers, not by the kernel size. In ceil mode
 * (`ceilMode`) the last window of a row or column may also run past the padding; it too is
 * divided by the input values it covers, as PyTorch's `ceil_mode=True` does. The 2×2 stride-2
 * windows that tile a large input run in WebAssembly (`ProductHeap.pairAverage`), to the same bits.
 */
import { pointwiseHeap } from "../linalg/wasm-products.js";
import type { Tensor } from "../tensor.js";
import { poolWindow, type PoolAttributes } from "../window.js";
import { tiledPairs } from "./max-pool.js";

/** Attributes of {@link averagePool}: see {@link PoolAttributes}. */
export type AveragePoolAttributes = PoolAttributes;

/** Average-pools `x` `[N, C, H, W]` to `[N, C, oh, ow]`, in `out` when a buffer is passed. */
export function averagePool(x: Tensor, attributes: AveragePoolAttributes, out?: Float32Array): Tensor {
  const [n, c, h, w] = x.shape;
  const { win, y } = poolWindow("averagePool", x, attributes, out);
  const heap = tiledPairs(win, h, w) ? pointwiseHeap(x.data.length) : undefined;
  if (heap !== undefined) {
    heap.pairAverage(x.data, h, w, y.data);
    return y;
  }
  const src = x.data;
  const dst = y.data;
  let o = 0;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let oy = 0; oy < win.oh; oy++) {
      const top = oy * win.sh - win.pads.top;
      const y0 = Math.max(0, top);
      const y1 = Math.min(h, top + win.kh);
      for (let ox = 0; ox < win.ow; ox++) {
        const left = ox * win.sw - win.pads.left;
        const x0 = Math.max(0, left);
        const x1 = Math.min(w, left + win.kw);
        dst[o++] = rectangleMean(src, base, w, y0, y1, x0, x1);
      }
    }
  }
  return y;
}

/** The mean of rows `y0..y1-1` and columns `x0..x1-1` of the `[·, w]` plane at `base` of `src`. */
export function rectangleMean(src: Float32Array, base: number, w: number, y0: number, y1: number, x0: number, x1: number): number {
  let sum = 0;
  for (let iy = y0; iy < y1; iy++) {
    const row = base + iy * w;
    for (let ix = x0; ix < x1; ix++) sum += src[row + ix];
  }
  return sum / ((y1 - y0) * (x1 - x0));
}
