/**
 * The plan executor's activation layout, "blocked channels-last": an image tensor `[N, C, H, W]`
 * is stored as `[N, H, W, Cs]` where the channel stride `Cs` is `C` rounded up to 4 (C ≤ 4) or to
 * a multiple of 8, so that a pixel's channels are whole f32x4 vectors and a conv's 8-channel
 * output blocks fill it exactly. Channels past C hold finite values of no meaning: every kernel
 * either ignores them or multiplies them by a zero weight.
 *
 * The conversions here run at the edges of a plan (its inputs and outputs, and around an
 * operator with no blocked kernel); the conv weight packing runs once, at compile time.
 */
import { CONV_NR } from "../wasm/conv-kernel.js";

/** The channel stride of a blocked tensor with `channels` channels. */
export function channelStride(channels: number): number {
  return channels <= 4 ? 4 : Math.ceil(channels / CONV_NR) * CONV_NR;
}

/** Writes NCHW `x` (`n × c × h × w`) into the blocked layout at `out[offset]` (stride `cs`). */
export function toBlocked(x: Float32Array, n: number, c: number, h: number, w: number, out: Float32Array, offset: number): void {
  const cs = channelStride(c);
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const image = offset + i * plane * cs;
    for (let ch = 0; ch < c; ch++) {
      const from = (i * c + ch) * plane;
      for (let p = 0, to = image + ch; p < plane; p++, to += cs) out[to] = x[from + p];
    }
    // Padded channels are zeroed here so that they are finite whatever the arena held before.
    for (let ch = c; ch < cs; ch++) for (let p = 0, to = image + ch; p < plane; p++, to += cs) out[to] = 0;
  }
}

/**
 * Writes NCHW `x` (`n × c × h × w`) in the blocked layout of a `[n, kw·c, h, ow]` tensor whose
 * channel `kx·c + ch` at output column `ox` is input channel `ch` at column `ox·sw − padLeft +
 * kx·dw` (zero outside the image): a conv with `kw` taps over few channels becomes one with a
 * single tap over `kw·c` channels, stride and padding 0 across.
 */
export function toBlockedUnfolded(
  x: Float32Array, n: number, c: number, h: number, w: number,
  u: { kw: number; sw: number; dw: number; padLeft: number; ow: number },
  out: Float32Array, offset: number,
): void {
  const cs = channelStride(u.kw * c);
  const { kw, sw, dw, padLeft, ow } = u;
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      const row = offset + (i * h + y) * ow * cs;
      out.fill(0, row, row + ow * cs);
      for (let ch = 0; ch < c; ch++) {
        const from = ((i * c + ch) * h + y) * w;
        for (let kx = 0; kx < kw; kx++) {
          const k = kx * c + ch;
          const ix0 = kx * dw - padLeft;
          // Output columns whose input column ox·sw + ix0 lies inside the image.
          const first = ix0 >= 0 ? 0 : Math.ceil(-ix0 / sw);
          const last = Math.min(ow, Math.ceil((w - ix0) / sw));
          for (let ox = first, to = row + first * cs + k, ix = from + first * sw + ix0; ox < last; ox++, to += cs, ix += sw) out[to] = x[ix];
        }
      }
    }
  }
}

/** The weights `[m, c, kh, kw]` of a conv as those of its unfolded form, `[m, kw·c, kh, 1]`. */
export function unfoldConvWeight(weight: Float32Array, m: number, c: number, kh: number, kw: number): Float32Array {
  const out = new Float32Array(weight.length);
  for (let o = 0; o < m; o++)
    for (let ch = 0; ch < c; ch++)
      for (let ky = 0; ky < kh; ky++)
        for (let kx = 0; kx < kw; kx++) out[((o * kw * c + kx * c + ch) * kh + ky)] = weight[((o * c + ch) * kh + ky) * kw + kx];
  return out;
}

/** Reads the blocked tensor at `x[offset]` back into NCHW `out` (`n × c × h × w`). */
export function fromBlocked(x: Float32Array, offset: number, n: number, c: number, h: number, w: number, out: Float32Array): void {
  const cs = channelStride(c);
  const plane = h * w;
  for (let i = 0; i < n; i++) {
    const image = offset + i * plane * cs;
    for (let ch = 0; ch < c; ch++) {
      const to = (i * c + ch) * plane;
      for (let p = 0, from = image + ch; p < plane; p++, from += cs) out[to + p] = x[from];
    }
  }
}

/** Floats of a packed conv weight: one panel of `kh·kw·Cs_in·8` per block of 8 output channels. */
export function packedConvFloats(m: number, c: number, kh: number, kw: number): number {
  return Math.ceil(m / CONV_NR) * kh * kw * channelStride(c) * CONV_NR;
}

/**
 * Packs a conv weight `[M, C, kh, kw]` for the conv kernel at `out[offset]`: per block of 8
 * output channels, `[ky][kx][c][8]` over `c < Cs_in`, zero for padded channels and rows.
 */
export function packConvWeight(weight: Float32Array, m: number, c: number, kh: number, kw: number, out: Float32Array, offset: number): void {
  const cs = channelStride(c);
  const blocks = Math.ceil(m / CONV_NR);
  out.fill(0, offset, offset + packedConvFloats(m, c, kh, kw));
  for (let b = 0; b < blocks; b++) {
    const panel = offset + b * kh * kw * cs * CONV_NR;
    for (let j = 0; j < CONV_NR; j++) {
      const o = b * CONV_NR + j;
      if (o >= m) break;
      for (let ch = 0; ch < c; ch++) {
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            out[panel + ((ky * kw + kx) * cs + ch) * CONV_NR + j] = weight[((o * c + ch) * kh + ky) * kw + kx];
          }
        }
      }
    }
  }
}
