/**
 * 3×3 unit-stride convs on the training products' heap as Winograd convs (Lavin & Gray, 2016). It
 * serves a conv's forward and, through it, a unit-stride conv's input gradient (the conv of dY
 * with the flipped weights), as F(2×2, 3×3) or, when asked, F(4×4, 3×3)
 * ({@link setTrainingWinogradTile}), and a conv's weight gradient as F(2×2, 3×3). Per 2×2 block of outputs ("tile"), F(2×2, 3×3) takes 16
 * multiplies per pair of channels instead of 36, 2.25× fewer than im2col's (`heap-conv.ts`); per
 * 4×4 tile, F(4×4, 3×3) takes 36 instead of 144, 4× fewer.
 *
 * For each chunk of images (an even number of chunks, `image-chunks.ts`):
 *
 * 1. the images are copied into zero-padded planes (`copy_rows`), each row tile·⌈tw/4⌉·4 + tile
 *    wide (from where they are, for a tensor of the heap's arena; others by way of the heap);
 * 2. `wino_planes_in` (`wino4_planes_in`; `runtime/wasm/plane-winograd-kernel.ts`) writes
 *    V_ξ = (Bᵀ d B)_ξ of every tile as 16 (36) matrices `[C × T]`, the B operands of the GEMM
 *    micro-kernel;
 * 3. 16 (36) products M_ξ `[M × T]` = U_ξ `[M × C]` · V_ξ, where U = G g Gᵀ was packed once per
 *    call (F(2×2, 3×3): in float64, rounded once; F(4×4, 3×3): in float32, by `wino4_planes_u`);
 * 4. `wino_planes_out` (`wino4_planes_out`) writes Y = Aᵀ M A + bias (and relu) into the chunk's
 *    NCHW output, which is copied out (or written where it is, for a tensor of the arena).
 *
 * The result equals the direct conv's to float32 rounding (the sums are reordered and the
 * transforms add a few roundings, more for F(4×4, 3×3), whose factors reach 8);
 * `test/train/products.test.ts` holds both to the same bound as im2col's. Chunks keep V and M
 * (16 or 36 · T·(C + M) floats) within {@link CHUNK_FLOATS}, so that the GEMMs read V from cache;
 * each product splits across the training threads as any other.
 */
import type { FusedActivation } from "./epilogue.js";
import { rowStride } from "../fast/product.js";
import { MR } from "../wasm/gemm-kernel.js";
import type { HeapConvProblem } from "./heap-conv.js";
import { chunkFirst, imageChunks } from "./image-chunks.js";
import { heapHolds, type ProductHeap } from "./wasm-products.js";
import type { Tensor } from "../tensor.js";
import type { Window2d } from "../window.js";

/** Floats of V and M a chunk of images may take: 1 MiB. */
const CHUNK_FLOATS = 1 << 18;
/** The fewest input channels for which Winograd pays: below, the transforms cost more than the products save. */
export const WINOGRAD_MIN_CHANNELS = 16;

/**
 * Whether {@link convWinogradOnHeap} takes a conv of `c` input channels: a 3×3 window, unit
 * stride and dilation, no negative padding, and no activation or relu.
 */
export function winogradTakes(c: number, win: Window2d, activation: FusedActivation | undefined): boolean {
  const { kh, kw, sh, sw, dh, dw, pads } = win;
  return (
    c >= WINOGRAD_MIN_CHANNELS &&
    kh === 3 && kw === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1 &&
    [pads.top, pads.left, pads.bottom, pads.right].every((p) => p >= 0) &&
    win.oh > 0 && win.ow > 0 &&
    (activation === undefined || activation.kind === "relu")
  );
}

/**
 * `y` (`[N, M, oh, ow]`, overwritten) = conv of `x` `[N, C, H, W]` with `weight` `[M, C, 3, 3]`
 * and `bias`, relu applied when `activation` is relu; for a conv {@link winogradTakes}. False
 * (nothing written) where its operands would not fit the heap.
 */
export function convWinogradOnHeap(
  heap: ProductHeap,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  win: Window2d,
  activation: FusedActivation | undefined,
  y: Float32Array,
): boolean {
  const [n, c, h, w] = x.shape;
  const m = weight.shape[0];
  const { oh, ow } = win;
  const g = tileGeometry(win, trainingTile);
  const rows = roundUp(m, MR);
  const { chunks, per } = imageChunks(n, Math.floor(CHUNK_FLOATS / (g.xis * g.tiles * (c + rows))));
  // Three columns past the last tile: the input transform's last group of four may write there.
  const ld = rowStride(per * g.tiles + 3);
  const outImage = m * oh * ow;

  const aAt = 0;
  const zeroBias = aAt + g.xis * rows * c;
  const biasAt = zeroBias + rows;
  if (heap.threads > 1 && chunks > 1 && convWinogradOnThreads(heap, { x, weight, bias, win, activation, y }, { g, rows, per, chunks, ld, aAt, zeroBias, biasAt })) return true;
  const input = inputRegions(biasAt + rows, per, c, h, w, g, ld);
  const mAt = input.end;
  const yAt = mAt + g.xis * rows * ld;
  // The raw weights, which the U transform reads, after the rest.
  const rawAt = yAt + per * outImage;
  if (!heapHolds(rawAt + rows * c * 9)) return false;
  heap.layout(0, 0, 0, rawAt + rows * c * 9);
  writeWeights(heap, g.tile, { rows, aAt, zeroBias, biasAt }, weight, bias, rawAt);
  heap.zero(input.xp, input.v);
  const relu = activation?.kind === "relu" ? 1 : 0;

  // An output in the tensor arena is written where it is.
  const yResident = heap.resident(y);
  for (let k = 0; k < chunks; k++) {
    const first = chunkFirst(k, n, chunks);
    const count = chunkFirst(k + 1, n, chunks) - first;
    transformInput(heap, x.data, first, count, [c, h, w], win, g, input);
    for (let xi = 0; xi < g.xis; xi++) {
      heap.run({ m, n: count * g.tiles, k: c, paddedRows: rows, ld, a: aAt + xi * rows * c, b: input.v + xi * c * ld, c: mAt + xi * rows * ld, bias: zeroBias, extra: 0 });
    }
    const out = yResident === undefined ? yAt * 4 : yResident + first * outImage * 4;
    heap.winogradOutput(g.tile, mAt * 4, rows * ld * 4, ld * 4, m, count, g.th, g.tw, oh, ow, out, biasAt * 4, relu);
    if (yResident === undefined) y.set(heap.floats.subarray(yAt, yAt + count * outImage), first * outImage);
  }
  return true;
}

/** The sizes and first regions {@link convWinogradOnHeap} chose, for {@link convWinogradOnThreads}. */
interface WinogradLayout {
  g: TileGeometry;
  rows: number;
  per: number;
  chunks: number;
  ld: number;
  aAt: number;
  zeroBias: number;
  biasAt: number;
}

/**
 * {@link convWinogradOnHeap} on several threads: every image copied into the heap (read where
 * it is when the input is a tensor of the arena, as the output is written where it is), then each
 * chunk of images whole on the thread that takes it (its padded planes, V and M in the thread's
 * region; `ProductWorkers.winograd`), writing into an NCHW output of the whole batch, copied out
 * at the end. The same calls per chunk as on one thread: bit-for-bit its result. False (nothing
 * written) where the whole batch would not fit the heap.
 */
function convWinogradOnThreads(
  heap: ProductHeap,
  { x, weight, bias, win, activation, y }: { x: Tensor; weight: Tensor; bias: Tensor | undefined; win: Window2d; activation: FusedActivation | undefined; y: Float32Array },
  { g, rows, per, chunks, ld, aAt, zeroBias, biasAt }: WinogradLayout,
): boolean {
  const [n, c, h, w] = x.shape;
  const m = weight.shape[0];
  const image = c * h * w;
  const outImage = m * win.oh * win.ow;
  const xAt = biasAt + rows;
  const yAt = xAt + n * image;
  const threadsAt = yAt + n * outImage;
  // A thread's region: the padded planes, V and M of one chunk, as one thread lays them out.
  const chunk = inputRegions(0, per, c, h, w, g, ld);
  const [planes, mOffset] = [chunk.v - chunk.xp, chunk.end - chunk.xp];
  const region = mOffset + g.xis * rows * ld;
  const rawAt = threadsAt + heap.threads * region;
  if (!heapHolds(rawAt + rows * c * 9)) return false;
  heap.layout(0, 0, 0, rawAt + rows * c * 9);
  writeWeights(heap, g.tile, { rows, aAt, zeroBias, biasAt }, weight, bias, rawAt);
  for (let t = 0; t < heap.threads; t++) heap.zero(threadsAt + t * region, threadsAt + t * region + planes);
  // Tensors in the arena are read and written where they are.
  const yResident = heap.resident(y);
  heap.winogradChunks(chunks, {
    x: heap.readable(x.data, 0, n * image, xAt), imageBytes: image * 4, channels: c, height: h, width: w,
    inside: (win.pads.top * g.rowFloats + win.pads.left) * 4, rowBytes: g.rowFloats * 4, planeBytes: g.planeFloats * 4,
    th: g.th, tw: g.tw, tiles: g.tiles,
    xp: threadsAt * 4, threadStride: region * 4, vOffset: planes * 4, mOffset: mOffset * 4, ld,
    u: aAt * 4, rows, uXi: rows * c * 4, zeroBias: zeroBias * 4,
    m, chunks, n, y: yResident ?? yAt * 4, outImageBytes: outImage * 4, oh: win.oh, ow: win.ow,
    bias: biasAt * 4, relu: activation?.kind === "relu" ? 1 : 0, tile: g.tile,
  });
  if (yResident === undefined) y.set(heap.floats.subarray(yAt, yAt + n * outImage));
  return true;
}

/**
 * U packed at `aAt`, the products' zero bias, and the conv's bias (zero without one) at
 * `biasAt`: U made from the weights copied to `rawAt` (with zero rows up to `rows`, so
 * `rows · c · 9` floats there) by `wino_planes_u` (F(2×2, 3×3), in float64, rounded once) or
 * `wino4_planes_u` (F(4×4, 3×3), in float32).
 */
function writeWeights(
  heap: ProductHeap,
  tile: 2 | 4,
  { rows, aAt, zeroBias, biasAt }: Pick<WinogradLayout, "rows" | "aAt" | "zeroBias" | "biasAt">,
  weight: Tensor,
  bias: Tensor | undefined,
  rawAt: number,
): void {
  const [m, c] = weight.shape;
  const f = heap.floats;
  // The rows past m are zero weights, whose U is zero.
  f.set(weight.data.subarray(0, m * c * 9), rawAt);
  heap.zero(rawAt + m * c * 9, rawAt + rows * c * 9);
  if (tile === 2) heap.winogradWeights(rawAt * 4, rows, c, aAt * 4, rows * c * 4);
  else heap.winogradWeights4(rawAt * 4, c, rows / MR, aAt * 4, rows * c * 4);
  heap.zero(zeroBias, biasAt + rows);
  if (bias !== undefined) f.set(bias.data.subarray(0, m), biasAt);
}

/**
 * Whether {@link convWeightGradientWinograd} takes a conv's weight gradient: as
 * {@link winogradTakes}, with input and output channels multiples of 4 and an even output size.
 */
export function winogradGradientTakes(c: number, m: number, win: Window2d): boolean {
  return winogradTakes(c, win, undefined) && c % 4 === 0 && m % 4 === 0 && win.oh % 2 === 0 && win.ow % 2 === 0;
}

/**
 * Lanes of a Winograd weight gradient: the chunks of images are dealt to this many partial sums
 * of dU in turn, added at the end. Fixed, whatever the threads: on two threads each lane is whole
 * on one, on one thread they run one after the other, and the sums are the same bit for bit.
 */
const GRADIENT_LANES = 2;

/**
 * `dw` (`[m, c, 3, 3]`, overwritten) = the weight gradient of a conv {@link winogradGradientTakes}
 * takes, on `heap`: per chunk of images, V_ξ of the input's tiles and dM_ξ = (A dY Aᵀ)_ξ of dY's
 * (`wino_planes_grad`), and dU_ξ `[m × c]` += dM_ξ · V_ξᵀ by `gemm_nt`, which reads both as the
 * transforms wrote them, the tiles along each row (`runtime/wasm/gemm-nt-kernel.ts`; V and dM
 * of a chunk within {@link CHUNK_FLOATS}; an even number of chunks, `image-chunks.ts`). The chunks go to {@link GRADIENT_LANES} lanes in
 * turn (chunk k to lane k mod 2), each summing its own dU in place; then dU = dU₀ + dU₁ and
 * dW = Gᵀ dU G. On several threads the lanes run at once ({@link gradientLanesOnThreads}). False
 * (nothing written) where its operands would not fit the heap.
 */
export function convWeightGradientWinograd(heap: ProductHeap, problem: HeapConvProblem, dw: Float32Array): boolean {
  const { dy, x, n, c, h, width, m, win } = problem;
  const g = tileGeometry(win);
  // An even number of chunks, at least two where there are two images, so both lanes have work.
  const { chunks, per } = imageChunks(n, Math.floor(CHUNK_FLOATS / (16 * g.tiles * (c + m))));
  const lanes = Math.min(GRADIENT_LANES, chunks);
  const ld = rowStride(per * g.tiles + 3);
  const ldU = rowStride(c);
  const dyImage = m * win.oh * win.ow;
  const laneFloats = 16 * m * ldU;
  const sums: GradientSums = { dU: 0, laneFloats, lanes, dw: lanes * laneFloats };
  const after = sums.dw + m * c * 9;
  const sizes = { per, chunks, ld, ldU, dyImage };
  if (heap.threads > 1 && lanes > 1) {
    const done = gradientLanesOnThreads(heap, problem, g, sizes, sums, after);
    if (done) return finishWeightGradient(heap, c, m, ldU, sums, dw);
  }

  const input = inputRegions(after, per, c, h, width, g, ld);
  const dyAt = input.end;
  // The transform of dY reads up to 8 floats past its last plane.
  const dmAt = dyAt + per * dyImage + 8;
  const end = dmAt + 16 * m * ld;
  if (!heapHolds(end)) return false;
  heap.layout(0, 0, 0, end);
  heap.zero(input.xp, input.v);
  for (let lane = 0; lane < lanes; lane++) {
    for (let chunk = lane; chunk < chunks; chunk += lanes) {
      const first = chunkFirst(chunk, n, chunks);
      const count = chunkFirst(chunk + 1, n, chunks) - first;
      transformInput(heap, x, first, count, [c, h, width], win, g, input);
      // A dY in the heap's arena is read where it is (the 8 floats past its end are the arena's).
      const dyChunk = heap.readable(dy, first * dyImage, (first + count) * dyImage, dyAt);
      heap.winogradGradient(dyChunk, m, count, g.th, g.tw, dmAt * 4, m * ld * 4, ld * 4);
      heap.winogradGradientChunk({
        v: input.v * 4, channels: c, dm: dmAt * 4, m, ld,
        c: (sums.dU + lane * laneFloats) * 4, ldU, total: count * g.tiles, accumulate: chunk >= lanes ? 1 : 0,
      });
    }
  }
  return finishWeightGradient(heap, c, m, ldU, sums, dw);
}

/** Where a Winograd weight gradient's sums are in the heap (floats): the lanes' dU, the weight gradient. */
interface GradientSums {
  dU: number;
  laneFloats: number;
  lanes: number;
  dw: number;
}

/** dU₀ += dU₁ (float32 sums, as the kernel's), dW = Gᵀ dU G (`wino_planes_dw`), copied into `dw`. */
function finishWeightGradient(heap: ProductHeap, c: number, m: number, ldU: number, sums: GradientSums, dw: Float32Array): true {
  const { dU, laneFloats } = sums;
  // The 16 matrices dU_ξ of `m` rows are 16·m rows of one matrix.
  heap.addLanes(Array.from({ length: sums.lanes }, (_, lane) => dU + lane * laneFloats), 16 * m, c, ldU);
  heap.winogradWeightGradient(dU * 4, m * ldU * 4, ldU * 4, m, c, sums.dw * 4);
  dw.set(heap.floats.subarray(sums.dw, sums.dw + m * c * 9));
  return true;
}

/**
 * {@link convWeightGradientWinograd}'s lanes on several threads (`ProductWorkers.winogradGradientLanes`):
 * the input and dY copied into the heap whole (read where they are when they are tensors of the
 * arena), and each lane whole on the thread that takes it, with that thread's padded planes, V
 * and dM; the calls one thread makes for the lane. False (nothing run) where it would not fit the
 * heap.
 */
function gradientLanesOnThreads(
  heap: ProductHeap,
  { dy, x, n, c, h, width, m, win }: HeapConvProblem,
  g: TileGeometry,
  { per, chunks, ld, ldU, dyImage }: { per: number; chunks: number; ld: number; ldU: number; dyImage: number },
  sums: GradientSums,
  after: number,
): boolean {
  const image = c * h * width;
  const [xResident, dyResident] = [heap.resident(x), heap.resident(dy)];
  const xAt = after;
  const dyAt = xAt + (xResident === undefined ? n * image : 0);
  // The transform of dY reads up to 8 floats past its last plane.
  const threadsAt = dyAt + (dyResident === undefined ? n * dyImage + 8 : 0);
  // A thread's region, from its padded planes: V and dM, as one thread lays them out.
  const chunk = inputRegions(0, per, c, h, width, g, ld);
  const vOffset = chunk.v - chunk.xp;
  const dmOffset = chunk.end - chunk.xp;
  const region = dmOffset + 16 * m * ld;
  const end = threadsAt + heap.threads * region;
  if (!heapHolds(end)) return false;
  heap.layout(0, 0, 0, end);
  // A heap that moved to a larger memory left the arena's tensors behind: one thread then.
  if (heap.resident(x) !== xResident || heap.resident(dy) !== dyResident) return false;
  for (let t = 0; t < heap.threads; t++) heap.zero(threadsAt + t * region, threadsAt + t * region + vOffset);
  return heap.winogradGradientLanes({
    x: heap.readable(x, 0, n * image, xAt), imageBytes: image * 4, channels: c, height: h, width,
    inside: (win.pads.top * g.rowFloats + win.pads.left) * 4, rowBytes: g.rowFloats * 4, planeBytes: g.planeFloats * 4,
    th: g.th, tw: g.tw, tiles: g.tiles,
    region: threadsAt * 4, regionStride: region * 4, ld, vOffset: vOffset * 4, dmOffset: dmOffset * 4,
    m, ldU, dU: sums.dU * 4, laneStride: sums.laneFloats * 4,
    chunks, n, lanes: sums.lanes, dy: heap.readable(dy, 0, n * dyImage, dyAt), dyImageBytes: dyImage * 4,
  });
}

/**
 * The tiles of a conv's output and the zero-padded input planes they read, for F(2×2, 3×3)
 * (`tile` 2) or F(4×4, 3×3) (`tile` 4).
 */
interface TileGeometry {
  /** Outputs per side of a tile, and the values of ξ (the products): 16 or 36. */
  tile: 2 | 4;
  xis: number;
  /** Rows and columns of output tiles, and their number. */
  th: number;
  tw: number;
  tiles: number;
  /**
   * Floats per padded row (tile·⌈tw/4⌉·4 + tile, so a last group of four tiles reads inside it)
   * and per padded plane (tile·th + 2 rows).
   */
  rowFloats: number;
  planeFloats: number;
}

function tileGeometry(win: Window2d, tile: 2 | 4 = 2): TileGeometry {
  const th = Math.ceil(win.oh / tile);
  const tw = Math.ceil(win.ow / tile);
  const rowFloats = tile * roundUp(tw, 4) + tile;
  return { tile, xis: (tile + 2) ** 2, th, tw, tiles: th * tw, rowFloats, planeFloats: (tile * th + 2) * rowFloats };
}

let trainingTile: 2 | 4 = 2;

/**
 * The tile of every Winograd forward (and unit-stride input gradient) from now on: F(2×2, 3×3)
 * (2, the default) or F(4×4, 3×3) (4). F(4×4, 3×3) takes 1.2–1.4× less time per conv at the
 * sizes of ResNet-20 and MNIST, but rounds about 7× more (a few millionths of the output's
 * largest value, against a few ten-millionths), enough that training runs stray from PyTorch's
 * past the tolerance of the trajectory tests; so it is a choice, like PyTorch's TF32 switch.
 */
export function setTrainingWinogradTile(tile: 2 | 4): void {
  if (tile !== 2 && tile !== 4) throw new Error(`setTrainingWinogradTile: the tile is 2 or 4, not ${String(tile)}`);
  trainingTile = tile;
}

/** The tile Winograd forwards use ({@link setTrainingWinogradTile}). */
export function trainingWinogradTile(): 2 | 4 {
  return trainingTile;
}

/** Where a chunk's input goes in the heap (floats): the images as they are, their padded planes, V; and the first float after. */
interface InputRegions {
  x: number;
  xp: number;
  v: number;
  /** V's row stride. */
  ld: number;
  end: number;
}

function inputRegions(at: number, per: number, c: number, h: number, w: number, g: TileGeometry, ld: number): InputRegions {
  const xp = at + per * c * h * w;
  const v = xp + per * c * g.planeFloats + 4;
  return { x: at, xp, v, ld, end: v + g.xis * c * ld };
}

/**
 * Images `[first, first + count)` of `x` (`[·, c, h, w]`) into their padded planes (whose
 * padding the caller zeroed) and through the input transform into V.
 */
function transformInput(heap: ProductHeap, x: Float32Array, first: number, count: number, [c, h, w]: readonly number[], win: Window2d, g: TileGeometry, r: InputRegions): void {
  const image = c * h * w;
  // An input in the tensor arena is read where it is.
  const from = heap.readable(x, first * image, (first + count) * image, r.x);
  const inside = r.xp + win.pads.top * g.rowFloats + win.pads.left;
  for (let plane = 0; plane < count * c; plane++) {
    heap.copyRows(from + plane * h * w * 4, w * 4, (inside + plane * g.planeFloats) * 4, g.rowFloats * 4, h, w);
  }
  heap.winogradInput(g.tile, r.xp * 4, c, count, g.th, g.tw, g.rowFloats * 4, g.planeFloats * 4, r.v * 4, c * r.ld * 4, r.ld * 4);
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

