/**
 * Output sizes of sliding windows (convs and pools), following PyTorch's floor mode; `pad: same`
 * gives `ceil(H / stride)` with the odd padding pixel at the bottom and right, as ONNX's
 * `SAME_UPPER` does.
 */
import { addDim, floorDivDim } from "./dims.js";
import { fail, isFailure } from "./rules.js";
import type { ArgSpec, Dim, OnnxAttr, OnnxContext, RuleFailure, Shape } from "./types.js";

/**
 * The output size of one spatial axis of a sliding window: `floor((H + 2p - d(k-1) - 1) / s) + 1`,
 * or a failure when the window does not fit.
 */
export function slide(op: string, axis: string, h: Dim, k: number, s: number, p: number, d: number): Dim | RuleFailure {
  const span = d * (k - 1) + 1;
  if (typeof h === "number") {
    if (h + 2 * p < span) {
      const what = d === 1 ? `kernel ${k}` : `kernel ${k} with dilation ${d} (spanning ${span})`;
      return fail("E0205", `${op} ${what} does not fit the ${axis} ${h}${p > 0 ? ` padded by ${p} on each side` : ""}`);
    }
    return Math.floor((h + 2 * p - span) / s) + 1;
  }
  return s === 1 ? addDim(h, 2 * p - span + 1) : addDim(floorDivDim(addDim(h, 2 * p - span), s), 1);
}

/** Both spatial output sizes of a window over `x`, or the first failure. */
export function slide2d(
  op: string,
  x: Shape,
  k: readonly number[],
  s: readonly number[],
  p: readonly number[],
  d: readonly number[],
): Dim[] | RuleFailure {
  const dims: Dim[] = [];
  for (let i = 0; i < 2; i++) {
    const size = slide(op, i === 0 ? "height" : "width", x[2 + i], k[i], s[i], p[i], d[i]);
    if (isFailure(size)) return size;
    dims.push(size);
  }
  return dims;
}

/** Explicit `[top, left, bottom, right]` pads for `pad: same` where the input size is static. */
export function samePadding(shape: Shape, k: readonly number[], s: readonly number[], d: readonly number[]): number[] | undefined {
  const pads: number[] = [];
  for (let i = 0; i < 2; i++) {
    const h = shape[2 + i];
    if (typeof h !== "number") return undefined;
    const out = Math.ceil(h / s[i]);
    pads.push(Math.max((out - 1) * s[i] + d[i] * (k[i] - 1) + 1 - h, 0));
  }
  return [Math.floor(pads[0] / 2), Math.floor(pads[1] / 2), pads[0] - Math.floor(pads[0] / 2), pads[1] - Math.floor(pads[1] / 2)];
}

/** The arguments of `maxpool` and `avgpool`. */
export const WINDOW_ARGS: readonly ArgSpec[] = [
  { name: "kernel", type: "pair", min: 1, doc: "window size: an int or a pair (h, w)" },
  { name: "stride", type: "pair", min: 1, defaultFrom: "kernel", doc: "step between windows (default: the kernel)" },
  { name: "pad", type: "pair", default: 0, min: 0, doc: "implicit padding on each side (at most half the kernel)" },
];

/** The ONNX attributes every window node (Conv, MaxPool, AveragePool) takes: kernel_shape, strides, pads. */
export function onnxWindowAttrs(e: OnnxContext): Record<string, OnnxAttr> {
  return {
    kernel_shape: { ints: e.ints("kernel_shape", []) },
    strides: { ints: e.ints("strides", [1, 1]) },
    pads: { ints: e.ints("pads", [0, 0, 0, 0]) },
  };
}
