/**
 * Splits a plan's convs and pools across threads: the caller's thread plus `threads − 1`
 * `worker_threads` workers, each with its own instance of the plan's module over the one shared
 * `WebAssembly.Memory`. A call is cut into chunks of output rows (or, when there are few rows,
 * of output channel blocks), several per thread; every chunk writes a disjoint region of the
 * output, so no chunk waits for another.
 *
 * The chunks are taken, not assigned: the caller posts the call and wakes the workers, then every
 * thread, the caller included, takes the next chunk with a compare-and-swap until none is left.
 * A worker that wakes late (its core busy with another process) simply finds fewer chunks or none,
 * and the caller waits only for chunks already taken, never for a thread to start. So a busy
 * second core costs at most a chunk's time instead of the whole other half.
 *
 * Hand-off is one `Int32Array` over a `SharedArrayBuffer` ({@link Word}). The ticket word holds
 * the call's sequence number (15 bits) above the next chunk's index (16 bits), so a worker still
 * busy with an old call can never take a chunk of the next one. Workers spin briefly, then sleep
 * in `Atomics.wait`. Workers are `unref`ed (they never keep a process alive) and started on first
 * use; where `worker_threads` is missing (a browser) the splitter runs everything on the caller's
 * thread.
 */
import type { PlanKernels } from "./plan-module.js";

/** Words of the control block. */
const Word = { sequence: 0, kind: 1, desc: 2, items: 3, rows: 4, blocks: 5, chunks: 6, ticket: 7, completed: 8, byWorkers: 9 } as const;
const WORDS = 10;
const Kind = { exit: 0, conv: 1, convBlocks: 2, pool: 3, wino: 4, depthwise: 5 } as const;
/** Iterations a waiting side polls before it sleeps: about 50 µs, shorter than a futex wake-up. */
const SPIN = 20000;
/**
 * The least work (multiply-adds, or values read by a pool) worth splitting: below it the
 * hand-off (a few microseconds, more when a worker must be woken) costs more than it saves.
 */
const MIN_PARALLEL_WORK = 1 << 20;
/** Chunks per thread: enough that the last one taken is a small part of the call. */
const CHUNKS_PER_THREAD = 8;

/**
 * Runs chunk `k` of the call described in `c` (the control block) on `e` (a module instance),
 * as thread `thread`. Shared as source text by the caller and the workers' program.
 */
const RUN_CHUNK = `function runChunk(e, c, k, thread) {
  const items = c[${Word.items}], chunks = c[${Word.chunks}];
  const lo = Math.floor((items * k) / chunks), hi = Math.floor((items * (k + 1)) / chunks);
  const kind = c[${Word.kind}], desc = c[${Word.desc}];
  if (kind === ${Kind.conv}) e.conv_rows(desc, lo, hi, 0, c[${Word.blocks}]);
  else if (kind === ${Kind.convBlocks}) e.conv_rows(desc, 0, c[${Word.rows}], lo, hi);
  else if (kind === ${Kind.wino}) e.wino_rows(desc, lo, hi, thread);
  else if (kind === ${Kind.depthwise}) e.depthwise_rows(desc, lo, hi);
  else e.pool_rows(desc, lo, hi);
}
/** Takes the next chunk of call \`seq\`, or returns -1 when none is left (or the call is over). */
function take(c, seq) {
  for (;;) {
    const ticket = Atomics.load(c, ${Word.ticket});
    if (ticket >>> 16 !== seq || (ticket & 0xffff) >= c[${Word.chunks}]) return -1;
    if (Atomics.compareExchange(c, ${Word.ticket}, ticket, ticket + 1) === ticket) return ticket & 0xffff;
  }
}
/** Runs chunks of call \`seq\` until none is left. */
function work(e, c, seq, thread) {
  for (let k = take(c, seq); k >= 0; k = take(c, seq)) {
    runChunk(e, c, k, thread);
    if (thread > 0) Atomics.add(c, ${Word.byWorkers}, 1);
    Atomics.add(c, ${Word.completed}, 1);
    Atomics.notify(c, ${Word.completed});
  }
}`;

/** The worker's whole program; it needs nothing but the module, the memory and its thread number. */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, thread } = workerData;
const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(control);
${RUN_CHUNK}
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(c, ${Word.sequence}) === seen) {
    if (++spins > ${SPIN}) Atomics.wait(c, ${Word.sequence}, seen);
  }
  seen = Atomics.load(c, ${Word.sequence});
  if (c[${Word.kind}] === ${Kind.exit}) break;
  work(e, c, seen & 0x7fff, thread);
}
`;

/** Runs chunks of a call until none is left (see `RUN_CHUNK`). */
type Work = (e: unknown, c: Int32Array, seq: number, thread: number) => void;

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

/** Runs convs and pools over `threads` threads (1: on the caller's thread only). */
export class RowSplitter {
  /** Threads actually in use. */
  readonly threads: number;
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * WORDS));
  private readonly workers: WorkerHandle[] = [];
  private readonly exports: Record<string, unknown>;
  /** The caller's copy of `work`, compiled from the workers' source (only when there are workers). */
  private readonly work: Work | undefined;
  private sequence = 0;

  constructor(
    private readonly kernels: PlanKernels,
    threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
  ) {
    const Worker = threads > 1 && memory.buffer instanceof SharedArrayBuffer ? workerClass() : undefined;
    this.threads = Worker === undefined ? 1 : threads;
    this.exports = { conv_rows: kernels.convRows, wino_rows: kernels.winoRows, pool_rows: kernels.poolRows, depthwise_rows: kernels.depthwiseRows };
    this.work = this.threads > 1 ? (new Function(`${RUN_CHUNK}\nreturn work;`)() as Work) : undefined;
    for (let thread = 1; thread < this.threads; thread++) {
      const worker = new Worker!(WORKER_SOURCE, { eval: true, workerData: { module, memory, control: this.control.buffer, thread } });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Chunks the workers (not the caller) have run since the splitter was made. */
  get workerChunks(): number {
    return Atomics.load(this.control, Word.byWorkers);
  }

  /** Output rows `[0, rows)` × channel blocks `[0, blocks)` of the conv at `desc`, `work` multiply-adds. */
  conv(desc: number, rows: number, blocks: number, work: number): void {
    if (this.threads === 1 || work < MIN_PARALLEL_WORK) return this.kernels.convRows(desc, 0, rows, 0, blocks);
    // Few rows (a late layer at batch 1): split the channel blocks instead.
    const byBlocks = rows < 4 * this.threads && blocks >= this.threads;
    this.run(byBlocks ? Kind.convBlocks : Kind.conv, desc, byBlocks ? blocks : rows, rows, blocks);
  }

  /** Rows `[0, rows)` of 2×2 output blocks of the Winograd conv at `desc`, `work` multiply-adds (direct). */
  wino(desc: number, rows: number, work: number): void {
    if (this.threads === 1 || work < MIN_PARALLEL_WORK || rows < 2) return this.kernels.winoRows(desc, 0, rows, 0);
    this.run(Kind.wino, desc, rows, rows, 0);
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

  /** Stops the workers. */
  close(): void {
    if (this.workers.length === 0) return;
    const c = this.control;
    c[Word.kind] = Kind.exit;
    this.sequence++;
    Atomics.store(c, Word.sequence, this.sequence);
    Atomics.notify(c, Word.sequence);
    for (const worker of this.workers) void worker.terminate();
    this.workers.length = 0;
  }

  /** Posts a call of `items` rows or blocks, takes chunks of it until none is left, waits for the rest. */
  private run(kind: number, desc: number, items: number, rows: number, blocks: number): void {
    const c = this.control;
    const chunks = Math.min(items, CHUNKS_PER_THREAD * this.threads);
    const seq = ++this.sequence & 0x7fff;
    // The ticket first: from here on no thread still in the previous call can take a chunk, and
    // no thread can take one of this call before it sees the new sequence number.
    Atomics.store(c, Word.ticket, seq << 16);
    c[Word.kind] = kind;
    c[Word.desc] = desc;
    c[Word.items] = items;
    c[Word.rows] = rows;
    c[Word.blocks] = blocks;
    c[Word.chunks] = chunks;
    c[Word.completed] = 0;
    Atomics.store(c, Word.sequence, this.sequence);
    Atomics.notify(c, Word.sequence);
    this.work!(this.exports, c, seq, 0);
    let spins = 0;
    for (;;) {
      const done = Atomics.load(c, Word.completed);
      if (done === chunks) break;
      if (++spins > SPIN) Atomics.wait(c, Word.completed, done, 1);
    }
  }
}
