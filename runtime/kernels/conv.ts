/**
 * Conv: 2-D cross-correlation over NCHW, as `nn.Conv2d` and ONNX `Conv` compute it, with stride,
 * padding, dilation, groups (depthwise included), an optional bias and an optional activation
 * fused into the write-back.
 *
 * Each image and group is one GEMM, `W_g[out/groups, K] · col[K, oh*ow]` with
 * `K = in/groups * kh * kw`, written straight into the output's NCHW planes (they are exactly the
 * rows of the product). Two shapes skip im2col: a 1×1 convolution with unit stride and no padding,
 * whose input planes already are the column matrix, and a depthwise convolution (one input and one
 * output channel per group), where a GEMM would have a single row and im2col would only multiply
 * the memory traffic by kh·kw; it accumulates each kernel tap over the plane instead.
 *
 * Where WebAssembly SIMD is available, an ungrouped conv of at least `WASM_PRODUCT_MIN_MACS`
 * multiply-adds runs as ONE product over the whole batch on the GEMM micro-kernel
 * (`runtime/linalg/heap-conv.ts`): each image is copied into the WebAssembly memory and a
 * WebAssembly im2col writes its columns beside the others (`W[out, K] · col[K, N·oh·ow]`), bias
 * and relu are fused into the kernel, and each image's planes are copied out. Sums are float32 there (double within a slab
 * of 256 in the TypeScript product).
 */
import { applyActivation, type FusedActivation } from "../linalg/epilogue.js";
import { gemmCore, packedScratchSize } from "../linalg/gemm-core.js";
import { convForwardExtra, convForwardOnHeap } from "../linalg/heap-conv.js";
import { im2col } from "../linalg/im2col.js";
import { productHeap } from "../linalg/wasm-products.js";
import { assertRank, assertShape, freshFloats, outputTensor, overwrittenFloats, type Tensor } from "../tensor.js";
import { window2d, type IntPair, type Pads2d, type PadSpec, type Window2d } from "../window.js";

/** Attributes of {@link conv}; names follow ONNX `Conv`. The kernel size comes from the weight. */
export interface ConvAttributes {
  /** Step between windows, an int or `[sh, sw]` (default 1). */
  strides?: IntPair;
  /** Zero padding: an int, `[ph, pw]`, `[top, left, bottom, right]` or resolved sides (default 0). */
  pads?: PadSpec | Pads2d;
  /** Spacing between kernel taps, an int or `[dh, dw]` (default 1). */
  dilations?: IntPair;
  /** Number of channel groups; `group = in = out` is a depthwise convolution (default 1). */
  group?: number;
  /** Activation applied as each output panel is written (default none). */
  activation?: FusedActivation;
}

/**
 * Convolves `x` `[N, C, H, W]` with `weight` `[M, C/group, kh, kw]` and adds `bias` `[M]` when
 * given; returns `[N, M, oh, ow]`, in `out` when a buffer is passed.
 */
export function conv(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor,
  attributes: ConvAttributes = {},
  out?: Float32Array,
): Tensor {
  assertRank(x, [4], "conv: input");
  assertRank(weight, [4], "conv: weight");
  const [n, c, h, w] = x.shape;
  const [m, cg, kh, kw] = weight.shape;
  const group = attributes.group ?? 1;
  if (!Number.isInteger(group) || group < 1 || c % group !== 0 || m % group !== 0) {
    throw new Error(`conv: group ${group} must divide the input channels (${c}) and the output channels (${m})`);
  }
  assertShape(weight, [m, c / group, kh, kw], "conv: weight");
  if (bias !== undefined) assertShape(bias, [m], "conv: bias");
  const win = window2d("conv", h, w, [kh, kw], attributes.strides ?? 1, attributes.pads ?? 0, attributes.dilations ?? 1);
  const positions = win.oh * win.ow;
  const depth = cg * kh * kw;
  const heap = group === 1 ? productHeap(m, n * positions, depth, convForwardExtra(x.shape, win, depth, m)) : undefined;
  // On the heap every output value is written, so a pooled buffer need not be zeroed first.
  const y = outputTensor([n, m, win.oh, win.ow], out ?? (heap !== undefined ? overwrittenFloats(n * m * positions) : undefined), "conv");

  if (cg === 1 && m === group) {
    for (let plane = 0; plane < n * m; plane++) {
      const channel = plane % m;
      depthwisePlane(x.data, plane * h * w, h, w, weight.data, channel * kh * kw, win, bias?.data[channel] ?? 0, y.data, plane * positions);
    }
    if (attributes.activation !== undefined) applyActivation(y.data, 0, 1, y.data.length, 0, attributes.activation);
    return y;
  }
  const mg = m / group;
  if (heap !== undefined) {
    convForwardOnHeap(heap, x, weight, bias, win, attributes.activation, y.data);
    return y;
  }
  const direct =
    kh === 1 && kw === 1 && win.sh === 1 && win.sw === 1 &&
    win.pads.top === 0 && win.pads.left === 0 && win.pads.bottom === 0 && win.pads.right === 0;
  // One column buffer and one packing buffer serve every image and group: the only scratch
  // this kernel allocates.
  const col = direct ? x.data : freshFloats(depth * positions);
  const scratch = freshFloats(packedScratchSize(positions, depth));
  for (let image = 0; image < n; image++) {
    for (let g = 0; g < group; g++) {
      const inputOffset = (image * c + g * cg) * h * w;
      if (!direct) im2col(x.data, inputOffset, cg, h, w, win, col);
      gemmCore({
        m: mg,
        n: positions,
        k: depth,
        a: weight.data,
        aOffset: g * mg * depth,
        lda: depth,
        b: col,
        bOffset: direct ? inputOffset : 0,
        ldb: positions,
        transB: false,
        c: y.data,
        cOffset: (image * m + g * mg) * positions,
        ldc: positions,
        bias: bias === undefined ? undefined : { data: bias.data, offset: g * mg, per: "row" },
        activation: attributes.activation,
        scratch,
      });
    }
  }
  return y;
}

/**
 * One output plane of a depthwise convolution: the plane starts at the bias, then each kernel tap
 * adds its weight times the shifted input over the output rows and columns where the tap lands
 * inside the image (the same clipping as im2col), so the inner loop has no bounds tests.
 */
function depthwisePlane(
  x: Float32Array,
  xOffset: number,
  height: number,
  width: number,
  weight: Float32Array,
  wOffset: number,
  win: Window2d,
  bias: number,
  y: Float32Array,
  yOffset: number,
): void {
  const { kh, kw, sh, sw, dh, dw, oh, ow } = win;
  y.fill(bias, yOffset, yOffset + oh * ow);
  for (let ky = 0; ky < kh; ky++) {
    const dy = ky * dh - win.pads.top;
    const oyStart = Math.min(oh, Math.max(0, Math.ceil(-dy / sh)));
    const oyEnd = Math.max(oyStart, Math.min(oh, Math.floor((height - 1 - dy) / sh) + 1));
    for (let kx = 0; kx < kw; kx++) {
      const dx = kx * dw - win.pads.left;
      const oxStart = Math.min(ow, Math.max(0, Math.ceil(-dx / sw)));
      const oxEnd = Math.max(oxStart, Math.min(ow, Math.floor((width - 1 - dx) / sw) + 1));
      const v = weight[wOffset + ky * kw + kx];
      for (let oy = oyStart; oy < oyEnd; oy++) {
        const src = xOffset + (oy * sh + dy) * width + dx;
        const dst = yOffset + oy * ow;
        for (let ox = oxStart; ox < oxEnd; ox++) y[dst + ox] += v * x[src + ox * sw];
      }
    }
  }
}
