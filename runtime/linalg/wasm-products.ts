/**
 * Matrix products on the plan's GEMM micro-kernel (`runtime/wasm/gemm-kernel.ts`) outside a
 * plan: the products of the TypeScript kernels that training runs (`conv` and `gemm` forward, the
 * weight and input gradients of `runtime/gradients/products.ts`).
 *
 * One WebAssembly memory per thread, grown on demand and reused by every product (after the
 * largest product of a training step has run once, a step allocates nothing here). A product
 * `C = op(A) · op(B)` is laid out in it as the kernel wants:
 *
 * - op(A) `m × k` packed in row blocks of `MR` rows (each reduction step's `MR` values side by
 *   side), transposing on the way when asked;
 * - op(B) `k × n` row-major with a row stride `ld` that is an odd number of `NR`-wide tiles
 *   (`rowStride`), transposing on the way when asked;
 * - C `paddedRows × ld`, and a bias of `paddedRows` values (zero for a plain product).
 *
 * The kernel sums in float32 SIMD lanes, a slab of ≤ 384 reduction steps at a time
 * (`runtime/fast/product.ts`); the caller copies C out (or adds it, to accumulate). The same
 * module has the kernels with which a conv builds its operands in the memory itself
 * (`runtime/wasm/im2col-kernel.ts`: im2col, col2im, transpose, row copies; `heap-conv.ts`).
 *
 * With {@link setTrainingThreads} above 1, the memory is shared and the kernel's part of a large
 * product runs on that many threads (`product-threads.ts`), bit-for-bit as on one; a conv's
 * chunks of images or groups of channels run there whole, operands included. A plain product's
 * packing and copies stay on the caller.
 */
import type { FusedActivation } from "./epilogue.js";
import { gemmKernelBody, GEMM_KERNEL, MR, NR } from "../wasm/gemm-kernel.js";
import { GEMM_NT_KERNEL, gemmNtFunction } from "../wasm/gemm-nt-kernel.js";
import { fusedMultiplyAddsByDefault, relaxedMaddSupported } from "../wasm/relaxed-simd.js";
import { COL2IM_KERNEL, col2imFunction, copyRowsFunction, COPY_ROWS_KERNEL, im2colFunction, IM2COL_KERNEL, transposeFunction, TRANSPOSE_KERNEL, zeroFunction, ZERO_KERNEL } from "../wasm/im2col-kernel.js";
import { encodeModule, type MemoryImport } from "../wasm/module.js";
import { pairPoolFunctions, PAIR_POOL_KERNELS } from "../wasm/pair-pool-kernel.js";
import { planeWinogradFunctions, PLANE_WINOGRAD_KERNELS } from "../wasm/plane-winograd-kernel.js";
import { ACTIVATE_KERNEL, activateFunction, ActivationKind } from "../wasm/elementwise-kernels.js";
import {
  planeFunctions,
  PLANE_COEFFICIENTS,
  PLANE_KERNELS,
  pointwiseFunctions,
  POINTWISE_KERNELS,
  ADAM_KERNEL,
  adamFunction,
  AdamFlags,
  SGD_KERNEL,
  sgdFunction,
  SgdFlags,
  SUM_COUNTS,
  SUM_KERNELS,
  sumFunctions,
  type PointwiseKernel,
} from "../wasm/pointwise-kernel.js";
import type { Window2d } from "../window.js";
import { kernelFuses, multiply, rowStride } from "../fast/product.js";
import type { GemmTile } from "../fast/plan-module.js";
import { workersAvailable } from "../fast/chunk-pool.js";
import { ProductWorkers, type ConvChunks, type ElementwiseArgument, type InputGradientChunks, type WeightGradientChunks, type WinogradChunks, type WinogradGradientChunk, type WinogradGradientLanes } from "./product-threads.js";
import { wasmAvailable } from "../fast/wasm-support.js";
import { setPoolAllocator } from "../tensor.js";
import { arenaOf, TensorArena } from "./tensor-arena.js";

/** Below this many multiply-adds a product stays in TypeScript: packing would cost more. */
export const WASM_PRODUCT_MIN_MACS = 16_384;

const PAGE_BYTES = 65_536;
/** The most the heap's memory may grow to (bytes): the products' scratch, then the tensor arena. */
const MAX_HEAP_BYTES = 2 ** 30;
const MAX_PAGES = MAX_HEAP_BYTES / PAGE_BYTES;
/** The most scratch a product may take (bytes); a larger product stays in TypeScript. */
const MAX_SCRATCH_BYTES = 2 ** 29;
/** Floats of memory past the tensor arena's last block, which a kernel reading past a tensor's end may touch. */
const ARENA_SLACK_FLOATS = 1024;
/** The scratch a heap with a tensor arena starts with (bytes); a larger product moves the heap to a memory with twice as much. */
const FIRST_SCRATCH_BYTES = 2 ** 24;
/**
 * The least product (multiply-adds) split across threads: below it the hand-off (a few
 * microseconds, more when a worker must be woken) costs more than it saves.
 */
const MIN_PARALLEL_MACS = 1 << 20;
/** The least im2col (values written) split across threads. */
const MIN_PARALLEL_COLUMNS = 1 << 16;
/** The least element-wise op (floats) on tensors in the arena that is split across threads. */
const MIN_PARALLEL_FLOATS = 1 << 16;
/**
 * An optimizer's update takes about eight times an element-wise pass's time per float (float64
 * arithmetic over three to five streams: MNIST's 401,408 dense weights, 1.35 ms a step): it is
 * split across threads from an eighth of {@link MIN_PARALLEL_FLOATS}.
 */
const UPDATE_COST = 8;
/**
 * A Winograd filter transform (U = G g Gᵀ, or dW = Gᵀ dU G) takes about six times an element-wise
 * pass's time per value of U (135 µs for MNIST's 64 × 32 filters, whose U a fill writes in 23 µs):
 * it is split across threads as a pass over eight times U's floats would be.
 */
const FILTER_COST = 8;
/** An activation's polynomials take about four times an element-wise pass's time per value: split as a pass over four times the floats. */
const ACTIVATE_COST = 4;
/** The least element-wise op (floats) run in WebAssembly: below it the calls cost more than they save. */
export const WASM_POINTWISE_MIN_FLOATS = 4096;
/** Floats of each operand that an element-wise op copies into the heap at a time: 64 KiB, so the chunk stays in the L1/L2 caches. */
const POINTWISE_CHUNK = 16_384;

/** An element-wise kernel of `runtime/wasm/pointwise-kernel.ts`. */
export type PointwiseOp = keyof typeof POINTWISE_KERNELS;
/** An activation that {@link ProductHeap.activate} runs. */
export type HeapActivation = "tanh" | "sigmoid" | "silu" | "gelu";
/** A per-plane affine kernel of `runtime/wasm/pointwise-kernel.ts`. */
export type PlaneOp = keyof typeof PLANE_KERNELS;
/** A per-plane sum of `runtime/wasm/pointwise-kernel.ts`. */
export type SumOp = keyof typeof SUM_KERNELS;

/** Where one product's operands are in the heap, in floats. */
export interface ProductLayout {
  m: number;
  n: number;
  k: number;
  /** `m` rounded up to a multiple of `MR`. */
  paddedRows: number;
  /** Row stride of op(B) and C, in floats. */
  ld: number;
  a: number;
  b: number;
  c: number;
  bias: number;
  /** Floats after the bias that the caller asked for (an image for im2col, its table). */
  extra: number;
}

/** `im2col` and `col2im`: `(x, channels, height, width, kh, kw, sh, dh, oh, ow, top, table, col, ld)`, bytes (see `im2col-kernel.ts`). */
type WindowKernel = (...args: number[]) => void;

/**
 * A WebAssembly memory with the GEMM micro-kernel instantiated over it. Where the host has shared
 * memory (Node; a cross-origin isolated page) the memory is shared, with the worker threads when
 * there are several (`product-threads.ts`), and holds the products' scratch at the bottom, where
 * nothing outlives a product, and above it the tensor arena (`tensor-arena.ts`), whose tensors
 * the element-wise ops run on where they are. The arena grows the memory in place (a shared
 * memory's views never detach); a product that needs more scratch than there is below the arena
 * moves the heap to a new memory with twice as much (a new instance, new workers, a new arena:
 * the old arena's tensors stay valid, as tensors the ops copy in and out). Elsewhere the memory is
 * a plain one with no arena, which grows as the products need.
 */
export class ProductHeap {
  private memory: WebAssembly.Memory;
  private gemmTile: GemmTile;
  private im2colKernel!: WindowKernel;
  private transposeKernel!: (src: number, srcStride: number, dst: number, dstStride: number, rows: number, columns: number) => void;
  private zeroKernel!: (dst: number, bytes: number) => void;
  private gemmNt!: (a: number, lda: number, b: number, ldb: number, c: number, ldc: number, m: number, n: number, k: number, accumulate: number) => void;
  private col2imKernel!: WindowKernel;
  private copyRowsKernel!: (src: number, srcStride: number, dst: number, dstStride: number, rows: number, floats: number) => void;
  private pointwiseKernels!: Record<PointwiseOp, PointwiseKernel>;
  private planeKernels!: Record<PlaneOp, PointwiseKernel>;
  private sumKernels!: Record<SumOp, PointwiseKernel>;
  private sgdKernel!: PointwiseKernel;
  private adamKernel!: PointwiseKernel;
  /** The 2×2 pools' kernels: the max pool's return 1 at a NaN window, the average pool's nothing. */
  private pairKernels!: Record<keyof typeof PAIR_POOL_KERNELS, (...args: number[]) => number | undefined>;
  private winogradKernels!: Record<keyof typeof PLANE_WINOGRAD_KERNELS, WindowKernel>;
  private workers: ProductWorkers | undefined;
  /** The instance's exports, for the element-wise kernels {@link inPlace} runs by name. */
  private exports!: Record<string, unknown>;
  /** The tensors that live in the memory, above the scratch; undefined where the memory is not shared. */
  arena: TensorArena | undefined;
  /** With an arena, the bytes of scratch below it. */
  private scratchBytes = FIRST_SCRATCH_BYTES;
  /** The memory as floats; replaced when the memory grows. */
  floats: Float32Array;
  /** The memory as i32 words (im2col's tables); replaced with `floats`. */
  private words: Int32Array;

  /** `module` imports a shared memory when `shared` (see {@link productModule}); `threads` > 1 needs one. */
  constructor(
    private readonly module: WebAssembly.Module,
    private readonly threadCount = 1,
    private readonly shared = threadCount > 1,
  ) {
    this.memory = this.newMemory(shared ? FIRST_SCRATCH_BYTES / PAGE_BYTES + 1 : 16);
    this.arena = shared ? this.newArena() : undefined;
    this.gemmTile = this.instantiate();
    this.floats = new Float32Array(this.memory.buffer);
    this.words = new Int32Array(this.memory.buffer);
  }

  /** Threads a large product runs on, the caller's included. */
  get threads(): number {
    return this.workers?.threads ?? 1;
  }

  /** Chunks of products the workers (not the caller) have run. */
  get workerChunks(): number {
    return this.workers?.workerChunks ?? 0;
  }

  /** Stops the workers, if any. */
  close(): void {
    this.workers?.close();
    this.workers = undefined;
  }

  private newMemory(pages: number): WebAssembly.Memory {
    return this.shared ? new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true }) : new WebAssembly.Memory({ initial: pages });
  }

  /** An arena above the scratch of the memory, which it grows in place as it fills. */
  private newArena(): TensorArena {
    const memory = this.memory;
    // A kernel may read a few vectors past a tensor's end: the memory reaches a little beyond the last block.
    return new TensorArena(
      memory,
      this.scratchBytes / 4,
      MAX_HEAP_BYTES / 4 - ARENA_SLACK_FLOATS,
      (floats) => {
        const need = (floats + ARENA_SLACK_FLOATS) * 4;
        const have = memory.buffer.byteLength;
        if (need > have) memory.grow(Math.ceil((need - have) / PAGE_BYTES));
      },
      (at, bytes) => this.zeroKernel(at, bytes),
    );
  }

  private instantiate(): GemmTile {
    const exports = new WebAssembly.Instance(this.module, { env: { memory: this.memory } }).exports as Record<string, unknown>;
    this.exports = exports;
    const gemmTile = exports[GEMM_KERNEL] as GemmTile;
    this.im2colKernel = exports[IM2COL_KERNEL] as WindowKernel;
    this.transposeKernel = exports[TRANSPOSE_KERNEL] as typeof this.transposeKernel;
    this.gemmNt = exports[GEMM_NT_KERNEL] as typeof this.gemmNt;
    this.zeroKernel = exports[ZERO_KERNEL] as typeof this.zeroKernel;
    this.col2imKernel = exports[COL2IM_KERNEL] as WindowKernel;
    this.copyRowsKernel = exports[COPY_ROWS_KERNEL] as typeof this.copyRowsKernel;
    this.pointwiseKernels = exportsNamed<PointwiseKernel, PointwiseOp>(exports, POINTWISE_KERNELS);
    this.planeKernels = exportsNamed<PointwiseKernel, PlaneOp>(exports, PLANE_KERNELS);
    this.sumKernels = exportsNamed<PointwiseKernel, SumOp>(exports, SUM_KERNELS);
    this.sgdKernel = exports[SGD_KERNEL] as PointwiseKernel;
    this.adamKernel = exports[ADAM_KERNEL] as PointwiseKernel;
    this.pairKernels = exportsNamed<(...args: number[]) => number | undefined, keyof typeof PAIR_POOL_KERNELS>(exports, PAIR_POOL_KERNELS);
    this.winogradKernels = exportsNamed<WindowKernel, keyof typeof PLANE_WINOGRAD_KERNELS>(exports, PLANE_WINOGRAD_KERNELS);
    if (this.threadCount > 1) {
      this.workers?.close();
      this.workers = new ProductWorkers(this.threadCount, this.module, this.memory, exports);
    }
    return gemmTile;
  }

  /**
   * Reserves (growing the memory when needed) the operands of a product `m × k` by `k × n`, and
   * `extra` floats after them for the caller (at `extra`).
   */
  layout(m: number, n: number, k: number, extra = 0): ProductLayout {
    const l = layoutOf(m, n, k);
    const bytes = (l.extra + extra) * 4;
    if (bytes > MAX_SCRATCH_BYTES) throw new Error(`ProductHeap: a product wants ${bytes} bytes of scratch, more than ${MAX_SCRATCH_BYTES}`);
    if (this.arena !== undefined) {
      if (bytes > this.scratchBytes) {
        // The arena cannot move: a new memory with at least twice the scratch, a new arena and new workers.
        this.scratchBytes = Math.min(MAX_SCRATCH_BYTES, Math.max(2 * this.scratchBytes, Math.ceil(bytes / PAGE_BYTES) * PAGE_BYTES));
        this.memory = this.newMemory(this.scratchBytes / PAGE_BYTES + 1);
        this.arena = this.newArena();
        this.gemmTile = this.instantiate();
        this.floats = new Float32Array(this.memory.buffer);
        this.words = new Int32Array(this.memory.buffer);
      }
    } else if (bytes > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((bytes - this.memory.buffer.byteLength) / PAGE_BYTES));
      this.floats = new Float32Array(this.memory.buffer);
      this.words = new Int32Array(this.memory.buffer);
    }
    return l;
  }

  /**
   * Packs op(A) (`m × k`; stored `k × m` when `trans`) into the layout's A: block `q` holds, for
   * each reduction step p, rows `q·MR … q·MR + MR − 1` of column p side by side.
   */
  packA(l: ProductLayout, a: Float32Array, offset: number, lda: number, trans: boolean, scratch?: number): void {
    if (scratch !== undefined && this.packAInHeap(l, a, offset, lda, trans, scratch)) return;
    const { m, k } = l;
    const heap = this.floats;
    for (let block = 0; block < l.paddedRows; block += MR) {
      const base = l.a + block * k;
      const rows = Math.min(MR, m - block);
      if (trans) {
        for (let p = 0; p < k; p++) {
          const from = offset + p * lda + block;
          const to = base + p * MR;
          for (let r = 0; r < rows; r++) heap[to + r] = a[from + r];
          for (let r = rows; r < MR; r++) heap[to + r] = 0;
        }
      } else if (rows === 4 && MR === 4) {
        // Four rows read side by side, one quad written per step: a single pass over the block.
        const r0 = offset + block * lda;
        const [r1, r2, r3] = [r0 + lda, r0 + 2 * lda, r0 + 3 * lda];
        for (let p = 0, to = base; p < k; p++, to += 4) {
          heap[to] = a[r0 + p];
          heap[to + 1] = a[r1 + p];
          heap[to + 2] = a[r2 + p];
          heap[to + 3] = a[r3 + p];
        }
      } else {
        for (let r = 0; r < MR; r++) {
          if (r >= rows) {
            for (let p = 0; p < k; p++) heap[base + p * MR + r] = 0;
            continue;
          }
          const from = offset + (block + r) * lda;
          for (let p = 0; p < k; p++) heap[base + p * MR + r] = a[from + p];
        }
      }
    }
  }

  /**
   * {@link packA} through the heap: A's rows copied in compactly at float `scratch` (which has
   * {@link packScratchFloats} floats), then moved into the row blocks by the WebAssembly
   * `transpose` (4 rows at a time; k a multiple of 4) or, for a stored Aᵀ, `copy_rows` (a block's
   * 4 values per step). False (nothing written) where k is not a multiple of 4 for the former.
   */
  private packAInHeap(l: ProductLayout, a: Float32Array, offset: number, lda: number, trans: boolean, scratch: number): boolean {
    const { m, k, paddedRows } = l;
    if (!trans) {
      if (k % 4 !== 0) return false;
      this.copyIn(a, offset, lda, m, k, scratch);
      this.zero(scratch + m * k, scratch + paddedRows * k);
      this.transposes(paddedRows / MR, [scratch * 4, MR * k * 4, k * 4], [l.a * 4, MR * k * 4, MR * 4], MR, k);
      return true;
    }
    this.copyIn(a, offset, lda, k, m, scratch);
    for (let block = 0; block < paddedRows; block += MR) {
      const rows = Math.min(MR, m - block);
      if (rows < MR) this.zero(l.a + block * k, l.a + (block + MR) * k);
      this.copyRows((scratch + block) * 4, m * 4, (l.a + block * k) * 4, MR * 4, k, rows);
    }
    return true;
  }

  /** `rows` rows of `columns` floats of `src` (row stride `ld`, from `offset`) into the heap at float `at`, compactly. */
  private copyIn(src: Float32Array, offset: number, ld: number, rows: number, columns: number, at: number): void {
    const heap = this.floats;
    if (ld === columns) {
      heap.set(src.subarray(offset, offset + rows * columns), at);
      return;
    }
    for (let r = 0; r < rows; r++) heap.set(src.subarray(offset + r * ld, offset + r * ld + columns), at + r * columns);
  }

  /**
   * Copies op(B) (`k × n`; stored `n × k` when `trans`) into the layout's B, row stride `ld`. With
   * `scratch` ({@link packScratchFloats} free floats), a stored Bᵀ whose n and k are multiples of 4
   * goes through the heap: copied in compactly and transposed by the WebAssembly kernel.
   */
  packB(l: ProductLayout, b: Float32Array, offset: number, ldb: number, trans: boolean, scratch?: number): void {
    const { n, k, ld } = l;
    if (trans && scratch !== undefined && n % 4 === 0 && k % 4 === 0) {
      this.copyIn(b, offset, ldb, n, k, scratch);
      // Four stored rows at a time (four columns of B), so that the threads can share the rows.
      this.transposes(n / 4, [scratch * 4, 4 * k * 4, k * 4], [l.b * 4, 16, ld * 4], 4, k);
      return;
    }
    const heap = this.floats;
    if (!trans) {
      for (let p = 0; p < k; p++) heap.set(b.subarray(offset + p * ldb, offset + p * ldb + n), l.b + p * ld);
      return;
    }
    // Eight stored rows at a time, so the writes go to eight consecutive floats of each row.
    for (let j0 = 0; j0 < n; j0 += 8) {
      const j1 = Math.min(n, j0 + 8);
      for (let p = 0; p < k; p++) {
        const to = l.b + p * ld;
        for (let j = j0; j < j1; j++) heap[to + j] = b[offset + j * ldb + p];
      }
    }
  }

  /** Writes im2col's table of `win`'s columns over an input `width` wide at float `table` (`1 + 3·kw` words). */
  windowTable(table: number, win: Window2d, width: number): void {
    const words = this.words;
    for (let kx = 0; kx < win.kw; kx++) {
      const shift = kx * win.dw - win.pads.left;
      const start = Math.min(win.ow, Math.max(0, Math.ceil(-shift / win.sw)));
      const end = Math.max(start, Math.min(win.ow, Math.floor((width - 1 - shift) / win.sw) + 1));
      words[table + 3 * kx] = shift * 4;
      words[table + 3 * kx + 1] = start;
      words[table + 3 * kx + 2] = end;
    }
    words[table + 3 * win.kw] = win.sw * 4;
  }

  /**
   * im2col of `images` images in the heap, image i's `channels` planes of `height × width` floats
   * from float `x + i·imageFloats`, row r of image i's columns at byte `col + i·columnBytes + r·ld`;
   * `table` is the float offset of `1 + 3·kw` scratch words for the window's columns. The same
   * values as `im2col` (`im2col.ts`), written by the WebAssembly kernel, the images split across
   * the threads when there are several (unless `split` is false).
   */
  im2col(images: number, x: number, channels: number, height: number, width: number, win: Window2d, table: number, col: number, ld: number, columnBytes: number, split = true): void {
    this.windowTable(table, win, width);
    const imageFloats = channels * height * width;
    const workers = this.workers;
    if (split && workers !== undefined && images > 1 && images * channels * win.kh * win.kw * win.oh * win.ow >= MIN_PARALLEL_COLUMNS) {
      const args = [channels, height, width, win.kh, win.kw, win.sh, win.dh, win.oh, win.ow, win.pads.top, table * 4, ld];
      workers.im2col(images, x * 4, imageFloats * 4, args, col, columnBytes);
      return;
    }
    this.eachImage(this.im2colKernel, images, x, channels, height, width, win, table, col, ld, columnBytes);
  }

  /** `kernel` (im2col or col2im) on each of `images` images and its columns, as {@link im2col} lays them out. */
  private eachImage(kernel: WindowKernel, images: number, x: number, channels: number, height: number, width: number, win: Window2d, table: number, col: number, ld: number, columnBytes: number): void {
    const imageFloats = channels * height * width;
    for (let i = 0; i < images; i++) {
      kernel(
        (x + i * imageFloats) * 4, channels, height, width, win.kh, win.kw, win.sh, win.dh, win.oh, win.ow, win.pads.top,
        table * 4, col + i * columnBytes, ld,
      );
    }
  }

  /**
   * `dst[c][r] = src[r][c]` for a `rows × columns` matrix in the heap (both multiples of 4), `src`
   * and `dst` byte addresses, strides in bytes; by the WebAssembly kernel, 4 × 4 blocks at a time.
   */
  transpose(src: number, srcStride: number, dst: number, dstStride: number, rows: number, columns: number): void {
    this.transposeKernel(src, srcStride, dst, dstStride, rows, columns);
  }

  /**
   * `count` {@link transpose}s of `rows × columns` floats, the i-th from byte `src + i·srcStep`
   * (row stride `srcStride` bytes) to byte `dst + i·dstStep` (row stride `dstStride`): across the
   * threads when there are several and the floats are many, else one after the other here. The
   * same values either way.
   */
  transposes(count: number, [src, srcStep, srcStride]: readonly number[], [dst, dstStep, dstStride]: readonly number[], rows: number, columns: number): void {
    if (this.workers !== undefined && count > 1 && count * rows * columns >= MIN_PARALLEL_FLOATS) {
      this.workers.transposes(count, [src, srcStep, srcStride], [dst, dstStep, dstStride], rows, columns);
      return;
    }
    for (let i = 0; i < count; i++) this.transposeKernel(src + i * srcStep, srcStride, dst + i * dstStep, dstStride, rows, columns);
  }

  /**
   * Runs a conv's chunks of images across the threads, each chunk whole on one thread
   * (`ProductWorkers.conv`); false (nothing run) on one thread.
   */
  convChunks(chunks: number, conv: ConvChunks, alpha: number): boolean {
    if (this.workers === undefined) return false;
    this.workers.conv(chunks, conv, alpha);
    return true;
  }

  /**
   * col2im of `images` images' column matrices (laid out as {@link im2col} writes them) onto the
   * images at float `x` (zeroed by the caller); `table` holds {@link windowTable}'s words for `win`.
   */
  col2im(images: number, x: number, channels: number, height: number, width: number, win: Window2d, table: number, col: number, ld: number, columnBytes: number): void {
    this.eachImage(this.col2imKernel, images, x, channels, height, width, win, table, col, ld, columnBytes);
  }

  /** `rows` rows of `floats` floats from byte `src` to byte `dst`, strides in bytes (the WebAssembly kernel). */
  copyRows(src: number, srcStride: number, dst: number, dstStride: number, rows: number, floats: number): void {
    this.copyRowsKernel(src, srcStride, dst, dstStride, rows, floats);
  }

  /**
   * Winograd's input transform of `images` images of zero-padded planes at byte `xp` into the
   * matrices V_ξ at byte `v`: F(2×2, 3×3)'s 16 (`tile` 2, `wino_planes_in`) or F(4×4, 3×3)'s 36
   * (`tile` 4, `wino4_planes_in`; see `runtime/wasm/plane-winograd-kernel.ts`).
   */
  winogradInput(tile: 2 | 4, xp: number, channels: number, images: number, th: number, tw: number, rowBytes: number, planeBytes: number, v: number, vXi: number, ld: number): void {
    this.winogradKernels[tile === 2 ? "input" : "input4"](xp, channels, images, th, tw, rowBytes, planeBytes, v, vXi, ld);
  }

  /** Winograd's output transform of the products at byte `m` into NCHW planes at byte `y` (`wino_planes_out`, `wino4_planes_out`). */
  winogradOutput(tile: 2 | 4, m: number, mXi: number, ld: number, channels: number, images: number, th: number, tw: number, oh: number, ow: number, y: number, bias: number, relu: number): void {
    this.winogradKernels[tile === 2 ? "output" : "output4"](m, mXi, ld, channels, images, th, tw, oh, ow, y, bias, relu);
  }

  /**
   * F(2×2, 3×3)'s transformed weights U of the weights `[m, c, 3, 3]` at byte `w`, packed as the
   * micro-kernel's A operands at byte `dst`, `xiStride` bytes apart (`wino_planes_u`); a large
   * one split by blocks of MR rows across the threads, each block's values the same wherever it runs.
   */
  winogradWeights(w: number, m: number, c: number, dst: number, xiStride: number): void {
    // m is a multiple of MR: block b's weights at w + b·MR·c·36 bytes, its U at dst + b·MR·c·4 in each ξ.
    const args = [{ at: w, stride: MR * c * 36 }, { per: MR }, { at: c, stride: 0 }, { at: dst, stride: MR * c * 4 }, { at: xiStride, stride: 0 }];
    this.inPlace(PLANE_WINOGRAD_KERNELS.weight, m / MR, FILTER_COST * 16 * m * c, args);
  }

  /** The weight gradient `[m, c, 3, 3]` at byte `dw` from F(2×2, 3×3)'s dU (`wino_planes_dw`; strides in bytes). */
  winogradWeightGradient(dU: number, xiStride: number, ld: number, m: number, c: number, dw: number): void {
    // By output channels.
    const args = [{ at: dU, stride: ld }, { at: xiStride, stride: 0 }, { at: ld, stride: 0 }, { per: 1 }, { at: c, stride: 0 }, { at: dw, stride: c * 36 }];
    this.inPlace(PLANE_WINOGRAD_KERNELS.weightGradient, m, FILTER_COST * 16 * m * c, args);
  }

  /**
   * F(4×4, 3×3)'s transformed weights U of the weights `[4·blocks, c, 3, 3]` at byte `w`, packed
   * as the micro-kernel's A operands at byte `dst`, `xiStride` bytes apart (`wino4_planes_u`).
   */
  winogradWeights4(w: number, c: number, blocks: number, dst: number, xiStride: number): void {
    this.winogradKernels.weight4(w, c, blocks, dst, xiStride);
  }

  /** The weight gradient's transform of dY's 2×2 tiles at byte `dy` into the 16 matrices dM_ξ at byte `dm` (`wino_planes_grad`). */
  winogradGradient(dy: number, channels: number, images: number, th: number, tw: number, dm: number, dmXi: number, ld: number): void {
    this.winogradKernels.gradient(dy, channels, images, th, tw, dm, dmXi, ld);
  }

  /** A Winograd conv in chunks of images across the threads (`ProductWorkers.winograd`); false (nothing run) on one thread. */
  winogradChunks(chunks: number, words: WinogradChunks): boolean {
    if (this.workers === undefined) return false;
    this.workers.winograd(chunks, words);
    return true;
  }

  /**
   * A chunk of a Winograd weight gradient on this thread: for each ξ, dU_ξ (+)= dM_ξ · V_ξᵀ by
   * `gemm_nt`, which reads both where the transforms wrote them (see {@link WinogradGradientChunk}).
   * Several threads take whole lanes of chunks instead ({@link winogradGradientLanes}).
   */
  winogradGradientChunk({ v, channels, dm, m, ld, c, ldU, total, accumulate }: WinogradGradientChunk): void {
    for (let xi = 0; xi < 16; xi++) {
      this.gemmNt(dm + xi * m * ld * 4, ld * 4, v + xi * channels * ld * 4, ld * 4, c + xi * m * ldU * 4, ldU * 4, m, channels, total, accumulate);
    }
  }

  /** A Winograd weight gradient's lanes across the threads (`ProductWorkers.winogradGradientLanes`); false (nothing run) on one thread. */
  winogradGradientLanes(words: WinogradGradientLanes): boolean {
    if (this.workers === undefined) return false;
    this.workers.winogradGradientLanes(words);
    return true;
  }

  /** A strided conv's input gradient in chunks of images across the threads (`ProductWorkers.inputGradient`); false on one thread. */
  inputGradientChunks(chunks: number, words: InputGradientChunks): boolean {
    if (this.workers === undefined) return false;
    this.workers.inputGradient(chunks, words);
    return true;
  }

  /** A weight gradient in groups of input channels across the threads (`ProductWorkers.weightGradient`); needs workers. */
  weightGradient(groups: number, words: WeightGradientChunks): void {
    if (this.workers === undefined) throw new Error("ProductHeap.weightGradient: no worker threads");
    this.workers.weightGradient(groups, words);
  }

  /**
   * `out` = the element-wise `op` of `inputs` (all of `out`'s length; `out` may be one of them).
   * Where every operand is a tensor of the arena, where they are (across the threads on several);
   * otherwise a chunk at a time copied into the heap's first floats, run there and copied out, on
   * this thread. Uses the heap as scratch, like a product.
   */
  pointwise(op: PointwiseOp, inputs: readonly Float32Array[], out: Float32Array): void {
    const resident = this.residentAll([...inputs, out]);
    if (resident !== undefined) {
      // Where the tensors are: their blocks are whole vectors, so the last vector stays in its own.
      this.inPlace(POINTWISE_KERNELS[op], Math.ceil(out.length / 4), out.length, [...resident.map((at) => ({ at, stride: 16 })), { per: 4 }]);
      return;
    }
    const kernel = this.pointwiseKernels[op];
    this.inChunks([...inputs, out], inputs.map((_, k) => k), [inputs.length], 4, (pointers, count) => kernel(...pointers, count));
  }

  /**
   * `out` = the activation `kind` of `x` (of `out`'s length; `out` may be `x`): tanh, sigmoid, silu
   * or gelu by the plan's `activate` kernel (`elementwise-kernels.ts`: rational and `exp2`
   * polynomials within 4e-7 of the exact functions, 4e-6 relative in sigmoid's far tail), 10–30×
   * faster than the scalar functions of `Math`. Where both are tensors of the arena, where they are
   * (across the threads on several), else a chunk at a time through the heap.
   */
  activate(kind: HeapActivation, x: Float32Array, out: Float32Array): void {
    const code = ActivationKind[kind];
    const resident = this.residentAll([x, out]);
    if (resident !== undefined) {
      this.inPlace(ACTIVATE_KERNEL, Math.ceil(out.length / 4), ACTIVATE_COST * out.length, [...resident.map((at) => ({ at, stride: 16 })), { per: 1 }, { at: code, stride: 0 }]);
      return;
    }
    const kernel = this.exports[ACTIVATE_KERNEL] as (x: number, out: number, quads: number, kind: number) => void;
    this.inChunks([x, out], [0], [1], 4, ([from, to], count) => kernel(from, to, count / 4, code));
  }

  /**
   * Runs `call` over `operands` (all of one length) a chunk at a time: operand k at the heap's
   * k-th region of {@link POINTWISE_CHUNK} floats, those in `read` copied in first and those in
   * `written` copied back after (an `undefined` operand is neither); an operand that is a tensor
   * of the arena is read and written where it is instead. `call` gets the byte pointers and the
   * chunk's length rounded up to a multiple of `lanes`: the kernel runs whole vectors, whose
   * lanes past the chunk read and write scratch that is not copied back (or, in the arena, the
   * padding of the tensor's block).
   */
  private inChunks(
    operands: readonly (Float32Array | undefined)[],
    read: readonly number[],
    written: readonly number[],
    lanes: number,
    call: (pointers: number[], count: number) => void,
  ): void {
    const heap = this.floats;
    const length = operands[0]!.length;
    const resident = operands.map((operand) => (operand === undefined ? undefined : this.resident(operand)));
    const copied = (k: number): boolean => operands[k] !== undefined && resident[k] === undefined;
    const [reads, writes] = [read.filter(copied), written.filter(copied)];
    const pointers = operands.map((_, k) => k * POINTWISE_CHUNK * 4);
    for (let start = 0; start < length; start += POINTWISE_CHUNK) {
      const end = Math.min(length, start + POINTWISE_CHUNK);
      for (const k of reads) heap.set(operands[k]!.subarray(start, end), k * POINTWISE_CHUNK);
      resident.forEach((at, k) => at !== undefined && (pointers[k] = at + start * 4));
      call(pointers, Math.ceil((end - start) / lanes) * lanes);
      for (const k of writes) operands[k]!.set(heap.subarray(k * POINTWISE_CHUNK, k * POINTWISE_CHUNK + end - start), start);
    }
  }

  /**
   * `out` = the per-plane affine map `op` of `inputs`, planes of `inner` floats, plane p's
   * coefficients `coefficients[j][p mod bins]` (float64; `bins` the channels for batch
   * statistics, every plane for per-sample ones): on tensors of the arena where they are (across
   * the threads on several), others whole planes at a time copied into the heap with their
   * coefficients, run there and copied out, on this thread.
   */
  planewise(op: PlaneOp, inputs: readonly Float32Array[], out: Float32Array, inner: number, coefficients: readonly Float64Array[], bins: number): void {
    const count = PLANE_COEFFICIENTS[op];
    const planes = out.length / inner;
    const resident = this.residentAll([...inputs, out]);
    if (resident !== undefined) {
      // Where the tensors are, with every plane's coefficients in the scratch.
      this.layout(0, 0, 0, 2 * count * planes);
      new Float64Array(this.memory.buffer, 0, count * planes).set(planeTable(coefficients, bins, 0, planes));
      this.inPlace(PLANE_KERNELS[op], planes, out.length, [...resident.map((at) => ({ at, stride: 4 * inner })), { per: 1 }, { at: inner, stride: 0 }, { at: 0, stride: 8 * count }]);
      return;
    }
    const per = Math.max(1, Math.floor(POINTWISE_CHUNK / inner));
    // Each operand's region a whole number of vectors, so the float64 table after them is aligned.
    const region = Math.ceil((per * inner) / 4) * 4;
    const tableAt = (inputs.length + 1) * region;
    this.layout(0, 0, 0, tableAt + 2 * count * per);
    const heap = this.floats;
    const table = new Float64Array(this.memory.buffer, tableAt * 4, count * per);
    const pointers = inputs.map((_, k) => k * region * 4);
    const result = inputs.length * region;
    const kernel = this.planeKernels[op];
    for (let first = 0; first < planes; first += per) {
      const n = Math.min(per, planes - first);
      const start = first * inner;
      const end = start + n * inner;
      inputs.forEach((input, k) => heap.set(input.subarray(start, end), k * region));
      table.set(planeTable(coefficients, bins, first, n));
      kernel(...pointers, result * 4, n, inner, tableAt * 4);
      out.set(heap.subarray(result, result + end - start), start);
    }
  }

  /**
   * The per-plane sums `op` of `inputs`, planes of `inner` floats, into `out` (`out[count·p + j]`
   * the j-th sum of plane p), with plane p's parameter `parameters[p]` (`squares`' centre,
   * `moments`' origin), two planes per float64x2, each summed in its order: an even number of
   * planes of tensors in the arena where they are (across the threads on several), others whole
   * planes at a time copied into the heap, where an odd chunk's last plane is summed twice,
   * beside a copy of itself.
   */
  planeSums(op: SumOp, inputs: readonly Float32Array[], inner: number, parameters: Float64Array | undefined, out: Float64Array): void {
    const count = SUM_COUNTS[op];
    const planes = inputs[0].length / inner;
    const resident = planes % 2 === 0 ? this.residentAll(inputs) : undefined;
    if (resident !== undefined) {
      this.residentPlaneSums(op, resident, planes, inner, parameters, out);
      return;
    }
    const per = Math.max(2, 2 * Math.floor(POINTWISE_CHUNK / (2 * inner)));
    // Room for one plane more (the copy of an odd chunk's last), a whole number of vectors.
    const region = Math.ceil(((per + 1) * inner) / 4) * 4;
    const tableAt = inputs.length * region;
    const sumsAt = tableAt + 2 * (per + 1);
    this.layout(0, 0, 0, sumsAt + 2 * count * (per + 1));
    const heap = this.floats;
    const table = new Float64Array(this.memory.buffer, tableAt * 4, per + 1);
    const sums = new Float64Array(this.memory.buffer, sumsAt * 4, count * (per + 1));
    const kernel = this.sumKernels[op];
    const pointers = inputs.map((_, k) => k * region * 4);
    for (let first = 0; first < planes; first += per) {
      const n = Math.min(per, planes - first);
      const start = first * inner;
      inputs.forEach((input, k) => {
        heap.set(input.subarray(start, start + n * inner), k * region);
        if (n % 2 === 1) heap.copyWithin(k * region + n * inner, k * region + (n - 1) * inner, k * region + n * inner);
      });
      if (parameters !== undefined) {
        table.set(parameters.subarray(first, first + n));
        table[n] = parameters[first + n - 1];
      }
      const pairs = (n + 1) >> 1;
      if (parameters === undefined) kernel(...pointers, pairs, inner, sumsAt * 4);
      else kernel(...pointers, pairs, inner, tableAt * 4, sumsAt * 4);
      // Pair q's sum j of lane l (plane 2q + l) is at 2·(count·q + j) + l.
      for (let p = 0; p < n; p++) {
        const base = 2 * count * (p >> 1) + (p & 1);
        for (let j = 0; j < count; j++) out[(first + p) * count + j] = sums[base + 2 * j];
      }
    }
  }

  /**
   * {@link planeSums} of an even number of `planes` of tensors in the arena (at byte `pointers`),
   * where they are, with the planes' parameters and their sums in the scratch.
   */
  private residentPlaneSums(op: SumOp, pointers: readonly number[], planes: number, inner: number, parameters: Float64Array | undefined, out: Float64Array): void {
    const count = SUM_COUNTS[op];
    const pairs = planes / 2;
    // The parameters (a float64 each), then the sums (per pair, a float64 pair for each of `count`).
    const sumsAt = parameters === undefined ? 0 : 8 * planes;
    this.layout(0, 0, 0, sumsAt / 4 + 4 * count * pairs);
    if (parameters !== undefined) new Float64Array(this.memory.buffer, 0, planes).set(parameters.subarray(0, planes));
    const args: ElementwiseArgument[] = [...pointers.map((at) => ({ at, stride: 8 * inner })), { per: 1 }, { at: inner, stride: 0 }];
    if (parameters !== undefined) args.push({ at: 0, stride: 16 });
    args.push({ at: sumsAt, stride: 16 * count });
    this.inPlace(SUM_KERNELS[op], pairs, planes * inner, args);
    const sums = new Float64Array(this.memory.buffer, sumsAt, 2 * count * pairs);
    // Pair q's sum j of lane l (plane 2q + l) is at 2·(count·q + j) + l.
    for (let p = 0; p < planes; p++) {
      const base = 2 * count * (p >> 1) + (p & 1);
      for (let j = 0; j < count; j++) out[p * count + j] = sums[base + 2 * j];
    }
  }

  /** The byte pointer of `view` where it is a tensor of this heap's arena (which a kernel may read and write where it is), else undefined. */
  resident(view: Float32Array): number | undefined {
    return this.arena?.holds(view) ? view.byteOffset : undefined;
  }

  /** Zero-fills floats `[start, end)` of the heap (`memory.fill`; a view's `fill` on shared memory is about five times slower). */
  zero(start: number, end: number): void {
    if (end > start) this.zeroKernel(start * 4, (end - start) * 4);
  }

  /**
   * The byte address of floats `[start, end)` of `view` for a kernel to read: where they are when
   * `view` is a tensor of this heap's arena, else copied into the heap at float `scratch`.
   */
  readable(view: Float32Array, start: number, end: number, scratch: number): number {
    const at = this.resident(view);
    if (at !== undefined) return at + start * 4;
    this.floats.set(view.subarray(start, end), scratch);
    return scratch * 4;
  }

  /**
   * Adds up partial sums in place: the `rows` × `columns` matrix (row stride `ld`) at float
   * `lanes[0]` += each of the others, in their order, in float32 as the kernel sums.
   */
  addLanes(lanes: readonly number[], rows: number, columns: number, ld: number): void {
    const to = lanes[0];
    // Rows of whole vectors: the columns past `columns` are padding nobody reads.
    const [add, width] = [this.pointwiseKernels.add, Math.ceil(columns / 4) * 4];
    for (const from of lanes.slice(1)) {
      if (width === ld) add(from * 4, to * 4, to * 4, rows * ld);
      else for (let r = 0; r < rows; r++) add((from + r * ld) * 4, (to + r * ld) * 4, (to + r * ld) * 4, width);
    }
  }

  /** The byte pointers of `views` where every one is a tensor of this heap's arena, else undefined. */
  private residentAll(views: readonly Float32Array[]): number[] | undefined {
    const arena = this.arena;
    if (arena === undefined || !views.every((view) => arena.holds(view))) return undefined;
    return views.map((view) => view.byteOffset);
  }

  /**
   * Runs the element-wise kernel `name` (an export of the module) over `items` items of tensors in
   * the arena, where they are: split across the threads (`ProductWorkers.elementwise`) where there
   * are several and the op covers at least {@link MIN_PARALLEL_FLOATS} floats, else one call over
   * all of them, with `args` as the split resolves them. False where a call returned nonzero (a
   * max pool's NaN window).
   */
  private inPlace(name: string, items: number, floats: number, args: readonly ElementwiseArgument[]): boolean {
    if (floats >= MIN_PARALLEL_FLOATS && this.workers !== undefined) return this.workers.elementwise(name, items, args) === 0;
    const kernel = this.exports[name] as (...args: number[]) => number | undefined;
    return !kernel(...args.map((arg) => ("per" in arg ? items * arg.per : "number" in arg ? arg.number : arg.at)));
  }

  /**
   * An optimizer's update `kernel` (SGD's or Adam's: pointers, the count, float64 `factors`,
   * `flags`) across the threads, by pairs of weights: `param` (a model's weight, which lives
   * outside the arena) copied into the scratch, `state` (the gradient and the optimizer's buffers,
   * tensors of the arena; `undefined` for a buffer the update does without) where they are; then
   * the param copied back. False (nothing run) on one thread, for a param too small to split, or
   * where a state tensor is not in the arena.
   */
  private updateOnThreads(kernel: string, param: Float32Array, state: readonly (Float32Array | undefined)[], factors: readonly number[], flags: number): boolean {
    if (this.workers === undefined || UPDATE_COST * param.length < MIN_PARALLEL_FLOATS) return false;
    // Whole pairs: the kernels' last may run one float past the param's end.
    this.layout(0, 0, 0, param.length + 4);
    const pointers = state.map((tensor) => (tensor === undefined ? 0 : this.resident(tensor)));
    if (pointers.some((at) => at === undefined)) return false;
    this.floats.set(param);
    const args: ElementwiseArgument[] = [...[0, ...(pointers as number[])].map((at) => ({ at, stride: 8 })), { per: 2 }, ...factors.map((number) => ({ number })), { at: flags, stride: 0 }];
    this.workers.elementwise(kernel, Math.ceil(param.length / 2), args);
    param.set(this.floats.subarray(0, param.length));
    return true;
  }

  /**
   * SGD's update of `param` (and `buffer`, the momentum buffer, when given) from `grad`, in
   * place: the float32 factors as `optimizers.ts` rounds them, `first` on the parameter's first
   * update. A chunk at a time copied into the heap, run there and copied back, on this thread.
   */
  sgd(param: Float32Array, grad: Float32Array, buffer: Float32Array | undefined, factors: { decay: number; momentum: number; keep: number; rate: number; first: boolean; nesterov: boolean }): void {
    const { decay, momentum, keep, rate } = factors;
    const flags = (buffer !== undefined ? SgdFlags.buffer : 0) | (factors.first ? SgdFlags.first : 0) | (factors.nesterov ? SgdFlags.nesterov : 0) | (decay !== 0 ? SgdFlags.decay : 0);
    if (this.updateOnThreads(SGD_KERNEL, param, [grad, buffer], [decay, momentum, keep, rate], flags)) return;
    this.inChunks([param, grad, buffer], [0, 1, 2], [0, 2], 2, (pointers, count) => this.sgdKernel(...pointers, count, decay, momentum, keep, rate, flags));
  }

  /**
   * Adam's (or, `decoupled`, AdamW's) update of `param` and its moments `m` and `v` from `grad`,
   * in place, with the float32 factors `optimizers.ts` computes: a chunk at a time copied into
   * the heap, run there and copied back, on this thread.
   */
  adam(
    param: Float32Array,
    grad: Float32Array,
    m: Float32Array,
    v: Float32Array,
    factors: { decay: number; b1: number; b2: number; c1: number; c2: number; correction2: number; eps: number; stepSize: number; decoupled: boolean },
  ): void {
    const { decay, b1, b2, c1, c2, correction2, eps, stepSize } = factors;
    const flags = factors.decoupled ? AdamFlags.decoupled : decay !== 0 ? AdamFlags.decay : 0;
    if (this.updateOnThreads(ADAM_KERNEL, param, [grad, m, v], [decay, b1, b2, c1, c2, correction2, eps, stepSize], flags)) return;
    this.inChunks([param, grad, m, v], [0, 1, 2, 3], [0, 2, 3], 2, (pointers, count) =>
      this.adamKernel(...pointers, count, decay, b1, b2, c1, c2, correction2, eps, stepSize, flags),
    );
  }

  /**
   * The 2×2 stride-2 max pool of `x` (planes of `h` × `w`, both even) into `out`, or with `dy`
   * its backward into `out` as dx (`runtime/wasm/pair-pool-kernel.ts`). Returns false, with the
   * output unfinished, where a window's sum is NaN: the caller's scan must then run.
   */
  pairPool(x: Float32Array, h: number, w: number, out: Float32Array, dy?: Float32Array): boolean {
    const input = { data: x, quarter: false, written: false };
    if (dy === undefined) return this.inPlaneChunks("forward", h, w, [input, { data: out, quarter: true, written: true }]);
    return this.inPlaneChunks("backward", h, w, [input, { data: dy, quarter: true, written: false }, { data: out, quarter: false, written: true }]);
  }

  /** The 2×2 stride-2 average pool of `x` (planes of `h` × `w`, both even) into `y`. */
  pairAverage(x: Float32Array, h: number, w: number, y: Float32Array): void {
    this.inPlaneChunks("average", h, w, [{ data: x, quarter: false, written: false }, { data: y, quarter: true, written: true }]);
  }

  /** The average pool's backward: `dx` (planes of `h` × `w`) from `dy` (a quarter of its size). */
  pairAverageBackward(dy: Float32Array, h: number, w: number, dx: Float32Array): void {
    this.inPlaneChunks("averageBackward", h, w, [{ data: dy, quarter: true, written: false }, { data: dx, quarter: false, written: true }]);
  }

  /**
   * Runs a 2×2 kernel (`runtime/wasm/pair-pool-kernel.ts`, `kernel(…operands, pairs, w)`) over the
   * row pairs of planes of `h` × `w`; false where it returned nonzero (a max pool's NaN window).
   * Operands in the arena are read and written where they are, across the threads on several;
   * otherwise each operand, in the kernel's order, has a heap region of its own (a plane each,
   * or a quarter plane for the `quarter` ones), whole planes at a time, those not `written` copied
   * in first and the `written` one copied out after.
   */
  private inPlaneChunks(kernel: keyof typeof PAIR_POOL_KERNELS, h: number, w: number, operands: readonly { data: Float32Array; quarter: boolean; written: boolean }[]): boolean {
    const run = this.pairKernels[kernel];
    const plane = h * w;
    const sizes = operands.map(({ quarter }) => (quarter ? plane / 4 : plane));
    const planes = operands[0].data.length / sizes[0];
    const resident = this.residentAll(operands.map(({ data }) => data));
    if (resident !== undefined) {
      // A row pair of a plane is a row of its quarter.
      const args = [...resident.map((at, k) => ({ at, stride: (operands[k].quarter ? w / 2 : 2 * w) * 4 })), { per: 1 }, { at: w, stride: 0 }];
      return this.inPlace(PAIR_POOL_KERNELS[kernel], (planes * h) / 2, planes * plane, args);
    }
    const per = Math.max(1, Math.floor(POINTWISE_CHUNK / plane));
    const region = Math.ceil((per * plane) / 4) * 4;
    const at: number[] = [];
    let end = 0;
    for (const { quarter } of operands) {
      at.push(end);
      end += quarter ? region / 4 : region;
    }
    this.layout(0, 0, 0, end);
    const heap = this.floats;
    for (let first = 0; first < planes; first += per) {
      const n = Math.min(per, planes - first);
      operands.forEach(({ data, written }, k) => {
        if (!written) heap.set(data.subarray(first * sizes[k], (first + n) * sizes[k]), at[k]);
      });
      if (run(...at.map((a) => a * 4), (n * h) / 2, w)) return false;
      operands.forEach(({ data, written }, k) => {
        if (written) data.set(heap.subarray(at[k], at[k] + n * sizes[k]), first * sizes[k]);
      });
    }
    return true;
  }

  /** Writes the layout's bias: `values[offset + i]` for row i, or zero without values. */
  setBias(l: ProductLayout, values?: Float32Array, offset = 0): void {
    const heap = this.floats;
    this.zero(l.bias, l.bias + l.paddedRows);
    if (values !== undefined) heap.set(values.subarray(offset, offset + l.m), l.bias);
  }

  /**
   * Runs `C = act(op(A) · op(B) + bias)` over the packed operands; the activation is applied only
   * where the kernel fuses it (relu, leaky relu; see `kernelFuses`), else left to the caller.
   * With `accumulate` the product is added to C as the last product on this layout left it;
   * `depth` < k runs only the first `depth` steps of the reduction; `split` false keeps it on
   * this thread (a product whose operands this thread has just written, still in its cache).
   */
  run(l: ProductLayout, activation?: FusedActivation, accumulate = false, depth = l.k, split = true): void {
    const a = { offset: l.a * 4, depth, paddedRows: l.paddedRows, blockStride: l.k * MR * 4 };
    const operands = { b: l.b * 4, c: l.c * 4, ld: l.ld, columns: Math.ceil(l.n / NR) * NR, bias: l.bias * 4 };
    const fused = kernelFuses(activation) ? activation : undefined;
    const workers = this.workers;
    if (split && workers !== undefined && l.m * l.n * l.k >= MIN_PARALLEL_MACS) {
      // The slab calls one thread would make, then run in chunks of C across the threads.
      workers.begin();
      multiply({ gemmTile: workers.record }, a, operands, fused, accumulate);
      if (workers.run(a.paddedRows, operands.columns, a.blockStride, operands.ld * 4)) return;
    }
    multiply({ gemmTile: this.gemmTile }, a, operands, fused, accumulate);
  }
}

/** The functions `exports` has under `names`' values, by `names`' keys. */
function exportsNamed<F, K extends string>(exports: Record<string, unknown>, names: Record<K, string>): Record<K, F> {
  return Object.fromEntries(Object.entries(names).map(([key, name]) => [key, exports[name as string] as F])) as Record<K, F>;
}

function layoutOf(m: number, n: number, k: number): ProductLayout {
  const paddedRows = Math.ceil(m / MR) * MR;
  const ld = rowStride(n);
  const a = 0;
  const b = a + paddedRows * k;
  const c = b + k * ld;
  const bias = c + paddedRows * ld;
  return { m, n, k, paddedRows, ld, a, b, c, bias, extra: bias + paddedRows };
}

let tableScratch = new Float64Array(0);

/**
 * The coefficients of planes `[first, first + n)` side by side, plane p's `coefficients[j][p mod
 * bins]`, in a plain array (reused: the caller copies it into the heap at once) and a loop without
 * a division per plane.
 */
function planeTable(coefficients: readonly Float64Array[], bins: number, first: number, n: number): Float64Array {
  const count = coefficients.length;
  if (tableScratch.length < count * n) tableScratch = new Float64Array(count * n);
  const table = tableScratch.subarray(0, count * n);
  for (let p = 0, bin = first % bins; p < n; p++, bin = bin + 1 === bins ? 0 : bin + 1) {
    for (let j = 0; j < count; j++) table[p * count + j] = coefficients[j][bin];
  }
  return table;
}

/** The products' modules by memory kind (shared or not) and accumulation (fused or not). */
const modules = new Map<string, WebAssembly.Module>();
let heap: ProductHeap | undefined;
let enabled = true;
let threads = 1;
/** Whether the GEMM micro-kernel fuses its multiply-adds; undefined until a module is first built or {@link setTrainingFma} sets it. */
let fused: boolean | undefined;
/** Whether this host makes shared memories; undefined until first asked. */
let sharedMemory: boolean | undefined;

/**
 * The products' module (the GEMM micro-kernel, with fused multiply-adds when {@link setTrainingFma}
 * says so, and `im2col-kernel.ts`'s kernels), over a memory of its own or (`shared`) a shared one.
 */
function productModule(shared: boolean): WebAssembly.Module {
  const fuse = trainingFma();
  const key = `${shared} ${fuse}`;
  let module = modules.get(key);
  if (module === undefined) {
    const memory: MemoryImport = shared ? { minimumPages: 1, maximumPages: MAX_PAGES, shared: true } : { minimumPages: 1 };
    const functions = [
      { name: GEMM_KERNEL, results: [], body: gemmKernelBody(MR, NR, fuse) },
      im2colFunction(), transposeFunction(), copyRowsFunction(), col2imFunction(), ...pointwiseFunctions(), ...planeFunctions(), ...sumFunctions(),
      sgdFunction(), adamFunction(), ...pairPoolFunctions(), ...planeWinogradFunctions(), gemmNtFunction(fuse), zeroFunction(),
      activateFunction(fuse),
    ];
    module = new WebAssembly.Module(encodeModule(memory, functions) as Uint8Array<ArrayBuffer>);
    modules.set(key, module);
  }
  return module;
}

/** The scratch floats {@link ProductHeap.packA} and {@link ProductHeap.packB} want for operands of a product `m × k` by `k × n` (either way round). */
export function packScratchFloats(m: number, n: number, k: number): number {
  return (Math.max(m, n) + MR) * k;
}

/**
 * This thread's product heap for a product `m × k` by `k × n` (and `extra` floats of the caller's),
 * or `undefined` when it should run in TypeScript: WebAssembly SIMD unavailable, the products
 * switched off ({@link setWasmProducts}), fewer than {@link WASM_PRODUCT_MIN_MACS} multiply-adds, or more
 * memory than the heap may take.
 */
export function productHeap(m: number, n: number, k: number, extra = 0): ProductHeap | undefined {
  if (m * n * k < WASM_PRODUCT_MIN_MACS || !enabled || !wasmAvailable()) return undefined;
  const l = layoutOf(m, n, k);
  if ((l.extra + extra) * 4 > MAX_SCRATCH_BYTES) return undefined;
  return sharedHeap();
}

/** Whether the heap's scratch may hold `floats` floats (at most 512 MiB). */
export function heapHolds(floats: number): boolean {
  return floats * 4 <= MAX_SCRATCH_BYTES;
}

/**
 * This thread's heap for an element-wise op over `floats` values ({@link ProductHeap.pointwise}),
 * or `undefined` when it should run in TypeScript: WebAssembly SIMD unavailable, the products
 * switched off ({@link setWasmProducts}), or fewer than {@link WASM_POINTWISE_MIN_FLOATS} values.
 * It is the products' heap, whose arena holds a pool's tensors.
 */
export function pointwiseHeap(floats: number): ProductHeap | undefined {
  if (floats < WASM_POINTWISE_MIN_FLOATS || !enabled || !wasmAvailable()) return undefined;
  return sharedHeap();
}

/** Whether this host can make a shared WebAssembly memory (Node; a cross-origin isolated page). */
function sharedMemoryAvailable(): boolean {
  if (sharedMemory === undefined) {
    try {
      new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      sharedMemory = true;
    } catch {
      sharedMemory = false;
    }
  }
  return sharedMemory;
}

function sharedHeap(): ProductHeap {
  if (heap === undefined) {
    const split = threads > 1 && workersAvailable();
    // A shared memory where the host has one, for the tensor arena, even on one thread.
    const shared = split || sharedMemoryAvailable();
    heap = new ProductHeap(productModule(shared), split ? threads : 1, shared);
  }
  return heap;
}

/**
 * Sets the threads the products of the training kernels run on (default 1): the caller plus
 * `count − 1` worker threads, started on the next product and `unref`ed. A product of at least
 * a million multiply-adds is split in chunks of its output; the result is bit-for-bit the one
 * thread's. Where worker threads are missing the products stay on one thread.
 */
export function setTrainingThreads(count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new Error(`setTrainingThreads: ${count} is not a whole number of threads ≥ 1`);
  if (count === threads) return;
  threads = count;
  heap?.close();
  heap = undefined;
}

/**
 * Makes the training products' GEMM micro-kernel accumulate with fused multiply-adds (relaxed
 * SIMD's `f32x4.relaxed_madd`: one `vfmadd` on x64, each step rounded once) or (false) with a
 * multiply and an add, from the next product on. By default it does where the engine has relaxed
 * SIMD and the CPU gains from it (`runtime/wasm/relaxed-simd.ts`: Intel cores). Returns false
 * where the engine has no relaxed SIMD (then nothing changes), true otherwise.
 */
export function setTrainingFma(on: boolean): boolean {
  if (on && !relaxedMaddSupported()) return false;
  if (on !== trainingFma()) {
    fused = on;
    heap?.close();
    heap = undefined;
  }
  return true;
}

/** Whether the training products use fused multiply-adds ({@link setTrainingFma}). */
export function trainingFma(): boolean {
  fused ??= fusedMultiplyAddsByDefault();
  return fused;
}

/** The thread count {@link setTrainingThreads} set. */
export function trainingThreads(): number {
  return threads;
}

/**
 * Turns the WebAssembly products of the TypeScript kernels off (`false`: they run their
 * TypeScript loops) or back on; tests use it to compare the two.
 */
export function setWasmProducts(on: boolean): void {
  enabled = on;
}

// Tensor pools (`runtime/tensor.ts`) take their buffers of an element-wise op's size from the arena
// of this thread's heap, so that the ops run on them where they are.
setPoolAllocator({
  take: (size) => (size >= WASM_POINTWISE_MIN_FLOATS && enabled && wasmAvailable() ? sharedHeap().arena?.take(size) : undefined),
  release: (buffer) => arenaOf(buffer)?.release(buffer),
  owns: (buffer) => arenaOf(buffer) !== undefined,
  current: (buffer) => heap?.arena !== undefined && heap.arena === arenaOf(buffer),
  clear: (buffer) => arenaOf(buffer)?.clear(buffer) ?? buffer.fill(0),
});
