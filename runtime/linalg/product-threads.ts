/**
 * Splits one product of the training kernels' heap (`wasm-products.ts`) across threads: the
 * caller's thread plus `threads − 1` `worker_threads` workers, each with its own instance of the
 * GEMM micro-kernel module over the heap's one shared `WebAssembly.Memory`, as the plan's
 * `runtime/fast/plan-threads.ts` splits a conv.
 *
 * A product is posted as the micro-kernel calls one thread would make (one per reduction slab,
 * recorded from `multiply`), and cut into chunks of C's row blocks (`MR` rows) or column tiles
 * (`NR` columns), whichever C has more of. Each chunk makes the same slab calls over its own rows
 * or columns, so every element of C is summed in the same order as on one thread: the result is
 * bit-for-bit the one-thread result. The threads, the taking of chunks and the hand-off are the
 * {@link ChunkPool} the plan's splitter uses too (`runtime/fast/chunk-pool.ts`); its workers start
 * with the pool, and where they cannot run the caller runs every chunk.
 */
import { ChunkPool, HEADER_WORDS, Header } from "../fast/chunk-pool.js";
import type { GemmTile } from "../fast/plan-module.js";
import { GemmFlags, MR, NR } from "../wasm/gemm-kernel.js";
import { PRODUCT_SLAB_DEPTH } from "../fast/product.js";
import { ADAM_KERNEL, PLANE_KERNELS, POINTWISE_KERNELS, SGD_KERNEL, SUM_KERNELS } from "../wasm/pointwise-kernel.js";
import { PAIR_POOL_KERNELS } from "../wasm/pair-pool-kernel.js";
import { PLANE_WINOGRAD_KERNELS } from "../wasm/plane-winograd-kernel.js";
import { CHUNK_FIRST_SOURCE } from "./image-chunks.js";
import { ZERO_KERNEL } from "../wasm/im2col-kernel.js";
import { ACTIVATE_KERNEL } from "../wasm/elementwise-kernels.js";

/** The product's words of the control block, after the pool's header; the slab calls follow at `Word.slabs`, `SLAB_WORDS` each. */
const Word = {
  items: HEADER_WORDS,
  byRows: HEADER_WORDS + 1,
  blockStride: HEADER_WORDS + 2,
  ldBytes: HEADER_WORDS + 3,
  rows: HEADER_WORDS + 4,
  columns: HEADER_WORDS + 5,
  slabCount: HEADER_WORDS + 6,
  alpha: HEADER_WORDS + 7,
  /** What the call runs: {@link Kind}. */
  kind: HEADER_WORDS + 8,
  slabs: HEADER_WORDS + 9,
} as const;
/**
 * A call's kind: a product's slabs, im2col of images, or a conv (or one of its gradients) over
 * chunks of images or groups of channels, each whole on one thread (a conv's chunk: its im2col,
 * product and copy into the output; a Winograd conv's: its padded planes, transforms and 16
 * or 36 products), or an element-wise kernel over a range of its items (vectors, planes or pairs
 * of planes) of tensors in the heap; all but the first put their arguments where the slabs go.
 */
const Kind = { product: 0, im2col: 1, conv: 2, weightGradient: 3, inputGradient: 4, winograd: 5, winogradGradientLanes: 6, elementwise: 7, transposes: 8 } as const;
/** The element-wise kernels a call may name, by their index in the call. */
const ELEMENTWISE_KERNELS: readonly string[] = [
  ...Object.values(POINTWISE_KERNELS), ...Object.values(PLANE_KERNELS), ...Object.values(SUM_KERNELS), ...Object.values(PAIR_POOL_KERNELS),
  PLANE_WINOGRAD_KERNELS.weight, PLANE_WINOGRAD_KERNELS.weightGradient, SGD_KERNEL, ADAM_KERNEL, ACTIVATE_KERNEL,
];
/** The most arguments of an element-wise call (two words each, after the kernel's index and their count): Adam's 14. */
const MAX_ELEMENTWISE_ARGUMENTS = 16;
/** The word where an element-wise call's chunks OR the kernel's results (a max pool's NaN flag). */
const ELEMENTWISE_RESULT = Word.slabs + 2 + 2 * MAX_ELEMENTWISE_ARGUMENTS;
/** The float64 element of the control block where an element-wise call's float arguments start (after the result word, 8-byte aligned). */
const ELEMENTWISE_FLOATS = Math.ceil((ELEMENTWISE_RESULT + 1) / 2);
/** The most words a conv call takes from `Word.slabs` (see {@link ConvChunks}, the weight gradient's 32, {@link WinogradGradientLanes}' 25 and {@link WinogradChunks}' 30). */
const CONV_WORDS = 32;
/**
 * An im2col call's words, from `Word.slabs`: the first image (bytes) and the bytes between
 * images, then `im2col`'s arguments from `channels` to `table` (see `im2col-kernel.ts`), the
 * column matrix's start, the bytes between images' columns, and its row stride.
 */
const IM2COL_WORDS = 16;
/** Per slab: A's byte offset, B's, C's, the bias's, the slab's depth and the kernel's flags. */
const SLAB_WORDS = 6;
/** The most slabs a split product may have (a reduction of 384 · 256 steps); longer ones stay on the caller. */
const MAX_SLABS = 256;
const WORDS = Math.max(Word.slabs - HEADER_WORDS + Math.max(SLAB_WORDS * MAX_SLABS, IM2COL_WORDS, CONV_WORDS), 2 * (ELEMENTWISE_FLOATS + MAX_ELEMENTWISE_ARGUMENTS) - HEADER_WORDS);
/** Chunks per thread: enough that the last one taken is a small part of the call. */
const CHUNKS_PER_THREAD = 4;
/** Chunks per thread of an element-wise call, whose items all cost the same: fewer hand-offs. */
const ELEMENTWISE_CHUNKS_PER_THREAD = 2;

/**
 * Runs chunk `k` of the posted call on `e` (a module instance): a product's row blocks or column
 * tiles, every slab; or a conv's chunk of images or group of channels. Shared as source text by
 * the caller and the workers' program, with `runSlabs`: the slab loop of `multiply`
 * (`runtime/fast/product.ts`), for a whole product of `rows` × `columns` over a reduction `depth`
 * long (A's column p at `a + p·MR·4`, B's row p at `b + p·ld`).
 */
const RUN_CHUNK = `function runSlabs(e, a, blockStride, b, ld, cAt, bias, rows, columns, depth, accumulate, last, alpha) {
  const slab = Math.ceil(depth / Math.ceil(depth / ${PRODUCT_SLAB_DEPTH}));
  for (let p = 0; p < depth; p += slab) {
    const size = Math.min(slab, depth - p);
    const flags = (p > 0 || accumulate ? ${GemmFlags.accumulate} : 0) | (p + size === depth ? last : 0);
    e.gemm_tile(a + p * ${MR * 4}, blockStride, b + p * ld, ld, cAt, ld, bias, rows, columns, size, flags, alpha);
  }
}
${CHUNK_FIRST_SOURCE}
const ELEMENTWISE = ${JSON.stringify(ELEMENTWISE_KERNELS)};
/** The control block's float64 view, for an element-wise call's float arguments (made once, on the first). */
let doubles;
function runChunk(e, c, f, k, thread) {
  const items = c[${Word.items}], chunks = c[${Header.chunks}];
  const lo = Math.floor((items * k) / chunks), hi = Math.floor((items * (k + 1)) / chunks);
  if (lo === hi) return;
  if (c[${Word.kind}] === ${Kind.elementwise}) {
    const w = ${Word.slabs}, args = [];
    for (let j = 0, n = c[w + 1]; j < n; j++) {
      const value = c[w + 2 + 2 * j], stride = c[w + 3 + 2 * j];
      if (stride === -2) doubles ??= new Float64Array(c.buffer, 0, ${ELEMENTWISE_FLOATS + MAX_ELEMENTWISE_ARGUMENTS});
      args.push(stride === -1 ? (hi - lo) * value : stride === -2 ? doubles[value] : value + lo * stride);
    }
    if (e[ELEMENTWISE[c[w]]](...args)) Atomics.or(c, ${ELEMENTWISE_RESULT}, 1);
    return;
  }
  if (c[${Word.kind}] === ${Kind.inputGradient}) {
    const w = ${Word.slabs};
    const m = c[w + 13], positions = c[w + 14], chunks = c[w + 15], n = c[w + 16], ld = c[w + 20];
    const imageBytes = c[w + 1] * 4, b = c[w + 21] + thread * c[w + 22], cAt = b + c[w + 23];
    for (let chunk = lo; chunk < hi; chunk++) {
      const first = chunkFirst(chunk, n, chunks), count = chunkFirst(chunk + 1, n, chunks) - first;
      for (let j = 0; j < count; j++) e.copy_rows(c[w + 17] + (first + j) * m * positions * 4, positions * 4, b + j * positions * 4, ld, m, positions);
      runSlabs(e, c[w + 18], c[w + 19], b, ld, cAt, c[w + 24], c[w + 25], Math.ceil((count * positions) / ${NR}) * ${NR}, m, false, 0, 0);
      e.${ZERO_KERNEL}(c[w] + first * imageBytes, count * imageBytes);
      for (let j = 0; j < count; j++) {
        e.col2im(c[w] + (first + j) * imageBytes, c[w + 2], c[w + 3], c[w + 4], c[w + 5], c[w + 6], c[w + 7], c[w + 8], c[w + 9], c[w + 10], c[w + 11],
          c[w + 12], cAt + j * positions * 4, ld);
      }
    }
    return;
  }
  if (c[${Word.kind}] === ${Kind.winograd}) {
    const w = ${Word.slabs};
    const channels = c[w + 2], h = c[w + 3], width = c[w + 4], th = c[w + 8], tw = c[w + 9], ld = c[w + 14] * 4, rows = c[w + 16];
    const m = c[w + 19], chunks = c[w + 20], n = c[w + 21], tiles = c[w + 28], four = c[w + 29] === 4;
    const xis = four ? 36 : 16, input = four ? e.wino4_planes_in : e.wino_planes_in, output = four ? e.wino4_planes_out : e.wino_planes_out;
    const xp = c[w + 10] + thread * c[w + 11], v = xp + c[w + 12], products = xp + c[w + 13];
    for (let chunk = lo; chunk < hi; chunk++) {
      const first = chunkFirst(chunk, n, chunks), count = chunkFirst(chunk + 1, n, chunks) - first;
      const x = c[w] + first * c[w + 1];
      for (let p = 0; p < count * channels; p++) e.copy_rows(x + p * h * width * 4, width * 4, xp + c[w + 5] + p * c[w + 7], c[w + 6], h, width);
      input(xp, channels, count, th, tw, c[w + 6], c[w + 7], v, channels * ld, ld);
      const columns = Math.ceil((count * tiles) / ${NR}) * ${NR};
      for (let xi = 0; xi < xis; xi++) {
        runSlabs(e, c[w + 15] + xi * c[w + 17], channels * ${MR * 4}, v + xi * channels * ld, ld, products + xi * rows * ld, c[w + 18], rows, columns, channels, false, 0, 0);
      }
      output(products, rows * ld, ld, m, count, th, tw, c[w + 24], c[w + 25], c[w + 22] + first * c[w + 23], c[w + 26], c[w + 27]);
    }
    return;
  }
  if (c[${Word.kind}] === ${Kind.winogradGradientLanes}) {
    const w = ${Word.slabs};
    const channels = c[w + 2], h = c[w + 3], width = c[w + 4], th = c[w + 8], tw = c[w + 9], tiles = c[w + 10];
    const ld = c[w + 13], m = c[w + 16], ldU = c[w + 17], chunks = c[w + 20], n = c[w + 21], lanes = c[w + 22];
    const xp = c[w + 11] + thread * c[w + 12], v = xp + c[w + 14], dm = xp + c[w + 15];
    for (let lane = lo; lane < hi; lane++) {
      const dU = c[w + 18] + lane * c[w + 19];
      for (let chunk = lane; chunk < chunks; chunk += lanes) {
        const first = chunkFirst(chunk, n, chunks), count = chunkFirst(chunk + 1, n, chunks) - first, total = count * tiles;
        const x = c[w] + first * c[w + 1];
        for (let p = 0; p < count * channels; p++) e.copy_rows(x + p * h * width * 4, width * 4, xp + c[w + 5] + p * c[w + 7], c[w + 6], h, width);
        e.wino_planes_in(xp, channels, count, th, tw, c[w + 6], c[w + 7], v, channels * ld * 4, ld * 4);
        e.wino_planes_grad(c[w + 23] + first * c[w + 24], m, count, th, tw, dm, m * ld * 4, ld * 4);
        for (let xi = 0; xi < 16; xi++) {
          e.gemm_nt(dm + xi * m * ld * 4, ld * 4, v + xi * channels * ld * 4, ld * 4, dU + xi * m * ldU * 4, ldU * 4, m, channels, total, chunk >= lanes ? 1 : 0);
        }
      }
    }
    return;
  }
  if (c[${Word.kind}] === ${Kind.weightGradient}) {
    const w = ${Word.slabs};
    const taps = c[w + 2], group = c[w + 3], channels = c[w + 4], positions = c[w + 14], chunks = c[w + 15], n = c[w + 16];
    const steps = c[w + 17], blockStride = c[w + 19], ld = c[w + 21], columns = c[w + 23];
    const plain = c[w + 24] + thread * c[w + 25], lanes = c[w + 29];
    for (let item = lo; item < hi; item++) {
      const g = Math.floor(item / lanes), lane = item % lanes;
      const c0 = g * group, count = Math.min(group, channels - c0), row0 = c0 * taps;
      const blocks = Math.ceil((count * taps) / ${MR});
      const a = c[w + 18] + lane * c[w + 31] + (row0 / ${MR}) * blockStride, cAt = c[w + 22] + lane * c[w + 30] + row0 * ld;
      for (let chunk = lane; chunk < chunks; chunk += lanes) {
        const first = chunkFirst(chunk, n, chunks), images = chunkFirst(chunk + 1, n, chunks) - first, total = images * positions;
        for (let j = 0; j < images; j++) {
          e.im2col(c[w] + (first + j) * c[w + 1] + c0 * c[w + 26], count, c[w + 5], c[w + 6], c[w + 7], c[w + 8], c[w + 9], c[w + 10], c[w + 11], c[w + 12], c[w + 13],
            c[w + 27], plain + j * positions * 4, steps * 4);
        }
        for (let q = 0; q < blocks; q++) e.transpose(plain + q * ${MR} * steps * 4, steps * 4, a + q * blockStride, ${MR * 4}, ${MR}, Math.ceil(total / 4) * 4);
        runSlabs(e, a, blockStride, c[w + 20] + first * positions * ld, ld, cAt, c[w + 28] + row0 * 4, blocks * ${MR}, columns, total, chunk >= lanes, 0, 0);
      }
    }
    return;
  }
  if (c[${Word.kind}] === ${Kind.conv}) {
    const w = ${Word.slabs};
    const positions = c[w + 25], m = c[w + 24], chunks = c[w + 26], n = c[w + 27], ld = c[w + 16];
    const b = c[w + 13] + thread * c[w + 14], cAt = b + c[w + 15];
    for (let chunk = lo; chunk < hi; chunk++) {
      const first = chunkFirst(chunk, n, chunks), count = chunkFirst(chunk + 1, n, chunks) - first;
      for (let j = 0; j < count; j++) {
        e.im2col(c[w] + (first + j) * c[w + 1], c[w + 2], c[w + 3], c[w + 4], c[w + 5], c[w + 6], c[w + 7], c[w + 8], c[w + 9], c[w + 10], c[w + 11],
          c[w + 12], b + j * positions * 4, ld);
      }
      runSlabs(e, c[w + 17], c[w + 18], b, ld, cAt, c[w + 21], c[w + 20], Math.ceil((count * positions) / ${NR}) * ${NR}, c[w + 19], false, c[w + 22], f[${Word.alpha}]);
      for (let j = 0; j < count; j++) e.copy_rows(cAt + j * positions * 4, ld, c[w + 23] + (first + j) * m * positions * 4, positions * 4, m, positions);
    }
    return;
  }
  if (c[${Word.kind}] === ${Kind.transposes}) {
    const w = ${Word.slabs};
    for (let i = lo; i < hi; i++) e.transpose(c[w] + i * c[w + 1], c[w + 2], c[w + 3] + i * c[w + 4], c[w + 5], c[w + 6], c[w + 7]);
    return;
  }
  if (c[${Word.kind}] === ${Kind.im2col}) {
    const w = ${Word.slabs};
    for (let i = lo; i < hi; i++) {
      e.im2col(c[w] + i * c[w + 1], c[w + 2], c[w + 3], c[w + 4], c[w + 5], c[w + 6], c[w + 7], c[w + 8], c[w + 9], c[w + 10], c[w + 11],
        c[w + 12], c[w + 13] + i * c[w + 14], c[w + 15]);
    }
    return;
  }
  const blockStride = c[${Word.blockStride}], ld = c[${Word.ldBytes}], byRows = c[${Word.byRows}] === 1;
  let dA = 0, dB = 0, dC = 0, dBias = 0, rows = c[${Word.rows}], columns = c[${Word.columns}];
  if (byRows) {
    dA = lo * blockStride; dC = lo * ${MR} * ld; dBias = lo * ${MR} * 4;
    rows = Math.min(rows - lo * ${MR}, (hi - lo) * ${MR});
  } else {
    dB = lo * ${NR * 4}; dC = dB;
    columns = Math.min(columns - lo * ${NR}, (hi - lo) * ${NR});
  }
  const alpha = f[${Word.alpha}], slabs = c[${Word.slabCount}];
  for (let s = 0, w = ${Word.slabs}; s < slabs; s++, w += ${SLAB_WORDS}) {
    e.gemm_tile(c[w] + dA, blockStride, c[w + 1] + dB, ld, c[w + 2] + dC, ld, c[w + 3] + dBias, rows, columns, c[w + 4], c[w + 5], alpha);
  }
}`;

/**
 * An argument of an element-wise call over a range of items (`ProductWorkers.elementwise`): a
 * byte pointer into the heap that advances `stride` bytes an item (0: a constant), the range's
 * length in items times `per` (the kernel's count of floats, planes or pairs), or a float64
 * `number` (an optimizer's factors).
 */
export type ElementwiseArgument = { readonly at: number; readonly stride: number } | { readonly per: number } | { readonly number: number };

/** A conv over chunks of images (`ProductWorkers.conv`): byte addresses and strides, counts. */
export interface ConvChunks {
  /** Image 0 and the bytes between images. */
  x: number;
  imageBytes: number;
  /** `im2col`'s arguments from `channels` to `top` (10 values), and its table. */
  window: readonly number[];
  table: number;
  /** Thread 0's B, the bytes between threads' B, and from a thread's B to its C; B's and C's row stride. */
  b: number;
  threadStride: number;
  cOffset: number;
  ld: number;
  /** The packed A, its block stride, depth and rows (a multiple of MR). */
  a: number;
  blockStride: number;
  depth: number;
  paddedRows: number;
  /** The bias (paddedRows floats) and the last slab's epilogue flags (`epilogueFlags`). */
  bias: number;
  lastFlags: number;
  /** The NCHW output, its channels and positions; the chunks of images (`image-chunks.ts`) and the images. */
  y: number;
  m: number;
  positions: number;
  chunks: number;
  n: number;
}

/** The input of a Winograd call on the threads, as its padded planes take it: byte addresses and strides, counts. */
export interface WinogradInput {
  /** Image 0 of the input and the bytes between images; its channels, height and width. */
  x: number;
  imageBytes: number;
  channels: number;
  height: number;
  width: number;
  /** From a padded plane's start to its first input value; a padded row's and plane's bytes. */
  inside: number;
  rowBytes: number;
  planeBytes: number;
  /** Rows and columns of output tiles per image, and tiles per image. */
  th: number;
  tw: number;
  tiles: number;
}

/** A Winograd conv over chunks of images (`ProductWorkers.winograd`, see `heap-winograd.ts`): byte addresses and strides, counts. */
export interface WinogradChunks extends WinogradInput {
  /** Thread 0's padded planes, the bytes between threads', and from a thread's planes to its V and its products M; V's and M's row stride (floats). */
  xp: number;
  threadStride: number;
  vOffset: number;
  mOffset: number;
  ld: number;
  /** U packed as 16 A operands (`uXi` bytes apart), their rows (a multiple of MR), the zero bias. */
  u: number;
  rows: number;
  uXi: number;
  zeroBias: number;
  /** Output channels, the chunks of images (`image-chunks.ts`) and the images; the NCHW output, the bytes of one of its images, its height and width. */
  m: number;
  chunks: number;
  n: number;
  y: number;
  outImageBytes: number;
  oh: number;
  ow: number;
  /** The bias (m floats) and whether relu follows. */
  bias: number;
  relu: number;
  /** F(2×2, 3×3) (2: 16 products) or F(4×4, 3×3) (4: 36). */
  tile: 2 | 4;
}

/**
 * A chunk of a Winograd weight gradient on one thread (`ProductHeap.winogradGradientChunk`, see
 * `heap-winograd.ts`): for each ξ, dU_ξ += dM_ξ · V_ξᵀ (`gemm_nt`). Byte addresses; strides and
 * sizes in floats.
 */
export interface WinogradGradientChunk {
  /** V (16 matrices of `channels` rows) and dM (16 matrices of `m` rows), rows `ld` apart. */
  v: number;
  channels: number;
  dm: number;
  m: number;
  ld: number;
  /** dU (16 matrices of `m` rows, `ldU` apart), the tiles of the chunk (the reduction), and whether to add to dU. */
  c: number;
  ldU: number;
  total: number;
  accumulate: number;
}

/**
 * A Winograd weight gradient in lanes (`ProductWorkers.winogradGradientLanes`, see
 * `heap-winograd.ts`): lane j takes chunks j, j + lanes, j + 2·lanes … of the batch and sums
 * their dU_ξ += dM_ξ · V_ξᵀ into its own dU, whole on the thread that takes it (its padded planes,
 * V and dM in the thread's region). Byte addresses and offsets; strides and sizes in floats.
 */
export interface WinogradGradientLanes extends WinogradInput {
  /** Thread 0's region (its padded planes first) and the bytes between threads'; V's and dM's row stride. */
  region: number;
  regionStride: number;
  ld: number;
  /** From a region's start to its V and its dM. */
  vOffset: number;
  dmOffset: number;
  /** Output channels; lane 0's dU (16 matrices of `m` rows, `ldU` apart) and the bytes between lanes'. */
  m: number;
  ldU: number;
  dU: number;
  laneStride: number;
  /** The chunks of images (`image-chunks.ts`), the images, and the lanes. */
  chunks: number;
  n: number;
  lanes: number;
  /** Image 0 of dY and the bytes between its images. */
  dy: number;
  dyImageBytes: number;
}

/** A strided conv's input gradient in chunks of images (`ProductWorkers.inputGradient`): byte addresses and strides, counts. */
export interface InputGradientChunks {
  /** dx's image 0 (each chunk zeroes its images before col2im adds onto them) and the floats of an image. */
  dx: number;
  imageFloats: number;
  /** `col2im`'s arguments from `channels` to `top` (10 values), and its table. */
  window: readonly number[];
  table: number;
  /** Output channels, positions per image, the chunks of images (`image-chunks.ts`), images; dY's image 0 in the heap. */
  m: number;
  positions: number;
  chunks: number;
  n: number;
  dy: number;
  /** The packed Wᵀ, its block stride; B's and C's row stride; thread 0's B, the bytes between threads', from B to C. */
  a: number;
  blockStride: number;
  ld: number;
  b: number;
  threadStride: number;
  cOffset: number;
  /** The zero bias, C's rows (a multiple of MR). */
  bias: number;
  paddedRows: number;
}

/** A weight gradient in groups of input channels (`ProductWorkers.weightGradient`): byte addresses and strides, counts. */
export interface WeightGradientChunks {
  /** Image 0 in the heap and the bytes between images; a plane's bytes. */
  x: number;
  imageBytes: number;
  planeBytes: number;
  /** Taps per input channel (kh·kw), channels per group (a group's rows are whole blocks of MR), input channels. */
  taps: number;
  group: number;
  channels: number;
  /** `im2col`'s arguments from `height` to `top` (9 values), and its table. */
  window: readonly number[];
  table: number;
  /** Output positions per image, the chunks of images (`image-chunks.ts`), images. */
  positions: number;
  chunks: number;
  n: number;
  /** The plain rows' and A's reduction length (a multiple of 4), A and its block stride. */
  steps: number;
  a: number;
  blockStride: number;
  /** dYᵀ for every image, B's and C's row stride, C, C's columns (a multiple of NR), the zero bias. */
  b: number;
  ld: number;
  c: number;
  columns: number;
  bias: number;
  /** Thread 0's plain rows and the bytes between threads'. */
  plain: number;
  plainStride: number;
  /**
   * Lanes (the chunks of images dealt to them in turn, each lane summing into its own C), and
   * the bytes from lane 0's C and A to the next lane's: a group and a lane make an item.
   */
  lanes: number;
  laneStrideC: number;
  laneStrideA: number;
}

/** Workers over one shared memory that run chunks of a product with the caller. */
export class ProductWorkers {
  /** Threads in use, the caller's included. */
  readonly threads: number;
  private readonly pool: ChunkPool;
  /** The control block's float64 view, where an element-wise call's float arguments go. */
  private readonly doubles: Float64Array;
  private slabCount = 0;
  /** Gathers `multiply`'s slab calls into the control block. */
  readonly record: GemmTile = (a, _blockStride, b, _ldb, c, _ldc, bias, _rows, _columns, depth, flags, alpha) => {
    const w = Word.slabs + SLAB_WORDS * this.slabCount++;
    if (this.slabCount > MAX_SLABS) return;
    const ctl = this.pool.control;
    ctl[w] = a;
    ctl[w + 1] = b;
    ctl[w + 2] = c;
    ctl[w + 3] = bias;
    ctl[w + 4] = depth;
    ctl[w + 5] = flags;
    this.pool.floats[Word.alpha] = alpha;
  };

  /** `kernels` are the caller's instance's exports over `memory` (`gemm_tile`, `im2col`, `copy_rows`), which `module` imports. */
  constructor(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: object) {
    this.pool = new ChunkPool(WORDS, threads, module, memory, RUN_CHUNK, kernels);
    this.doubles = new Float64Array(this.pool.control.buffer, 0, ELEMENTWISE_FLOATS + MAX_ELEMENTWISE_ARGUMENTS);
    this.threads = this.pool.threads;
  }

  /** Chunks the workers (not the caller) have run since the pool was made. */
  get workerChunks(): number {
    return this.pool.workerChunks;
  }

  /** Starts recording a product's slab calls (`record`), before `multiply` runs with it. */
  begin(): void {
    this.slabCount = 0;
  }

  /**
   * Runs the recorded slab calls over `rows` (a multiple of `MR`) × `columns` (of `NR`) of C,
   * A's row blocks `blockStride` bytes apart, B and C rows `ldBytes` apart; false (nothing run)
   * when the product had too many slabs to record.
   */
  run(rows: number, columns: number, blockStride: number, ldBytes: number): boolean {
    if (this.slabCount > MAX_SLABS) return false;
    const blocks = rows / MR;
    const tiles = columns / NR;
    const byRows = blocks > tiles;
    const items = byRows ? blocks : tiles;
    this.pool.run(Math.min(items, CHUNKS_PER_THREAD * this.threads), (c) => {
      c[Word.kind] = Kind.product;
      c[Word.items] = items;
      c[Word.byRows] = byRows ? 1 : 0;
      c[Word.blockStride] = blockStride;
      c[Word.ldBytes] = ldBytes;
      c[Word.rows] = rows;
      c[Word.columns] = columns;
      c[Word.slabCount] = this.slabCount;
    });
    return true;
  }

  /**
   * im2col of `images` images across the threads: image i at byte `x + i·xStride`, its columns at
   * `col + i·colStride`; `args` are the kernel's arguments from `channels` to `ld` with `col`
   * left out (see `im2col-kernel.ts`).
   */
  im2col(images: number, x: number, xStride: number, args: readonly number[], col: number, colStride: number): void {
    this.pool.run(Math.min(images, CHUNKS_PER_THREAD * this.threads), (c) => {
      c[Word.kind] = Kind.im2col;
      c[Word.items] = images;
      const w = Word.slabs;
      c[w] = x;
      c[w + 1] = xStride;
      for (let k = 0; k < 11; k++) c[w + 2 + k] = args[k];
      c[w + 13] = col;
      c[w + 14] = colStride;
      c[w + 15] = args[11];
    });
  }

  /**
   * `count` transposes of `rows × columns` floats (`transpose`, `im2col-kernel.ts`), the i-th from
   * byte `src + i·srcStep` (row stride `srcStride` bytes) to byte `dst + i·dstStep` (row stride
   * `dstStride`), in chunks of consecutive ones across the threads; each the call one thread makes.
   */
  transposes(count: number, [src, srcStep, srcStride]: readonly number[], [dst, dstStep, dstStride]: readonly number[], rows: number, columns: number): void {
    this.pool.run(Math.min(count, ELEMENTWISE_CHUNKS_PER_THREAD * this.threads), (c) => {
      c[Word.kind] = Kind.transposes;
      c[Word.items] = count;
      [src, srcStep, srcStride, dst, dstStep, dstStride, rows, columns].forEach((value, k) => (c[Word.slabs + k] = value));
    });
  }

  /**
   * A conv over chunks of images, each chunk whole on the thread that takes it (so its columns
   * and products stay in that core's cache): im2col of its images into the thread's B, the
   * product's slabs into the thread's C, and C's rows copied into the NCHW output; the same
   * micro-kernel calls as one thread makes for the chunk, so bit-for-bit its result.
   */
  conv(chunks: number, conv: ConvChunks, alpha: number): void {
    this.pool.run(chunks, (c) => {
      c[Word.kind] = Kind.conv;
      c[Word.items] = chunks;
      this.pool.floats[Word.alpha] = alpha;
      const words = [
        conv.x, conv.imageBytes, ...conv.window, conv.table,
        conv.b, conv.threadStride, conv.cOffset, conv.ld, conv.a, conv.blockStride, conv.depth, conv.paddedRows,
        conv.bias, conv.lastFlags, conv.y, conv.m, conv.positions, conv.chunks, conv.n,
      ];
      words.forEach((value, k) => (c[Word.slabs + k] = value));
    });
  }

  /**
   * A Winograd conv over chunks of images, each chunk whole on the thread that takes it: its
   * images into the thread's padded planes, the input transform into its V, the 16 or 36 products into
   * its M and the output transform into the NCHW output; the calls one thread makes for the
   * chunk, so bit-for-bit its result.
   */
  winograd(chunks: number, words: WinogradChunks): void {
    this.pool.run(chunks, (c) => {
      c[Word.kind] = Kind.winograd;
      c[Word.items] = chunks;
      const values = [
        words.x, words.imageBytes, words.channels, words.height, words.width, words.inside, words.rowBytes, words.planeBytes, words.th, words.tw,
        words.xp, words.threadStride, words.vOffset, words.mOffset, words.ld, words.u, words.rows, words.uXi, words.zeroBias,
        words.m, words.chunks, words.n, words.y, words.outImageBytes, words.oh, words.ow, words.bias, words.relu, words.tiles, words.tile,
      ];
      values.forEach((value, k) => (c[Word.slabs + k] = value));
    });
  }

  /**
   * A Winograd weight gradient's lanes, each whole on the thread that takes it: for each of its
   * chunks, the images into the thread's padded planes, the input transform into its V, dY's
   * transform into its dM, and for each ξ the product dM_ξ · V_ξᵀ added into the lane's dU
   * (`gemm_nt`); the calls one thread makes for the lane, so bit-for-bit its result.
   */
  winogradGradientLanes(words: WinogradGradientLanes): void {
    this.pool.run(words.lanes, (c) => {
      c[Word.kind] = Kind.winogradGradientLanes;
      c[Word.items] = words.lanes;
      const values = [
        words.x, words.imageBytes, words.channels, words.height, words.width, words.inside, words.rowBytes, words.planeBytes, words.th, words.tw,
        words.tiles, words.region, words.regionStride, words.ld, words.vOffset, words.dmOffset, words.m, words.ldU, words.dU, words.laneStride,
        words.chunks, words.n, words.lanes, words.dy, words.dyImageBytes,
      ];
      values.forEach((value, k) => (c[Word.slabs + k] = value));
    });
  }

  /**
   * A conv's weight gradient `dWᵀ = col · dYᵀ` in items of a group of input channels and a lane,
   * each whole on the thread that takes it: for every chunk of images of the lane, im2col of the
   * group's channels into the thread's plain rows, transposed into the group's rows of the lane's
   * A, and the product of those rows into the group's rows of the lane's C, adding over the
   * chunks; the micro-kernel calls one thread makes for those rows, so bit-for-bit its result.
   * dYᵀ for every image is in B before the call.
   */
  weightGradient(groups: number, words: WeightGradientChunks): void {
    const items = groups * words.lanes;
    this.pool.run(Math.min(items, CHUNKS_PER_THREAD * this.threads), (c) => {
      c[Word.kind] = Kind.weightGradient;
      c[Word.items] = items;
      const values = [
        words.x, words.imageBytes, words.taps, words.group, words.channels, ...words.window, words.positions, words.chunks, words.n,
        words.steps, words.a, words.blockStride, words.b, words.ld, words.c, words.columns, words.plain, words.plainStride,
        words.planeBytes, words.table, words.bias, words.lanes, words.laneStrideC, words.laneStrideA,
      ];
      values.forEach((value, k) => (c[Word.slabs + k] = value));
    });
  }

  /**
   * A strided conv's input gradient in chunks of images, each chunk whole on the thread that
   * takes it: dY's planes copied into the thread's B, `dcol = Wᵀ · dY` into its C, the chunk's
   * images of dx zeroed and col2im onto them; the calls one thread makes for the chunk, so
   * bit-for-bit its result.
   */
  inputGradient(chunks: number, words: InputGradientChunks): void {
    this.pool.run(chunks, (c) => {
      c[Word.kind] = Kind.inputGradient;
      c[Word.items] = chunks;
      const values = [
        words.dx, words.imageFloats, ...words.window, words.table, words.m, words.positions, words.chunks, words.n,
        words.dy, words.a, words.blockStride, words.ld, words.b, words.threadStride, words.cOffset, words.bias, words.paddedRows,
      ];
      values.forEach((value, k) => (c[Word.slabs + k] = value));
    });
  }

  /**
   * The element-wise kernel `kernel` (an export of `pointwise-kernel.ts`) over `items` items (a
   * kernel's vectors of four floats, planes or pairs of planes) of tensors in the heap, in chunks
   * of consecutive items across the threads: each chunk's call gets `args` with its pointers
   * advanced to its first item and its length. Every item's values are those of one call over all.
   * Returns 1 where a chunk's call returned nonzero, else 0.
   */
  elementwise(kernel: string, items: number, args: readonly ElementwiseArgument[]): number {
    const index = ELEMENTWISE_KERNELS.indexOf(kernel);
    if (index < 0 || args.length > MAX_ELEMENTWISE_ARGUMENTS) throw new Error(`ProductWorkers.elementwise: cannot split ${kernel} with ${args.length} arguments`);
    this.pool.run(Math.min(items, ELEMENTWISE_CHUNKS_PER_THREAD * this.threads), (c) => {
      c[Word.kind] = Kind.elementwise;
      c[Word.items] = items;
      const w = Word.slabs;
      c[w] = index;
      c[w + 1] = args.length;
      args.forEach((arg, j) => {
        if ("number" in arg) this.doubles[ELEMENTWISE_FLOATS + j] = arg.number;
        c[w + 2 + 2 * j] = "per" in arg ? arg.per : "number" in arg ? ELEMENTWISE_FLOATS + j : arg.at;
        c[w + 3 + 2 * j] = "per" in arg ? -1 : "number" in arg ? -2 : arg.stride;
      });
      c[ELEMENTWISE_RESULT] = 0;
    });
    return this.pool.control[ELEMENTWISE_RESULT];
  }

  /** Stops the workers. */
  close(): void {
    this.pool.close();
  }
}
