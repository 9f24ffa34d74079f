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
 * right padding run, so the bounds test is per run, not per element; a 1×1 window with unit
 * stride and no padding copies whole planes.
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
  const positions = oh * ow;
  if (kh === 1 && kw === 1 && sh === 1 && sw === 1 && top === 0 && left === 0 && positions === plane) {
    col.set(x.subarray(xOffset, xOffset + channels * plane));
    return;
  }
  let rowStart = 0;
  for (let c = 0; c < channels; c++) {
    const base = xOffset + c * plane;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const dx = kx * dw - left;
        // Output columns whose input column ox*sw + dx lies in [0, width).
        const oxStart = Math.min(ow, Math.max(0, Math.ceil(-dx / sw)));
        const oxEnd = Math.max(oxStart, Math.min(ow, Math.floor((width - 1 - dx) / sw) + 1));
        let out = rowStart;
        for (let oy = 0; oy < oh; oy++, out += ow) {
          const iy = oy * sh + ky * dh - top;
          if (iy < 0 || iy >= height) {
            for (let ox = 0; ox < ow; ox++) col[out + ox] = 0;
            continue;
          }
          // Plain loops: rows are short (32 floats in a CIFAR net), where a `subarray` + `set`
          // or a `fill` call per run costs more than the copy itself.
          const source = base + iy * width + dx;
          for (let ox = 0; ox < oxStart; ox++) col[out + ox] = 0;
          if (sw === 1) for (let ox = oxStart; ox < oxEnd; ox++) col[out + ox] = x[source + ox];
          else for (let ox = oxStart; ox < oxEnd; ox++) col[out + ox] = x[source + ox * sw];
          for (let ox = oxEnd; ox < ow; ox++) col[out + ox] = 0;
        }
        rowStart += positions;
      }
    }
  }
}
