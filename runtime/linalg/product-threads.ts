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
 * bit-for-bit the one-thread result. Chunks are taken with a compare-and-swap on a ticket word
 * (the call's sequence number above the next chunk's index), by the caller too, so a worker that
 * wakes late only finds fewer chunks. Workers spin briefly, then sleep in `Atomics.wait`; they
 * are `unref`ed (they never keep a process alive) and started with the pool; where
 * `worker_threads` or `SharedArrayBuffer` is missing the pool has no workers and the caller runs
 * every chunk.
 */
import type { GemmTile } from "../fast/plan-module.js";
import { MR, NR } from "../wasm/gemm-kernel.js";

/** Words of the control block; the slab calls follow at `Word.slabs`, `SLAB_WORDS` each. */
const Word = {
  sequence: 0,
  exit: 1,
  ticket: 2,
  completed: 3,
  chunks: 4,
  items: 5,
  byRows: 6,
  blockStride: 7,
  ldBytes: 8,
  rows: 9,
  columns: 10,
  slabCount: 11,
  alpha: 12,
  byWorkers: 13,
  slabs: 16,
} as const;
/** Per slab: A's byte offset, B's, C's, the bias's, the slab's depth and the kernel's flags. */
const SLAB_WORDS = 6;
/** The most slabs a split product may have (a reduction of 384 · 256 steps); longer ones stay on the caller. */
const MAX_SLABS = 256;
const WORDS = Word.slabs + SLAB_WORDS * MAX_SLABS;
/** Iterations a waiting side polls before it sleeps: about 50 µs, shorter than a futex wake-up. */
const SPIN = 20000;
/** Chunks per thread: enough that the last one taken is a small part of the call. */
const CHUNKS_PER_THREAD = 4;

/**
 * Runs chunk `k` of the posted product on `e` (a module instance): its row blocks or column
 * tiles, every slab. Shared as source text by the caller and the workers' program.
 */
const RUN_CHUNK = `function runChunk(e, c, f, k) {
  const items = c[${Word.items}], chunks = c[${Word.chunks}];
  const lo = Math.floor((items * k) / chunks), hi = Math.floor((items * (k + 1)) / chunks);
  if (lo === hi) return;
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
}
function take(c, seq) {
  for (;;) {
    const ticket = Atomics.load(c, ${Word.ticket});
    if (ticket >>> 16 !== seq || (ticket & 0xffff) >= c[${Word.chunks}]) return -1;
    if (Atomics.compareExchange(c, ${Word.ticket}, ticket, ticket + 1) === ticket) return ticket & 0xffff;
  }
}
function work(e, c, f, seq, thread) {
  for (let k = take(c, seq); k >= 0; k = take(c, seq)) {
    runChunk(e, c, f, k);
    if (thread > 0) Atomics.add(c, ${Word.byWorkers}, 1);
    Atomics.add(c, ${Word.completed}, 1);
    Atomics.notify(c, ${Word.completed});
  }
}`;

/** The worker's whole program: the module, the memory, the control block and its thread number. */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, thread } = workerData;
const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(control);
const f = new Float32Array(control);
${RUN_CHUNK}
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(c, ${Word.sequence}) === seen) {
    if (++spins > ${SPIN}) Atomics.wait(c, ${Word.sequence}, seen);
  }
  seen = Atomics.load(c, ${Word.sequence});
  if (c[${Word.exit}] === 1) break;
  work(e, c, f, seen & 0x7fff, thread);
}
`;

type Work = (e: unknown, c: Int32Array, f: Float32Array, seq: number, thread: number) => void;

interface WorkerHandle {
  terminate(): Promise<number>;
  unref(): void;
}
type WorkerConstructor = new (code: string, options: { eval: true; workerData: unknown }) => WorkerHandle;

/** `worker_threads`' `Worker` where the host has it (Node), else `undefined`. */
function workerClass(): WorkerConstructor | undefined {
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  const threads = host.process?.getBuiltinModule?.("node:worker_threads") as { Worker?: WorkerConstructor } | undefined;
  return threads?.Worker;
}

/** Workers over one shared memory that run chunks of a product with the caller. */
export class ProductWorkers {
  /** Threads in use, the caller's included. */
  readonly threads: number;
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * WORDS));
  private readonly alpha = new Float32Array(this.control.buffer);
  private readonly workers: WorkerHandle[] = [];
  private readonly work: Work;
  private readonly exports: { gemm_tile: GemmTile };
  private sequence = 0;
  private slabCount = 0;
  /** Gathers `multiply`'s slab calls into the control block. */
  readonly record: GemmTile = (a, _blockStride, b, _ldb, c, _ldc, bias, _rows, _columns, depth, flags, alpha) => {
    const w = Word.slabs + SLAB_WORDS * this.slabCount++;
    if (this.slabCount > MAX_SLABS) return;
    const ctl = this.control;
    ctl[w] = a;
    ctl[w + 1] = b;
    ctl[w + 2] = c;
    ctl[w + 3] = bias;
    ctl[w + 4] = depth;
    ctl[w + 5] = flags;
    this.alpha[Word.alpha] = alpha;
  };

  /** `gemmTile` is the caller's instance's kernel over `memory`, which `module` imports. */
  constructor(threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory, gemmTile: GemmTile) {
    const Worker = threads > 1 && memory.buffer instanceof SharedArrayBuffer ? workerClass() : undefined;
    this.threads = Worker === undefined ? 1 : threads;
    this.exports = { gemm_tile: gemmTile };
    this.work = new Function(`${RUN_CHUNK}\nreturn work;`)() as Work;
    for (let thread = 1; thread < this.threads; thread++) {
      const worker = new Worker!(WORKER_SOURCE, { eval: true, workerData: { module, memory, control: this.control.buffer, thread } });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Chunks the workers (not the caller) have run since the pool was made. */
  get workerChunks(): number {
    return Atomics.load(this.control, Word.byWorkers);
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
    const c = this.control;
    const blocks = rows / MR;
    const tiles = columns / NR;
    const byRows = blocks > tiles;
    const items = byRows ? blocks : tiles;
    const chunks = Math.min(items, CHUNKS_PER_THREAD * this.threads);
    const seq = ++this.sequence & 0x7fff;
    // The ticket first: no thread still in the previous call can take a chunk of this one.
    Atomics.store(c, Word.ticket, seq << 16);
    c[Word.chunks] = chunks;
    c[Word.items] = items;
    c[Word.byRows] = byRows ? 1 : 0;
    c[Word.blockStride] = blockStride;
    c[Word.ldBytes] = ldBytes;
    c[Word.rows] = rows;
    c[Word.columns] = columns;
    c[Word.slabCount] = this.slabCount;
    c[Word.completed] = 0;
    Atomics.store(c, Word.sequence, this.sequence);
    Atomics.notify(c, Word.sequence);
    this.work(this.exports, c, this.alpha, seq, 0);
    let spins = 0;
    for (;;) {
      const done = Atomics.load(c, Word.completed);
      if (done === chunks) break;
      if (++spins > SPIN) Atomics.wait(c, Word.completed, done, 1);
    }
    return true;
  }

  /** Stops the workers. */
  close(): void {
    if (this.workers.length === 0) return;
    const c = this.control;
    c[Word.exit] = 1;
    this.sequence++;
    Atomics.store(c, Word.sequence, this.sequence);
    Atomics.notify(c, Word.sequence);
    for (const worker of this.workers) void worker.terminate();
    this.workers.length = 0;
  }
}
