/**
 * Attributes of 2-D sliding windows (conv and the pools), normalised from the forms the language
 * and ONNX allow: an int or an `[h, w]` pair for kernel, strides and dilations, and for pads an
 * int, a per-axis pair `[ph, pw]`, or ONNX's four values `[top, left, bottom, right]`. A pool's
 * output size rounds down, or up in ceil mode (PyTorch's `ceil_mode`); the bins of an adaptive
 * pool are here too.
 */
import { assertRank, outputTensor, overwrittenFloats, type Tensor } from "./tensor.js";

/** Padding of the four sides of an image. */
export interface Pads2d {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** A fully resolved 2-D window over an `[H, W]` input. */
export interface Window2d {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pads: Pads2d;
  /** Output height and width. */
  oh: number;
  ow: number;
}

/** An int, or a pair `[h, w]`. */
export type IntPair = number | readonly [number, number];

/** An int, a per-axis pair `[ph, pw]`, or four values `[top, left, bottom, right]` (ONNX order). */
export type PadSpec = number | readonly [number, number] | readonly [number, number, number, number];

/** Expands an int or a pair to `[h, w]`, rejecting values below `min`. */
export function pair(value: IntPair, name: string, min: number): [number, number] {
  const [h, w] = typeof value === "number" ? [value, value] : value;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < min || w < min) {
    throw new Error(`${name} must be integers >= ${min}, got ${JSON.stringify(value)}`);
  }
  return [h, w];
}

/** Expands a pad specification to four sides. */
export function pads2d(value: PadSpec): Pads2d {
  let sides: readonly number[];
  if (typeof value === "number") sides = [value, value, value, value];
  else if (value.length === 2) sides = [value[0], value[1], value[0], value[1]];
  else sides = value;
  if (sides.length !== 4 || sides.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new Error(`pads must be non-negative integers (1, 2 or 4 of them), got ${JSON.stringify(value)}`);
  }
  return { top: sides[0], left: sides[1], bottom: sides[2], right: sides[3] };
}

/**
 * Pads for the language's `pad: same`: the output has `ceil(size / stride)` rows and columns, and an odd
 * total goes to the bottom and right, as ONNX's `SAME_UPPER` and TensorFlow's `SAME` do.
 */
export function samePads(height: number, width: number, kernel: IntPair, strides: IntPair = 1, dilations: IntPair = 1): Pads2d {
  const [kh, kw] = pair(kernel, "kernel", 1);
  const [sh, sw] = pair(strides, "strides", 1);
  const [dh, dw] = pair(dilations, "dilations", 1);
  const total = (size: number, k: number, s: number, d: number): number =>
    Math.max(0, (Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size);
  const th = total(height, kh, sh, dh);
  const tw = total(width, kw, sw, dw);
  return { top: Math.floor(th / 2), left: Math.floor(tw / 2), bottom: th - Math.floor(th / 2), right: tw - Math.floor(tw / 2) };
}

/**
 * Output positions of a window along one axis of `size` padded by `head` and `tail`: PyTorch's
 * `floor((size + head + tail − span) / stride) + 1` with span = d·(k − 1) + 1, or in ceil mode
 * `ceil(...) + 1`, less one when that last window would start in the tail padding (at or after
 * `size + head`), so every window covers at least one input value. Below 1 when nothing fits.
 */
export function windowOutputSize(size: number, k: number, s: number, head: number, tail: number, d: number, ceilMode: boolean): number {
  const extent = size + head + tail - (d * (k - 1) + 1);
  if (!ceilMode) return Math.floor(extent / s) + 1;
  const out = Math.ceil(extent / s) + 1;
  return (out - 1) * s >= size + head ? out - 1 : out;
}

/**
 * Resolves a window over an `[height, width]` input; throws when the output would be empty.
 * `ceilMode` rounds the output size up (pools only): the last window of a row or column may then
 * run past the input and its padding, and the kernels clip it to the input.
 */
export function window2d(
  op: string,
  height: number,
  width: number,
  kernel: IntPair,
  strides: IntPair,
  pads: PadSpec | Pads2d,
  dilations: IntPair,
  ceilMode = false,
): Window2d {
  const [kh, kw] = pair(kernel, `${op}: kernel`, 1);
  const [sh, sw] = pair(strides, `${op}: strides`, 1);
  const [dh, dw] = pair(dilations, `${op}: dilations`, 1);
  const p = typeof pads === "object" && "top" in pads ? pads : pads2d(pads);
  const oh = windowOutputSize(height, kh, sh, p.top, p.bottom, dh, ceilMode);
  const ow = windowOutputSize(width, kw, sw, p.left, p.right, dw, ceilMode);
  if (oh < 1 || ow < 1) {
    throw new Error(`${op}: a ${kh}x${kw} window (dilation ${dh}x${dw}) does not fit a padded ${height}x${width} input`);
  }
  return { kh, kw, sh, sw, dh, dw, pads: p, oh, ow };
}

/**
 * Rejects padding wider than half the kernel, as PyTorch does: beyond that a window can lie
 * entirely in the padding and would have no value to pool.
 */
export function checkPoolPads(op: string, win: Window2d): void {
  const { top, left, bottom, right } = win.pads;
  if (Math.max(top, bottom) > win.kh / 2 || Math.max(left, right) > win.kw / 2) {
    throw new Error(`${op}: padding (${top}, ${left}, ${bottom}, ${right}) must be at most half the ${win.kh}x${win.kw} kernel`);
  }
}

/** Attributes of the windowed pooling kernels (`maxPool`, `averagePool`); names follow ONNX. */
export interface PoolAttributes {
  /** Window size, an int or `[kh, kw]`. */
  kernelShape: IntPair;
  /** Step between windows (default: the kernel size, as in PyTorch and the language). */
  strides?: IntPair;
  /** Padding, at most half the kernel on each side (default 0). */
  pads?: PadSpec | Pads2d;
  /** Round the output size up, as PyTorch's `ceil_mode=True` (default false: down). */
  ceilMode?: boolean;
}

/**
 * The window of a pooling kernel over `[N, C, H, W]`, checked, and its output tensor
 * `[N, C, oh, ow]` (in `out` when a buffer is passed). Each kernel keeps its own loop, so
 * that the loop stays monomorphic.
 */
export function poolWindow(op: string, x: Tensor, attributes: PoolAttributes, out?: Float32Array): { win: Window2d; y: Tensor } {
  assertRank(x, [4], `${op}: input`);
  const [n, c, h, w] = x.shape;
  const kernel = attributes.kernelShape;
  const win = window2d(op, h, w, kernel, attributes.strides ?? kernel, attributes.pads ?? 0, 1, attributes.ceilMode === true);
  checkPoolPads(op, win);
  // The pools write every output: a pooled buffer needs no zero fill.
  return { win, y: outputTensor([n, c, win.oh, win.ow], out ?? overwrittenFloats(n * c * win.oh * win.ow), op) };
}

/**
 * The bins of an adaptive pool along one axis, `nn.AdaptiveAvgPool2d`'s: output position `i` of
 * `out` covers the input positions `[floor(i·size/out), ceil((i+1)·size/out))`, never empty;
 * neighbouring bins overlap where `out` does not divide `size`.
 */
export function adaptiveBins(size: number, out: number): { start: Int32Array; end: Int32Array } {
  if (!Number.isInteger(size) || !Number.isInteger(out) || size < 1 || out < 1) {
    throw new Error(`adaptive pool: sizes must be integers >= 1, got ${size} to ${out}`);
  }
  const start = new Int32Array(out);
  const end = new Int32Array(out);
  for (let i = 0; i < out; i++) {
    start[i] = Math.floor((i * size) / out);
    end[i] = Math.ceil(((i + 1) * size) / out);
  }
  return { start, end };
}
