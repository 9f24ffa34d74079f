/**
 * Splits a plan's convs, pools and layout conversions across threads, on the {@link ChunkPool} of `chunk-pool.ts`: the
 * caller's thread plus `threads − 1` workers, each with its own instance of the plan's module over
 * the one shared `WebAssembly.Memory`. A call is cut into chunks of output rows (or, when there are
 * few rows, of output channel blocks), several per thread; every chunk writes a disjoint region of
 * the output, so no chunk waits for another. Workers are started on first use; where they cannot
 * run (a page that is not cross-origin isolated) the splitter runs everything on the caller's thread.
 */
import { ChunkPool, HEADER_WORDS, Header } from "./chunk-pool.js";
import type { PlanKernels } from "./plan-module.js";

/** The splitter's words of the control block, after the pool's header. */
const Word = { kind: HEADER_WORDS, desc: HEADER_WORDS + 1, items: HEADER_WORDS + 2, rows: HEADER_WORDS + 3, blocks: HEADER_WORDS + 4 } as const;
const WORDS = 5;
const Kind = { conv: 1, convBlocks: 2, pool: 3, wino: 4, depthwise: 5, winoBlocks: 6, winoPassIn: 7, wino4: 8, wino4Blocks: 9, wino4PassIn: 10, toBlocked: 11 } as const;
/**
 * The least work (multiply-adds, or values read by a pool) worth splitting: below it the
 * hand-off (a few microseconds, more when a worker must be woken) costs more than it saves.
 */
const MIN_PARALLEL_WORK = 1 << 20;
/**
 * The least values a layout conversion writes worth splitting: it moves one float per value, so
 * far less than a conv's multiply-adds keeps a thread busy for as long as a hand-off costs.
 */
const MIN_PARALLEL_VALUES = 1 << 16;
/** Chunks per thread: enough that the last one taken is a small part of the call. */
const CHUNKS_PER_THREAD = 8;

/** Runs chunk `k` of the call described in `c` on `e` (a module instance), as thread `thread`. */
const RUN_CHUNK = `function runChunk(e, c, f, k, thread) {
  const items = c[${Word.items}], chunks = c[${Header.chunks}];
  const lo = Math.floor((items * k) / chunks), hi = Math.floor((items * (k + 1)) / chunks);
  const kind = c[${Word.kind}], desc = c[${Word.desc}];
  if (kind === ${Kind.conv}) e.conv_rows(desc, lo, hi, 0, c[${Word.blocks}]);
  else if (kind === ${Kind.convBlocks}) e.conv_rows(desc, 0, c[${Word.rows}], lo, hi);
  else if (kind === ${Kind.wino}) e.wino_rows(desc, lo, hi, thread);
  else if (kind === ${Kind.wino4}) e.wino4_rows(desc, lo, hi, thread);
  else if (kind === ${Kind.depthwise}) e.depthwise_rows(desc, lo, hi);
  else if (kind === ${Kind.winoBlocks}) e.wino_blocks(desc, lo, hi, thread);
  else if (kind === ${Kind.winoPassIn}) e.wino_pass_in(desc, c[${Word.rows}] + lo, c[${Word.rows}] + hi);
  else if (kind === ${Kind.wino4Blocks}) e.wino4_blocks(desc, lo, hi, thread);
  else if (kind === ${Kind.wino4PassIn}) e.wino4_pass_in(desc, c[${Word.rows}] + lo, c[${Word.rows}] + hi);
  else if (kind === ${Kind.toBlocked}) e.to_blocked_rows(desc, lo, hi);
  else e.pool_rows(desc, lo, hi);
}`;

/** A Winograd tile's drivers (`wino_rows`, `wino_blocks`, `wino_pass_in` or their `wino4_` forms) and their chunk kinds. */
interface WinogradDrivers {
  rows(desc: number, rowStart: number, rowEnd: number, thread: number): void;
  blocks(desc: number, obStart: number, obEnd: number, thread: number): void;
  passIn(desc: number, rowStart: number, rowEnd: number): void;
  kinds: { rows: number; blocks: number; passIn: number };
}

/** Runs convs, pools and layout conversions over `threads` threads (1: on the caller's thread only). */
export class RowSplitter {
  /** Threads actually in use. */
  readonly threads: number;
  private readonly chunks: ChunkPool;
  /** F(2×2, 3×3)'s drivers and F(4×4, 3×3)'s, by the tile's outputs per side. */
  private readonly winograd: Record<2 | 4, WinogradDrivers>;

  constructor(
    private readonly kernels: PlanKernels,
    threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
  ) {
    const exports = {
      conv_rows: kernels.convRows,
      wino_rows: kernels.winoRows,
      wino4_rows: kernels.wino4Rows,
      wino4_blocks: kernels.wino4Blocks,
      wino4_pass_in: kernels.wino4PassIn,
      wino_blocks: kernels.winoBlocks,
      wino_pass_in: kernels.winoPassIn,
      pool_rows: kernels.poolRows,
      depthwise_rows: kernels.depthwiseRows,
      to_blocked_rows: kernels.toBlockedRows,
    };
    this.chunks = new ChunkPool(WORDS, threads, module, memory, RUN_CHUNK, exports);
    this.threads = this.chunks.threads;
    this.winograd = {
      2: { rows: kernels.winoRows, blocks: kernels.winoBlocks, passIn: kernels.winoPassIn, kinds: { rows: Kind.wino, blocks: Kind.winoBlocks, passIn: Kind.winoPassIn } },
      4: { rows: kernels.wino4Rows, blocks: kernels.wino4Blocks, passIn: kernels.wino4PassIn, kinds: { rows: Kind.wino4, blocks: Kind.wino4Blocks, passIn: Kind.wino4PassIn } },
    };
  }

  /** Chunks the workers (not the caller) have run since the splitter was made. */
  get workerChunks(): number {
    return this.chunks.workerChunks;
  }

  /** Output rows `[0, rows)` × channel blocks `[0, blocks)` of the conv at `desc`, `work` multiply-adds. */
  conv(desc: number, rows: number, blocks: number, work: number): void {
    if (this.threads === 1 || work < MIN_PARALLEL_WORK) return this.kernels.convRows(desc, 0, rows, 0, blocks);
    // Few rows (a late layer at batch 1): split the channel blocks instead.
    const byBlocks = rows < 4 * this.threads && blocks >= this.threads;
    this.run(byBlocks ? Kind.convBlocks : Kind.conv, desc, byBlocks ? blocks : rows, rows, blocks);
  }

  /**
   * Rows `[0, rows)` of output blocks of the Winograd conv at `desc`, `work` multiply-adds
   * (direct): F(2×2, 3×3)'s blocks of 2×2 outputs, or F(4×4, 3×3)'s of 4×4 (`tile` 4).
   */
  wino(desc: number, rows: number, work: number, tile: 2 | 4 = 2): void {
    const drivers = this.winograd[tile];
    if (this.threads === 1 || work < MIN_PARALLEL_WORK || rows < 2) return drivers.rows(desc, 0, rows, 0);
    this.run(drivers.kinds.rows, desc, rows, rows, 0);
  }

  /** Output blocks `[0, blocks)` of the current pass of the wide Winograd conv at `desc`, `work` multiply-adds (direct); `tile` as for {@link wino}. */
  winoBlocks(desc: number, blocks: number, work: number, tile: 2 | 4 = 2): void {
    const drivers = this.winograd[tile];
    if (this.threads === 1 || work < MIN_PARALLEL_WORK || blocks < 2) return drivers.blocks(desc, 0, blocks, 0);
    this.run(drivers.kinds.blocks, desc, blocks, 0, blocks);
  }

  /** The input transform of rows `[start, end)` of output blocks, the current pass of the wide Winograd conv at `desc`, whose blocks take `work` multiply-adds (direct); `tile` as for {@link wino}. */
  winoPassIn(desc: number, start: number, end: number, work: number, tile: 2 | 4 = 2): void {
    const rows = end - start;
    const drivers = this.winograd[tile];
    if (this.threads === 1 || work < MIN_PARALLEL_WORK || rows < 2) return drivers.passIn(desc, start, end);
    // The `rows` word carries the first row, which each chunk's range is offset by.
    this.run(drivers.kinds.passIn, desc, rows, start, 0);
  }

  /** Output rows `[0, rows)` of the pool at `desc`, which reads `work` values. */
  pool(desc: number, rows: number, work: number): void {
    if (this.threads === 1 || work < MIN_PARALLEL_WORK || rows < 2) return this.kernels.poolRows(desc, 0, rows);
    this.run(Kind.pool, desc, rows, rows, 0);
  }

  /** Output rows `[0, rows)` of the depthwise conv at `desc`, `work` multiply-adds. */
  depthwise(desc: number, rows: number, work: number): void {
    if (this.threads === 1 || work < MIN_PARALLEL_WORK || rows < 2) return this.kernels.depthwiseRows(desc, 0, rows);
    this.run(Kind.depthwise, desc, rows, rows, 0);
  }

  /** Image rows `[0, rows)` of the conversion into the blocked layout at `desc`, which writes `values` floats. */
  toBlocked(desc: number, rows: number, values: number): void {
    if (this.threads === 1 || values < MIN_PARALLEL_VALUES || rows < 2) return this.kernels.toBlockedRows(desc, 0, rows);
    this.run(Kind.toBlocked, desc, rows, rows, 0);
  }

  /** Stops the workers. */
  close(): void {
    this.chunks.close();
  }

  /** Posts a call of `items` rows or blocks, takes chunks of it until none is left, waits for the rest. */
  private run(kind: number, desc: number, items: number, rows: number, blocks: number): void {
    this.chunks.run(Math.min(items, CHUNKS_PER_THREAD * this.threads), (c) => {
      c[Word.kind] = kind;
      c[Word.desc] = desc;
      c[Word.items] = items;
      c[Word.rows] = rows;
      c[Word.blocks] = blocks;
    });
  }
}
