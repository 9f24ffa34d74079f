/**
 * MaxPool: the maximum over each 2-D window of every channel, `nn.MaxPool2d` (dilation 1, floor
 * or ceil mode) and ONNX `MaxPool`. Padding never wins: padded taps are skipped, as if they held
 * -∞, and so are the taps of a ceil-mode window beyond the padding.
 */
import type { Tensor } from "../tensor.js";
import { poolWindow, type PoolAttributes } from "../window.js";

/** Attributes of {@link maxPool}: see {@link PoolAttributes}. */
export type MaxPoolAttributes = PoolAttributes;

/** Max-pools `x` `[N, C, H, W]` to `[N, C, oh, ow]`, in `out` when a buffer is passed. */
export function maxPool(x: Tensor, attributes: MaxPoolAttributes, out?: Float32Array): Tensor {
  const [n, c, h, w] = x.shape;
  const { win, y } = poolWindow("maxPool", x, attributes, out);
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
        let best = -Infinity;
        for (let iy = y0; iy < y1; iy++) {
          const row = base + iy * w;
          for (let ix = x0; ix < x1; ix++) {
            const v = src[row + ix];
            // A NaN wins and stays, as in PyTorch.
            if (v > best || Number.isNaN(v)) best = v;
          }
        }
        dst[o++] = best;
      }
    }
  }
  return y;
}
