/**
 * Ungrouped convolutions as one product over the whole batch on the training products' heap
 * (`wasm-products.ts`), with im2col in WebAssembly (`runtime/wasm/im2col-kernel.ts`): each image
 * is copied into the heap and its columns written by the kernel, so no TypeScript loop touches
 * the column matrix.
 *
 * - forward: `W[M, K] · col[K, N·P]` (P = oh·ow), image i's columns at `i·P`; row m of the result
 *   holds output channel m of every image, copied out plane by plane;
 * - weight gradient: `dWᵀ[K, M] = col[K, N·P] · dYᵀ[N·P, M]`, one product whose reduction runs
 *   over every image and position: the columns written as plain rows and moved 4 × 4 at a time
 *   into A's row blocks, dY's planes into the rows of dYᵀ (the `transpose` kernel);
 * - input gradient of a unit-stride conv: the forward of a conv over dY with the weights flipped
 *   in both kernel axes and input and output channels swapped, padded by `d·(k − 1) − pad` on
 *   each side, which gives exactly the input's size; so no col2im. Other convs: `dcol = Wᵀ · dY`
 *   over a chunk of images, and a WebAssembly col2im onto dx.
 *
 * Products take a chunk of images at a time (512 KiB of columns), so the kernel reads columns
 * that are still in cache. On several threads (`setTrainingThreads`) a forward gives each thread
 * whole chunks of images, a weight gradient whole groups of input channels, so that no thread
 * reads columns another wrote (`product-threads.ts`); either way each thread makes the
 * micro-kernel calls one thread makes for its part, so results are bit-for-bit one thread's.
 *
 * Sums are float32 in the kernel's lanes, a slab of ≤ 384 reduction steps at a time.
 */
import { applyActivation, type FusedActivation } from "./epilogue.js";
import { epilogueFlags, kernelFuses, rowStride } from "../fast/product.js";
import { convWeightGradientWinograd, convWinogradOnHeap, winogradGradientTakes, winogradTakes } from "./heap-winograd.js";
import { chunkFirst, imageChunks, type ImageChunks } from "./image-chunks.js";
import { productHeap, trainingThreads, type ProductHeap, type ProductLayout } from "./wasm-products.js";
import { MR, NR } from "../wasm/gemm-kernel.js";
import type { Tensor } from "../tensor.js";
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
  if (winogradTakes(x.shape[1], win, activation) && convWinogradOnHeap(heap, x, weight, bias, win, activation, y)) return;
  const sizes = forwardSizes(x, weight, win);
  const { n, c, h, w, m, positions, depth, image, chunks } = sizes;
  const extra = convForwardExtra(x.shape, win, depth, m);
  if (heap.threads > 1 && chunks > 1) {
    convChunksOnThreads(heap, x, weight, bias, win, activation, y, sizes, extra);
  } else {
    for (let k = 0; k < chunks; k++) {
      const first = chunkFirst(k, n, chunks);
      const count = chunkFirst(k + 1, n, chunks) - first;
      // The first chunk is the largest, so later layouts never grow (and clear) the memory.
      const l = heap.layout(m, count * positions, depth, extra);
      if (first === 0) heap.packA(l, weight.data, 0, depth, false);
      // Tensors in the heap's arena are read and written where they are.
      const source = heap.readable(x.data, first * image, (first + count) * image, l.extra) / 4;
      const yResident = heap.resident(y);
      heap.im2col(count, source, c, h, w, win, l.extra + count * image, l.b * 4, l.ld * 4, positions * 4);
      heap.setBias(l, bias?.data);
      heap.run(l, activation);
      const f = heap.floats;
      for (let j = 0; j < count; j++) {
        if (yResident !== undefined) {
          heap.copyRows((l.c + j * positions) * 4, l.ld * 4, yResident + (first + j) * m * positions * 4, positions * 4, m, positions);
          continue;
        }
        for (let channel = 0; channel < m; channel++) {
          const from = l.c + channel * l.ld + j * positions;
          y.set(f.subarray(from, from + positions), ((first + j) * m + channel) * positions);
        }
      }
    }
  }
  if (activation !== undefined && !kernelFuses(activation)) applyActivation(y, 0, 1, y.length, 0, activation);
}

/** A forward conv's sizes: input `[n, c, h, w]`, `m` outputs of `positions` each, `depth` weights per output, floats per image, the chunks of images and the images of the largest. */
interface ForwardSizes {
  n: number;
  c: number;
  h: number;
  w: number;
  m: number;
  positions: number;
  depth: number;
  image: number;
  chunks: number;
  per: number;
}

function forwardSizes(x: Tensor, weight: Tensor, win: Window2d): ForwardSizes {
  const [n, c, h, w] = x.shape;
  const m = weight.shape[0];
  const positions = win.oh * win.ow;
  const depth = weight.data.length / m;
  return { n, c, h, w, m, positions, depth, image: c * h * w, ...imagesPerChunk(n, depth * positions) };
}

/**
 * The conv on several threads: every image copied into the heap (read where it is when the input
 * is a tensor of the arena, as the output is written where it is), then each chunk of images whole
 * on the thread that takes it (its im2col, product and copy into an NCHW output in the heap, see
 * `ProductWorkers.conv`), so a chunk's columns stay in one core's cache; the output copied out at
 * the end. The same micro-kernel calls per chunk as on one thread: bit-for-bit its result.
 */
function convChunksOnThreads(
  heap: ProductHeap,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  win: Window2d,
  activation: FusedActivation | undefined,
  y: Float32Array,
  { n, c, h, w, m, positions, depth, image, chunks, per }: ForwardSizes,
  extra: number,
): void {
  const l = heap.layout(m, per * positions, depth, extra);
  heap.packA(l, weight.data, 0, depth, false);
  heap.setBias(l, bias?.data);
  const region = (depth + l.paddedRows) * l.ld;
  const xAt = l.extra + heap.threads * region;
  const yAt = xAt + n * image;
  const table = yAt + n * m * positions;
  // Tensors in the heap's arena are read and written where they are.
  const yResident = heap.resident(y);
  heap.windowTable(table, win, w);
  const { last, alpha } = epilogueFlags(activation);
  const conv = {
    x: heap.readable(x.data, 0, n * image, xAt), imageBytes: image * 4,
    window: [c, h, w, win.kh, win.kw, win.sh, win.dh, win.oh, win.ow, win.pads.top], table: table * 4,
    b: l.extra * 4, threadStride: region * 4, cOffset: depth * l.ld * 4, ld: l.ld * 4,
    a: l.a * 4, blockStride: l.k * MR * 4, depth, paddedRows: l.paddedRows,
    bias: l.bias * 4, lastFlags: last,
    y: yResident ?? yAt * 4, m, positions, chunks, n,
  };
  heap.convChunks(chunks, conv, alpha);
  if (yResident === undefined) y.set(heap.floats.subarray(yAt, yAt + n * m * positions));
}

/**
 * The heap floats {@link convForwardOnHeap} needs beyond its product, for input `shape` and a
 * weight of `depth` values per each of `m` output channels: a chunk's images and im2col's table;
 * on several threads, a B and a C per thread, every image and the whole output.
 */
export function convForwardExtra(shape: readonly number[], win: Window2d, depth: number, m: number): number {
  const [n, c, h, w] = shape;
  const positions = win.oh * win.ow;
  const { chunks, per } = imagesPerChunk(n, depth * positions);
  const threads = trainingThreads();
  if (threads > 1 && chunks > 1) {
    const ld = rowStride(per * positions);
    return threads * (depth + Math.ceil(m / MR) * MR) * ld + n * c * h * w + n * m * positions + tableFloats(win);
  }
  return per * c * h * w + tableFloats(win);
}

/**
 * The chunks of images whose column matrices (`floats` each) go into one product: each within
 * {@link CHUNK_FLOATS} (or of one image), so that the columns im2col writes are still in cache
 * when the micro-kernel reads them (a batch's columns are tens of megabytes); an even number of
 * them, their sizes within one image of each other (`image-chunks.ts`).
 */
function imagesPerChunk(n: number, floats: number): ImageChunks {
  return imageChunks(n, Math.floor(CHUNK_FLOATS / floats));
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
 * `dw` (`[m, c·kh·kw]`, overwritten) = Σ over images of dY_i · col_iᵀ, as one product
 * `col · dYᵀ` over the batch (a chunk of images at a time, added up in C); false (nothing
 * written) where the product stays in TypeScript. A chunk's columns are written as plain rows
 * and then transposed 4 rows at a time into A's row blocks, and dY's planes transposed into the
 * rows of dYᵀ, both in WebAssembly (value by value in TypeScript where a plane's size or the
 * channels are not a multiple of 4).
 */
export function convWeightGradientOnHeap(problem: HeapConvProblem, dw: Float32Array): boolean {
  const { dy, x, n, c, h, width, m, win } = problem;
  const positions = win.oh * win.ow;
  const depth = c * win.kh * win.kw;
  const image = c * h * width;
  if (winogradGradientTakes(c, m, win)) {
    const heap = productHeap(depth, m, imagesPerChunk(n, depth * positions).per * positions);
    if (heap !== undefined && convWeightGradientWinograd(heap, problem, dw)) return true;
  }
  const { per, chunks, lanes } = gradientChunks(n, depth * positions);
  if (trainingThreads() > 1 && channelGroups(c, win).count * lanes > 1) {
    const done = weightGradientOnThreads(problem, dw);
    if (done !== undefined) return done;
  }
  // The reduction's length in the layout, rounded up to whole 4-column blocks of the transposes;
  // the columns past a chunk's are never multiplied.
  const steps = roundUp(per * positions, 4);
  const rows = roundUp(depth, MR);
  const plain = rows * steps;
  const dyFloats = per * m * positions;
  const ld = rowStride(m);
  // Lane 1's C (lane 0's is the layout's).
  const laneC = (lanes - 1) * rows * ld;
  const extra = per * image + plain + dyFloats + tableFloats(win) + laneC;
  const heap = productHeap(depth, m, steps, extra);
  if (heap === undefined) return false;
  // Every chunk in the layout of the first, the largest: a smaller last chunk runs the first steps
  // of its reduction, and C stays in place for the chunks to add onto.
  const l = heap.layout(depth, m, steps, extra);
  const [xAt, plainAt, dyAt, table] = [l.extra, l.extra + per * image, l.extra + per * image + plain, l.extra + per * image + plain + dyFloats];
  const cLanes = [l.c, table + tableFloats(win)];
  const f = heap.floats;
  // Rows past `depth` (the last block of A) multiply as zeros; their results are not read.
  heap.zero(plainAt + depth * steps, plainAt + plain);
  const single = chunks === 1;
  // Read by each lane's first chunk only; its later ones add onto its C.
  heap.setBias(l);
  for (let lane = 0; lane < lanes; lane++) {
    const onLane = { ...l, c: cLanes[lane] };
    for (let chunk = lane; chunk < chunks; chunk += lanes) {
      const first = chunkFirst(chunk, n, chunks);
      const count = chunkFirst(chunk + 1, n, chunks) - first;
      const total = count * positions;
      // An input in the arena is read where it is.
      const from = heap.readable(x, first * image, (first + count) * image, xAt) / 4;
      // Several chunks stay on this thread: split, each product's columns would cross to the other
      // core's cache and back, which costs more than the split saves.
      heap.im2col(count, from, c, h, width, win, table, plainAt * 4, steps * 4, positions * 4, single);
      // Block q of A holds, for each reduction step, rows 4q … 4q + 3 side by side.
      for (let q = 0; q < rows / MR; q++) heap.transpose((plainAt + q * MR * steps) * 4, steps * 4, (l.a + q * MR * l.k) * 4, MR * 4, MR, roundUp(total, 4));
      writeDyTransposed(heap, dy, first, count, m, positions, dyAt, l.b, l.ld);
      heap.run(onLane, undefined, chunk >= lanes, total, single);
    }
  }
  heap.addLanes(cLanes.slice(0, lanes), l.m, l.n, l.ld);
  readWeightGradient(f, l, dw);
  return true;
}

/**
 * The chunks of an im2col weight gradient ({@link imagesPerChunk}: an even number, so both lanes
 * have work and the same images to within one), dealt to `lanes` lanes in turn, each summing into
 * its own C, added at the end. Fixed by the sizes alone: one thread and two make the same sums.
 */
function gradientChunks(n: number, columnsPerImage: number): ImageChunks & { lanes: number } {
  const chunks = imagesPerChunk(n, columnsPerImage);
  return { ...chunks, lanes: Math.min(2, chunks.chunks) };
}

/**
 * Input channels per group of a weight gradient on several threads: the fewest whose rows of A
 * (`kh·kw` per channel) are whole blocks of MR rows; and how many groups.
 */
function channelGroups(c: number, win: Window2d): { size: number; count: number } {
  const taps = win.kh * win.kw;
  let size = 1;
  while ((size * taps) % MR !== 0) size++;
  return { size, count: Math.ceil(c / size) };
}

/**
 * {@link convWeightGradientOnHeap} on several threads, in groups of input channels, each group
 * whole on one thread (`ProductWorkers.weightGradient`): dYᵀ of every image is written first,
 * then each group's columns, transposes and products run where its rows of A and C are; the
 * micro-kernel calls of one thread for those rows, so bit-for-bit its result. Undefined where
 * the heap has one thread after all; false where the product stays in TypeScript.
 */
function weightGradientOnThreads({ dy, x, n, c, h, width, m, win }: HeapConvProblem, dw: Float32Array): boolean | undefined {
  const positions = win.oh * win.ow;
  const taps = win.kh * win.kw;
  const depth = c * taps;
  const image = c * h * width;
  const { per, chunks, lanes } = gradientChunks(n, depth * positions);
  const steps = roundUp(per * positions, 4);
  const groups = channelGroups(c, win);
  const groupRows = roundUp(groups.size * taps, MR);
  const ld = rowStride(m);
  const rows = roundUp(depth, MR);
  const threads = trainingThreads();
  // After the rest: lane 1's C and A (lane 0's are the layout's).
  const extra = n * image + n * positions * ld + threads * groupRows * steps + n * m * positions + tableFloats(win) + (lanes - 1) * rows * (ld + steps);
  const heap = productHeap(depth, m, steps, extra);
  if (heap === undefined) return false;
  if (heap.threads === 1) return undefined;
  const l = heap.layout(depth, m, steps, extra);
  const xAt = l.extra;
  const bAt = xAt + n * image;
  const plainAt = bAt + n * positions * ld;
  const dyAt = plainAt + threads * groupRows * steps;
  const table = dyAt + n * m * positions;
  const laneC = table + tableFloats(win);
  const laneA = laneC + rows * ld;
  const f = heap.floats;
  heap.setBias(l);
  writeDyTransposed(heap, dy, 0, n, m, positions, dyAt, bAt, ld);
  heap.windowTable(table, win, width);
  heap.weightGradient(groups.count, {
    // An input in the arena is read where it is.
    x: heap.readable(x, 0, n * image, xAt), imageBytes: image * 4, planeBytes: h * width * 4, taps, group: groups.size, channels: c,
    window: [h, width, win.kh, win.kw, win.sh, win.dh, win.oh, win.ow, win.pads.top], table: table * 4,
    positions, chunks, n, steps, a: l.a * 4, blockStride: l.k * MR * 4,
    b: bAt * 4, ld: ld * 4, c: l.c * 4, columns: Math.ceil(m / NR) * NR, bias: l.bias * 4,
    plain: plainAt * 4, plainStride: groupRows * steps * 4,
    lanes, laneStrideC: (laneC - l.c) * 4, laneStrideA: (laneA - l.a) * 4,
  });
  heap.addLanes([l.c, laneC].slice(0, lanes), l.m, l.n, l.ld);
  readWeightGradient(f, l, dw);
  return true;
}

/**
 * B = dYᵀ for images `[first, first + count)` of dY `[n, m, P]`: row j·P + p at float `b` (row
 * stride `ld`) holds dY[first + j, :, p]. Transposed 4 × 4 at a time from where dY is, when it
 * is a tensor of the heap's arena, else from a copy at float `scratch`, the images shared by the
 * threads; value by value where m or P is not a multiple of 4.
 */
function writeDyTransposed(heap: ProductHeap, dy: Float32Array, first: number, count: number, m: number, positions: number, scratch: number, b: number, ld: number): void {
  const f = heap.floats;
  if (m % 4 === 0 && positions % 4 === 0) {
    const from = heap.readable(dy, first * m * positions, (first + count) * m * positions, scratch);
    heap.transposes(count, [from, m * positions * 4, positions * 4], [b * 4, positions * ld * 4, ld * 4], m, positions);
    return;
  }
  for (let j = 0; j < count; j++) {
    for (let channel = 0; channel < m; channel++) {
      const from = ((first + j) * m + channel) * positions;
      let to = b + j * positions * ld + channel;
      for (let p = 0; p < positions; p++, to += ld) f[to] = dy[from + p];
    }
  }
}

/** dW (`[m, depth]`) from C, which holds dWᵀ (`l.m` = depth rows of `l.n` = m values). */
function readWeightGradient(f: Float32Array, l: ProductLayout, dw: Float32Array): void {
  for (let channel = 0; channel < l.n; channel++) {
    for (let r = 0; r < l.m; r++) dw[channel * l.m + r] = f[l.c + r * l.ld + channel];
  }
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * The input gradient of a unit-stride conv takes `dcol = Wᵀ · dY` and col2im where its input has
 * more than this many times its output's positions.
 */
const COLUMNS_ABOVE = 1.5;

/**
 * `dx` (`[n, c, h, width]`, overwritten): for a unit-stride conv, the conv of dY with the flipped,
 * transposed weights; for others (padding wider than the dilated kernel, or an output much
 * smaller than the input, see {@link COLUMNS_ABOVE}), `dcol = Wᵀ · dY` a chunk of images at a time
 * and col2im onto the images ({@link inputGradientByColumns}). False (nothing written) where the
 * products stay in TypeScript.
 */
export function convInputGradientOnHeap(problem: HeapConvProblem, dx: Float32Array): boolean {
  const { dy, w, n, c, h, width, m, win } = problem;
  const { kh, kw, dh, dw } = win;
  const pads = [dh * (kh - 1) - win.pads.top, dw * (kw - 1) - win.pads.left, dh * (kh - 1) - win.pads.bottom, dw * (kw - 1) - win.pads.right] as const;
  // A conv whose output is much smaller than its input (a large kernel without padding, as
  // LeNet's 5 × 5 over 14 × 14) pads dY by up to the kernel's size each side: the flipped conv's
  // product is h·w / (oh·ow) times the size of Wᵀ · dY's, and its im2col mostly writes zeros.
  const shrinks = h * width > COLUMNS_ABOVE * win.oh * win.ow;
  if (win.sh !== 1 || win.sw !== 1 || pads.some((p) => p < 0) || shrinks) return inputGradientByColumns(problem, dx);
  const back = window2d("convBackward", win.oh, win.ow, [kh, kw], 1, pads, [dh, dw]);
  if (back.oh !== h || back.ow !== width) return inputGradientByColumns(problem, dx);
  const dyShape = [n, m, win.oh, win.ow];
  const depth = m * kh * kw;
  const heap = productHeap(c, n * h * width, depth, convForwardExtra(dyShape, back, depth, c));
  if (heap === undefined) return false;
  const flipped = flipWeights(w, m, c, kh * kw);
  convForwardOnHeap(heap, { shape: dyShape, data: dy }, { shape: [c, m, kh, kw], data: flipped }, undefined, back, undefined, dx);
  return true;
}

let flipBuffer = new Float32Array(0);

/**
 * `flipped[ci][mo][ky][kx] = w[mo][ci][kh − 1 − ky][kw − 1 − kx]` for weights `[m, c, kh, kw]`
 * (`taps` = kh·kw), in a plain buffer that the conv copies into the heap before it returns (one,
 * grown as needed). Always a plain one: the buffer pool's are views of the heap's shared memory
 * or not by their size, and a loop that sees both kinds of array runs 2–5 times slower in V8.
 */
function flipWeights(w: Float32Array, m: number, c: number, taps: number): Float32Array {
  if (flipBuffer.length < m * c * taps) flipBuffer = new Float32Array(m * c * taps);
  const flipped = flipBuffer;
  if (taps === 9) {
    // 3 × 3 windows, the common case, written out: twice as fast as the loop over the taps.
    for (let ci = 0, to = 0; ci < c; ci++) {
      for (let mo = 0; mo < m; mo++, to += 9) {
        const from = (mo * c + ci) * 9;
        flipped[to] = w[from + 8];
        flipped[to + 1] = w[from + 7];
        flipped[to + 2] = w[from + 6];
        flipped[to + 3] = w[from + 5];
        flipped[to + 4] = w[from + 4];
        flipped[to + 5] = w[from + 3];
        flipped[to + 6] = w[from + 2];
        flipped[to + 7] = w[from + 1];
        flipped[to + 8] = w[from];
      }
    }
    return flipped.subarray(0, m * c * taps);
  }
  for (let mo = 0; mo < m; mo++) {
    for (let ci = 0; ci < c; ci++) {
      const from = (mo * c + ci) * taps;
      const last = (ci * m + mo) * taps + taps - 1;
      for (let t = 0; t < taps; t++) flipped[last - t] = w[from + t];
    }
  }
  return flipped.subarray(0, m * c * taps);
}

/**
 * A conv's input gradient as `dcol = Wᵀ · dY` over a chunk of images at a time (512 KiB of
 * dcol), then col2im of each image's columns onto dx in the heap, which is copied out at the end:
 * the strided convs' path. On several threads each chunk is whole on one thread
 * (`ProductWorkers.inputGradient`), with the calls one thread makes for it. False where the
 * product stays in TypeScript.
 */
function inputGradientByColumns({ dy, w, n, c, h, width, m, win }: HeapConvProblem, dx: Float32Array): boolean {
  const positions = win.oh * win.ow;
  const depth = c * win.kh * win.kw;
  const image = c * h * width;
  const { chunks, per } = imagesPerChunk(n, depth * positions);
  const ld = rowStride(per * positions);
  const rows = roundUp(depth, MR);
  const threads = trainingThreads();
  const extra = threads * (m + rows) * ld + n * m * positions + n * image + tableFloats(win);
  const heap = productHeap(depth, per * positions, m, extra);
  if (heap === undefined) return false;
  const l = heap.layout(depth, per * positions, m, extra);
  const region = (m + rows) * ld;
  const dyAt = l.extra + threads * region;
  const dxAt = dyAt + n * m * positions;
  const table = dxAt + n * image;
  heap.packA(l, w, 0, depth, true);
  heap.setBias(l);
  const f = heap.floats;
  // dY and dx where they are when they are tensors of the arena.
  const dyFrom = heap.readable(dy, 0, n * m * positions, dyAt);
  const dxResident = heap.resident(dx);
  const dxTo = dxResident === undefined ? dxAt : dxResident / 4;
  heap.windowTable(table, win, width);
  const threaded =
    chunks > 1 &&
    heap.inputGradientChunks(chunks, {
      dx: dxTo * 4, imageFloats: image,
      window: [c, h, width, win.kh, win.kw, win.sh, win.dh, win.oh, win.ow, win.pads.top], table: table * 4,
      m, positions, chunks, n, dy: dyFrom, a: l.a * 4, blockStride: l.k * MR * 4, ld: ld * 4,
      b: l.extra * 4, threadStride: region * 4, cOffset: m * ld * 4, bias: l.bias * 4, paddedRows: l.paddedRows,
    });
  // On several threads each chunk zeroes its images of dx, on one dx is zeroed here.
  if (!threaded) {
    heap.zero(dxTo, dxTo + n * image);
    // The same calls on this thread, in thread 0's B and C.
    const [b, cAt] = [l.extra, l.extra + m * ld];
    const chunkLayout = { ...l, b, c: cAt, ld };
    for (let k = 0; k < chunks; k++) {
      const first = chunkFirst(k, n, chunks);
      const count = chunkFirst(k + 1, n, chunks) - first;
      for (let j = 0; j < count; j++) heap.copyRows(dyFrom + (first + j) * m * positions * 4, positions * 4, (b + j * positions) * 4, ld * 4, m, positions);
      heap.run({ ...chunkLayout, n: count * positions }, undefined, false, m, false);
      heap.col2im(count, dxTo + first * image, c, h, width, win, table, cAt * 4, ld * 4, positions * 4);
    }
  }
  if (dxResident === undefined) dx.set(f.subarray(dxAt, dxAt + n * image));
  return true;
}
