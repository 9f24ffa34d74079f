/**
 * Splits a plan's convs and pools across threads: the caller's thread plus `threads − 1`
 * `worker_threads` workers, each with its own instance of the plan's module over the one shared
 * `WebAssembly.Memory`. A conv is cut into ranges of output rows (or, when there are few rows,
 * of output channel blocks); every part writes a disjoint region of the output, so no part
 * waits for another.
 *
 * Hand-off is one `Int32Array` over a `SharedArrayBuffer`, a slot of words per worker: the
 * caller writes the call and bumps the slot's sequence number; the worker spins briefly, then
 * sleeps in `Atomics.wait`, runs the call and publishes the sequence number as done. The caller
 * runs its own part meanwhile and then waits for every worker, so a forward stays synchronous.
 * Workers are `unref`ed (they never keep a process alive) and started on first use; where
 * `worker_threads` is missing (a browser) the splitter runs everything on the caller's thread.
 */
import type { PlanKernels } from "./plan-module.js";

const SLOT = 16;
const Word = { sequence: 0, kind: 1, args: 2, done: 8 } as const;
const Kind = { exit: 0, conv: 1, pool: 2, wino: 3 } as const;
/** Iterations a waiting side polls before it sleeps: about 50 µs, shorter than a futex wake-up. */
const SPIN = 20000;
/**
 * The least work (multiply-adds, or values read by a pool) worth splitting: below it the
 * hand-off (a few microseconds, more when a worker must be woken) costs more than it saves.
 */
const MIN_PARALLEL_WORK = 1 << 20;

/** The worker's whole program; it needs nothing but the module, the memory and its slot. */
const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, slot } = workerData;
const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(control);
const base = slot * ${SLOT};
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(c, base + ${Word.sequence}) === seen) {
    if (++spins > ${SPIN}) Atomics.wait(c, base + ${Word.sequence}, seen);
  }
  seen = Atomics.load(c, base + ${Word.sequence});
  const kind = c[base + ${Word.kind}];
  const a = base + ${Word.args};
  if (kind === ${Kind.exit}) break;
  if (kind === ${Kind.conv}) e.conv_rows(c[a], c[a + 1], c[a + 2], c[a + 3], c[a + 4]);
  else if (kind === ${Kind.wino}) e.wino_rows(c[a], c[a + 1], c[a + 2], slot + 1);
  else e.pool_rows(c[a], c[a + 1], c[a + 2]);
  Atomics.store(c, base + ${Word.done}, seen);
  Atomics.notify(c, base + ${Word.done});
}
`;

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
  private readonly control: Int32Array;
  private readonly workers: WorkerHandle[] = [];
  private sequence = 0;

  constructor(
    private readonly kernels: PlanKernels,
    threads: number,
    private readonly module: WebAssembly.Module,
    private readonly memory: WebAssembly.Memory,
  ) {
    const Worker = threads > 1 && memory.buffer instanceof SharedArrayBuffer ? workerClass() : undefined;
    this.threads = Worker === undefined ? 1 : threads;
    this.control = new Int32Array(new SharedArrayBuffer(4 * SLOT * Math.max(1, this.threads - 1)));
    for (let slot = 0; slot + 1 < this.threads; slot++) {
      const worker = new Worker!(WORKER_SOURCE, { eval: true, workerData: { module: this.module, memory: this.memory, control: this.control.buffer, slot } });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Output rows `[0, rows)` × channel blocks `[0, blocks)` of the conv at `desc`, `work` multiply-adds. */
  conv(desc: number, rows: number, blocks: number, work: number): void {
    const parts = work < MIN_PARALLEL_WORK ? 1 : this.threads;
    if (parts === 1) return this.kernels.convRows(desc, 0, rows, 0, blocks);
    // Few rows (a late layer at batch 1): split the channel blocks instead.
    const byBlocks = rows < 4 * parts && blocks >= parts;
    const total = byBlocks ? blocks : rows;
    const cut = (k: number): number => Math.round((total * k) / parts);
    for (let k = 1; k < parts; k++) {
      this.post(k - 1, Kind.conv, byBlocks ? [desc, 0, rows, cut(k), cut(k + 1)] : [desc, cut(k), cut(k + 1), 0, blocks]);
    }
    if (byBlocks) this.kernels.convRows(desc, 0, rows, 0, cut(1));
    else this.kernels.convRows(desc, 0, cut(1), 0, blocks);
    this.join();
  }

  /** Rows `[0, rows)` of 2×2 output blocks of the Winograd conv at `desc`, `work` multiply-adds (direct). */
  wino(desc: number, rows: number, work: number): void {
    const parts = work < MIN_PARALLEL_WORK ? 1 : Math.min(this.threads, rows);
    if (parts <= 1) return this.kernels.winoRows(desc, 0, rows, 0);
    const cut = (k: number): number => Math.round((rows * k) / parts);
    for (let k = 1; k < parts; k++) this.post(k - 1, Kind.wino, [desc, cut(k), cut(k + 1)]);
    this.kernels.winoRows(desc, 0, cut(1), 0);
    this.join(parts - 1);
  }

  /** Output rows `[0, rows)` of the pool at `desc`, which reads `work` values. */
  pool(desc: number, rows: number, work: number): void {
    const parts = work < MIN_PARALLEL_WORK ? 1 : Math.min(this.threads, rows);
    if (parts <= 1) return this.kernels.poolRows(desc, 0, rows);
    const cut = (k: number): number => Math.round((rows * k) / parts);
    for (let k = 1; k < parts; k++) this.post(k - 1, Kind.pool, [desc, cut(k), cut(k + 1)]);
    this.kernels.poolRows(desc, 0, cut(1));
    this.join(parts - 1);
  }

  /** Stops the workers. */
  close(): void {
    this.sequence++;
    this.workers.forEach((worker, slot) => {
      const base = slot * SLOT;
      this.control[base + Word.kind] = Kind.exit;
      Atomics.store(this.control, base + Word.sequence, this.sequence);
      Atomics.notify(this.control, base + Word.sequence);
      void worker.terminate();
    });
    this.workers.length = 0;
  }

  private pending = 0;

  private post(slot: number, kind: number, args: readonly number[]): void {
    if (slot === 0) this.sequence++;
    const base = slot * SLOT;
    this.control[base + Word.kind] = kind;
    args.forEach((value, i) => (this.control[base + Word.args + i] = value));
    Atomics.store(this.control, base + Word.sequence, this.sequence);
    Atomics.notify(this.control, base + Word.sequence);
    this.pending = slot + 1;
  }

  /** Waits until the first `count` workers have finished the current call. */
  private join(count = this.pending): void {
    for (let slot = 0; slot < count; slot++) {
      const at = slot * SLOT + Word.done;
      let spins = 0;
      for (;;) {
        const done = Atomics.load(this.control, at);
        if (done === this.sequence) break;
        if (++spins > SPIN) Atomics.wait(this.control, at, done, 1);
      }
    }
    this.pending = 0;
  }
}
