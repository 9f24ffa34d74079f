/**
 * The thread machinery that the plan's splitter (`plan-threads.ts`) and the training products
 * (`runtime/linalg/product-threads.ts`) share: the caller's thread plus `threads − 1`
 * `worker_threads` workers, each with its own instance of a WebAssembly module over one shared
 * `WebAssembly.Memory`, running the chunks of one call at a time.
 *
 * The chunks are taken, not assigned: the caller posts the call and wakes the workers, then every
 * thread, the caller included, takes the next chunk with a compare-and-swap until none is left.
 * A worker that wakes late (its core busy with another process) simply finds fewer chunks or none,
 * and the caller waits only for chunks already taken, never for a thread to start. So a busy
 * second core costs at most a chunk's time instead of the whole other half.
 *
 * Hand-off is one `Int32Array` over a `SharedArrayBuffer`: the {@link Header} words, then the
 * user's. The ticket word holds the call's sequence number (15 bits) above the next chunk's index
 * (16 bits), so a worker still busy with an old call can never take a chunk of the next one.
 * Workers spin briefly, then sleep in `Atomics.wait`. Workers are `unref`ed (they never keep a
 * process alive); where `worker_threads` or a shared memory is missing (a browser) the pool has no
 * workers and the caller runs every chunk.
 *
 * A user gives its chunk as source text, `function runChunk(e, c, f, k, thread)`: run chunk `k`
 * of the call described by the control block `c` (its float view `f`) on `e`, a module
 * instance's exports, as thread `thread`. The same text runs on the caller and in the workers.
 */

/** The words every control block starts with; a user's words follow from {@link HEADER_WORDS}. */
export const Header = { sequence: 0, exit: 1, ticket: 2, completed: 3, chunks: 4, byWorkers: 5 } as const;
export const HEADER_WORDS = 6;
/** Iterations a waiting side polls before it sleeps: about 50 µs, shorter than a futex wake-up. */
const SPIN = 20000;

/** Taking chunks and running them, around the user's `runChunk`: shared as source text. */
function loopSource(runChunk: string): string {
  return `${runChunk}
/** Takes the next chunk of call \`seq\`, or returns -1 when none is left (or the call is over). */
function take(c, seq) {
  for (;;) {
    const ticket = Atomics.load(c, ${Header.ticket});
    if (ticket >>> 16 !== seq || (ticket & 0xffff) >= c[${Header.chunks}]) return -1;
    if (Atomics.compareExchange(c, ${Header.ticket}, ticket, ticket + 1) === ticket) return ticket & 0xffff;
  }
}
/** Runs chunks of call \`seq\` until none is left. */
function work(e, c, f, seq, thread) {
  for (let k = take(c, seq); k >= 0; k = take(c, seq)) {
    runChunk(e, c, f, k, thread);
    if (thread > 0) Atomics.add(c, ${Header.byWorkers}, 1);
    Atomics.add(c, ${Header.completed}, 1);
    Atomics.notify(c, ${Header.completed});
  }
}`;
}

/** A worker's whole program: it needs nothing but the module, the memory, the control block and its thread number. */
function workerSource(runChunk: string): string {
  return `
const { workerData } = require("node:worker_threads");
const { module, memory, control, thread } = workerData;
const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(control);
const f = new Float32Array(control);
${loopSource(runChunk)}
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(c, ${Header.sequence}) === seen) {
    if (++spins > ${SPIN}) Atomics.wait(c, ${Header.sequence}, seen);
  }
  seen = Atomics.load(c, ${Header.sequence});
  if (c[${Header.exit}] === 1) break;
  work(e, c, f, seen & 0x7fff, thread);
}
`;
}

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

/** Workers over one shared memory that run the chunks of a call with the caller. */
export class ChunkPool {
  /** Threads in use, the caller's included (1 where workers cannot run). */
  readonly threads: number;
  /** The control block: {@link Header}, then `words` words of the user's. */
  readonly control: Int32Array;
  /** The control block as float32s (for a user's float words). */
  readonly floats: Float32Array;
  private readonly workers: WorkerHandle[] = [];
  /** The caller's copy of `work`, compiled from the workers' source on the first call (no eval before one). */
  private work: Work | undefined;
  private sequence = 0;

  /**
   * `exports` are the caller's own kernels under the names `runChunk` calls; `module` is what each
   * worker instantiates over `memory`.
   */
  constructor(
    words: number,
    threads: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    private readonly runChunk: string,
    private readonly exports: object,
  ) {
    const Worker = threads > 1 && memory.buffer instanceof SharedArrayBuffer ? workerClass() : undefined;
    this.threads = Worker === undefined ? 1 : threads;
    this.control = new Int32Array(new SharedArrayBuffer(4 * (HEADER_WORDS + words)));
    this.floats = new Float32Array(this.control.buffer);
    const source = workerSource(runChunk);
    for (let thread = 1; thread < this.threads; thread++) {
      const worker = new Worker!(source, { eval: true, workerData: { module, memory, control: this.control.buffer, thread } });
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Chunks the workers (not the caller) have run since the pool was made. */
  get workerChunks(): number {
    return Atomics.load(this.control, Header.byWorkers);
  }

  /**
   * Posts a call of `chunks` chunks, whose description `describe` writes into the user's words,
   * takes chunks of it until none is left and waits for the rest.
   */
  run(chunks: number, describe: (c: Int32Array) => void): void {
    const c = this.control;
    const seq = ++this.sequence & 0x7fff;
    // The ticket first: from here on no thread still in the previous call can take a chunk, and
    // no thread can take one of this call before it sees the new sequence number.
    Atomics.store(c, Header.ticket, seq << 16);
    describe(c);
    c[Header.chunks] = chunks;
    c[Header.completed] = 0;
    Atomics.store(c, Header.sequence, this.sequence);
    Atomics.notify(c, Header.sequence);
    this.work ??= new Function(`${loopSource(this.runChunk)}\nreturn work;`)() as Work;
    this.work(this.exports, c, this.floats, seq, 0);
    let spins = 0;
    for (;;) {
      const done = Atomics.load(c, Header.completed);
      if (done === chunks) break;
      if (++spins > SPIN) Atomics.wait(c, Header.completed, done, 1);
    }
  }

  /** Stops the workers. */
  close(): void {
    if (this.workers.length === 0) return;
    const c = this.control;
    c[Header.exit] = 1;
    this.sequence++;
    Atomics.store(c, Header.sequence, this.sequence);
    Atomics.notify(c, Header.sequence);
    for (const worker of this.workers) void worker.terminate();
    this.workers.length = 0;
  }
}
