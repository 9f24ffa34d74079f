/**
 * im2col: lays out every receptive field of a convolution as a column, so that the convolution
 * of one image and one group becomes a single matrix product `W[out, K] · col[K, oh*ow]` with
 * `K = channels * kh * kw`. Row `(c, ky, kx)` of `col` holds, for every output position, the input
 * value that kernel tap sees there, or 0 where the tap falls in the padding.
 */
import type { Window2d } from "../window.js";

/**
 * Fills `col` (`channels*kh*kw × oh*ow`, row-major) from `channels` planes of `height × width`
 * starting at `x[xOffset]`. Each output row is split into a left padding run, a valid run and a
 * right padding run, so the bounds test is per row, not per element.
 */
export function im2col(
  x: Float32Array,
  xOffset: number,
  channels: number,
  height: number,
  width: number,
  w: Window2d,
  col: Float32Array,
): void {
  const { kh, kw, sh, sw, dh, dw, oh, ow } = w;
  const { top, left } = w.pads;
  const plane = height * width;
  let out = 0;
  for (let c = 0; c < channels; c++) {
    const base = xOffset + c * plane;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const dx = kx * dw - left;
        // Output columns whose input column ox*sw + dx lies in [0, width).
        const oxStart = Math.min(ow, Math.max(0, Math.ceil(-dx / sw)));
        const oxEnd = Math.max(oxStart, Math.min(ow, Math.floor((width - 1 - dx) / sw) + 1));
        for (let oy = 0; oy < oh; oy++) {
          const iy = oy * sh + ky * dh - top;
          if (iy < 0 || iy >= height) {
            col.fill(0, out, out + ow);
            out += ow;
            continue;
          }
          const rowBase = base + iy * width + dx;
          col.fill(0, out, out + oxStart);
          if (sw === 1) {
            col.set(x.subarray(rowBase + oxStart, rowBase + oxEnd), out + oxStart);
          } else {
            for (let ox = oxStart; ox < oxEnd; ox++) col[out + ox] = x[rowBase + ox * sw];
          }
          col.fill(0, out + oxEnd, out + ow);
          out += ow;
        }
      }
    }
  }
}
