/**
 * Output sizes of sliding windows (convs and pools), following PyTorch's floor mode, or for a
 * pool its ceil mode (`ceil_mode: true`); `pad: same` gives `ceil(H / stride)` with the odd
 * padding pixel at the bottom and right, as ONNX's `SAME_UPPER` does.
 */
import { windowOutputSize } from "../window.js";
import { addDim, ceilDivDim, floorDivDim } from "./dims.js";
import { fail, isFailure } from "./rules.js";
import type { ArgSpec, Dim, OnnxAttr, OnnxContext, RuleFailure, Shape } from "./types.js";

/**
 * The output size of one spatial axis of a sliding window: `floor((H + 2p - d(k-1) - 1) / s) + 1`,
 * or a failure when the window does not fit.
 *
 * In ceil mode PyTorch takes `ceil(...) + 1`, less one where the last window would start in the
 * right padding; both together are `ceil((H + c) / s)` with the constant
 * `c = p + min(p + s - span, 0)` (the windows that start before `H + 2p - span + s` and before
 * `H + p`), which is also the symbolic form. A ceil-mode window may be larger than the input, as
 * in PyTorch, as long as one window starts inside it.
 */
export function slide(op: string, axis: string, h: Dim, k: number, s: number, p: number, d: number, ceilMode = false): Dim | RuleFailure {
  const span = d * (k - 1) + 1;
  if (typeof h === "number") {
    const out = windowOutputSize(h, k, s, p, p, d, ceilMode);
    if (out < 1) {
      const what = d === 1 ? `kernel ${k}` : `kernel ${k} with dilation ${d} (spanning ${span})`;
      return fail("E0205", `${op} ${what} does not fit the ${axis} ${h}${p > 0 ? ` padded by ${p} on each side` : ""}`);
    }
    return out;
  }
  if (ceilMode) return ceilDivDim(addDim(h, p + Math.min(p + s - span, 0)), s);
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
  ceilMode = false,
): Dim[] | RuleFailure {
  const dims: Dim[] = [];
  for (let i = 0; i < 2; i++) {
    const size = slide(op, i === 0 ? "height" : "width", x[2 + i], k[i], s[i], p[i], d[i], ceilMode);
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
  {
    name: "ceil_mode",
    type: "bool",
    default: false,
    doc: "round the output size up, as PyTorch's ceil_mode=True (a last window that runs past the input is clipped to it)",
  },
];

/** The ONNX attributes every window node (Conv, MaxPool, AveragePool) takes: kernel_shape, strides, pads. */
export function onnxWindowAttrs(e: OnnxContext): Record<string, OnnxAttr> {
  return {
    kernel_shape: { ints: e.ints("kernel_shape", []) },
    strides: { ints: e.ints("strides", [1, 1]) },
    pads: { ints: e.ints("pads", [0, 0, 0, 0]) },
  };
}

/**
 * The ONNX attributes of a pool in ceil mode (`ceil_mode = 1` on the IR node). Where the input's
 * spatial size is static, the same windows in floor mode: the bottom and right pads grow until
 * the last window of ceil mode fits (never past the kernel less one, since that window starts
 * inside the input), which every ONNX runtime reads alike. Where it is symbolic, ONNX's own
 * `ceil_mode = 1` with the symmetric pads: onnxruntime's kernels compute PyTorch's size, windows
 * that would start in the padding dropped, though its shape inference may still count them
 * (it then warns, and goes by the kernel).
 */
export function onnxPoolAttrs(e: OnnxContext): Record<string, OnnxAttr> {
  const attrs = onnxWindowAttrs(e);
  if (e.num("ceil_mode", 0) !== 1) return attrs;
  const [, , h, w] = e.shape(0);
  if (typeof h !== "number" || typeof w !== "number") return { ...attrs, ceil_mode: { int: 1 } };
  const k = e.ints("kernel_shape", []);
  const s = e.ints("strides", k);
  const pads = e.ints("pads", [0, 0, 0, 0]);
  [h, w].forEach((size, i) => {
    const out = windowOutputSize(size, k[i], s[i], pads[i], pads[i + 2], 1, true);
    pads[i + 2] = Math.max(pads[i + 2], (out - 1) * s[i] + k[i] - size - pads[i]);
  });
  return { ...attrs, pads: { ints: pads } };
}
