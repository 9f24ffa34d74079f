/**
 * Ungrouped convolutions as one product over the whole batch on the training products' heap
 * (`wasm-products.ts`), with im2col in WebAssembly (`runtime/wasm/im2col-kernel.ts`): each image
 * is copied into the heap and its columns written by the kernel, so no TypeScript loop touches
 * the column matrix.
 *
 * - forward: `W[M, K] · col[K, N·P]` (P = oh·ow), image i's columns at `i·P`; row m of the result
 *   holds output channel m of every image, copied out plane by plane;
 * - weight gradient: `dWᵀ[K, M] = col[K, N·P] · dYᵀ[N·P, M]`, one product whose reduction runs
 *   over every image and position, im2col writing straight into the packed row blocks of A;
 * - input gradient of a unit-stride conv: the forward of a conv over dY with the weights flipped
 *   in both kernel axes and input and output channels swapped, padded by `d·(k − 1) − pad` on
 *   each side, which gives exactly the input's size; so no col2im. Other convs keep the
 *   per-image products and col2im of `runtime/gradients/linear.ts`.
 *
 * Sums are float32 in the kernel's lanes, a slab of ≤ 384 reduction steps at a time.
 */
import { applyActivation, type FusedActivation } from "./epilogue.js";
import { kernelFuses } from "../fast/product.js";
import { productHeap, type ProductHeap } from "./wasm-products.js";
import { MR } from "../wasm/gemm-kernel.js";
import { freshFloats, type Tensor } from "../tensor.js";
import { window2d, type Window2d } from "../window.js";

/** The column floats a product takes at a time: 512 KiB, half of a core's L2 cache. */
const CHUNK_FLOATS = 131072;

/** Scratch floats for im2col's table of a window's columns. */
function tableFloats(win: Window2d): number {
  return 3 * win.kw + 1;
}

/**
 * `y` (`[N, M, oh, ow]`, overwritten) = conv of `x` `[N, C, H, W]` with `weight` `[M, C, kh, kw]`
 * (ungrouped) and `bias`, the activation applied; on `heap`, which the caller took for the
 * product `M × K` by `K × N·P` with {@link convForwardExtra} floats.
 */
export function convForwardOnHeap(
  heap: ProductHeap,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  win: Window2d,
  activation: FusedActivation | undefined,
  y: Float32Array,
): void {
  const [n, c, h, w] = x.shape;
  const m = weight.shape[0];
  const positions = win.oh * win.ow;
  const depth = weight.data.length / m;
  const image = c * h * w;
  const per = imagesPerChunk(n, depth * positions);
  const extra = convForwardExtra(x.shape, win, depth);
  for (let first = 0; first < n; first += per) {
    const count = Math.min(per, n - first);
    // The first chunk is the largest, so later layouts never grow (and clear) the memory.
    const l = heap.layout(m, count * positions, depth, extra);
    if (first === 0) heap.packA(l, weight.data, 0, depth, false);
    heap.floats.set(x.data.subarray(first * image, (first + count) * image), l.extra);
    const target = { at: l.b * 4, element: 4, lane: l.ld * 4, block: MR * l.ld * 4 };
    heap.im2col(count, l.extra, c, h, w, win, l.extra + count * image, target, positions * 4);
    heap.setBias(l, bias?.data);
    heap.run(l, activation);
    const f = heap.floats;
    for (let j = 0; j < count; j++) {
      for (let channel = 0; channel < m; channel++) {
        const from = l.c + channel * l.ld + j * positions;
        y.set(f.subarray(from, from + positions), ((first + j) * m + channel) * positions);
      }
    }
  }
  if (activation !== undefined && !kernelFuses(activation)) applyActivation(y, 0, 1, y.length, 0, activation);
}

/**
 * The heap floats {@link convForwardOnHeap} needs beyond its product, for input `shape` and a
 * weight of `depth` values per output channel: a chunk's images and im2col's table.
 */
export function convForwardExtra(shape: readonly number[], win: Window2d, depth: number): number {
  const per = imagesPerChunk(shape[0], depth * win.oh * win.ow);
  return per * shape[1] * shape[2] * shape[3] + tableFloats(win);
}

/**
 * Images whose column matrices (`floats` each) go into one product: as many as fit
 * {@link CHUNK_FLOATS}, at least one, so that the columns im2col writes are still in cache when
 * the micro-kernel reads them (a batch's columns are tens of megabytes).
 */
function imagesPerChunk(n: number, floats: number): number {
  return Math.max(1, Math.min(n, Math.floor(CHUNK_FLOATS / floats)));
}

/** One ungrouped conv's backward operands: dY `[n, m, oh, ow]`, x `[n, c, h, width]`, the window. */
export interface HeapConvProblem {
  readonly dy: Float32Array;
  readonly x: Float32Array;
  readonly w: Float32Array;
  readonly n: number;
  readonly c: number;
  readonly h: number;
  readonly width: number;
  readonly m: number;
  readonly win: Window2d;
}

/**
 * `dw` (`[m, c·kh·kw]`, overwritten) = Σ over images of dY_i · col_iᵀ, as the one product
 * `col · dYᵀ` over the batch; false (nothing written) where the product stays in TypeScript.
 */
export function convWeightGradientOnHeap({ dy, x, n, c, h, width, m, win }: HeapConvProblem, dw: Float32Array): boolean {
  const positions = win.oh * win.ow;
  const depth = c * win.kh * win.kw;
  const image = c * h * width;
  const per = imagesPerChunk(n, depth * positions);
  const extra = per * image + tableFloats(win);
  const heap = productHeap(depth, m, per * positions, extra);
  if (heap === undefined) return false;
  // Every chunk in the layout of the first, the largest: a smaller last chunk runs the first steps
  // of its reduction, and C stays in place for the chunks to add onto.
  const l = heap.layout(depth, m, per * positions, extra);
  const f = heap.floats;
  // Rows past `depth` in the last block of A multiply as zeros (their results are not read).
  if (depth % MR !== 0) f.fill(0, l.a + (l.paddedRows - MR) * l.k, l.a + l.paddedRows * l.k);
  for (let first = 0; first < n; first += per) {
    const count = Math.min(per, n - first);
    f.set(x.subarray(first * image, (first + count) * image), l.extra);
    // Image j's columns start at reduction step j·P of every block; im2col-kernel.ts's `lane`
    // and `block` strides are those of MR = 4 rows side by side.
    const target = { at: l.a * 4, element: MR * 4, lane: 4, block: l.k * MR * 4 };
    heap.im2col(count, l.extra, c, h, width, win, l.extra + count * image, target, positions * MR * 4);
    // B = dYᵀ: row j·P + p holds dY[first + j, :, p].
    for (let j = 0; j < count; j++) {
      for (let channel = 0; channel < m; channel++) {
        const from = ((first + j) * m + channel) * positions;
        let to = l.b + j * positions * l.ld + channel;
        for (let p = 0; p < positions; p++, to += l.ld) f[to] = dy[from + p];
      }
    }
    heap.setBias(l);
    heap.run(l, undefined, first > 0, count * positions);
  }
  for (let channel = 0; channel < m; channel++) {
    for (let r = 0; r < depth; r++) dw[channel * depth + r] = f[l.c + r * l.ld + channel];
  }
  return true;
}

/**
 * `dx` (`[n, c, h, width]`, overwritten) of a unit-stride conv, as the conv of dY with the flipped,
 * transposed weights; false (nothing written) for other strides, for padding wider than the
 * dilated kernel, or where the product stays in TypeScript.
 */
export function convInputGradientOnHeap({ dy, w, n, c, h, width, m, win }: HeapConvProblem, dx: Float32Array): boolean {
  const { kh, kw, dh, dw } = win;
  if (win.sh !== 1 || win.sw !== 1) return false;
  const pads = [dh * (kh - 1) - win.pads.top, dw * (kw - 1) - win.pads.left, dh * (kh - 1) - win.pads.bottom, dw * (kw - 1) - win.pads.right] as const;
  if (pads.some((p) => p < 0)) return false;
  const back = window2d("convBackward", win.oh, win.ow, [kh, kw], 1, pads, [dh, dw]);
  if (back.oh !== h || back.ow !== width) return false;
  const dyShape = [n, m, win.oh, win.ow];
  const depth = m * kh * kw;
  const heap = productHeap(c, n * h * width, depth, convForwardExtra(dyShape, back, depth));
  if (heap === undefined) return false;
  // flipped[ci][mo][ky][kx] = w[mo][ci][kh − 1 − ky][kw − 1 − kx]
  const flipped = freshFloats(c * depth);
  const taps = kh * kw;
  for (let mo = 0; mo < m; mo++) {
    for (let ci = 0; ci < c; ci++) {
      const from = (mo * c + ci) * taps;
      const to = (ci * m + mo) * taps;
      for (let t = 0; t < taps; t++) flipped[to + taps - 1 - t] = w[from + t];
    }
  }
  convForwardOnHeap(heap, { shape: dyShape, data: dy }, { shape: [c, m, kh, kw], data: flipped }, undefined, back, undefined, dx);
  return true;
}
