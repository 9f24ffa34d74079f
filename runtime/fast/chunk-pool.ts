/**
 * The thread machinery that the plan's splitter (`plan-threads.ts`) and the training products
 * (`runtime/linalg/product-threads.ts`) share: the caller's thread plus `threads − 1` workers
 * (Node's `worker_threads`, or a browser's Web Workers), each with its own instance of a
 * WebAssembly module over one shared `WebAssembly.Memory`, running the chunks of one call at a
 * time.
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
 * Workers spin briefly, then sleep in `Atomics.wait`; the caller does the same in Node, and only
 * spins on a page's thread, where `Atomics.wait` throws. Node's workers are `unref`ed (they never
 * keep a process alive). In a browser the workers are Web Workers started from a Blob URL of the
 * same program, and only in a cross-origin isolated page (elsewhere there is no shared memory);
 * where workers cannot run ({@link workersAvailable} is false) the pool has none and the caller
 * runs every chunk.
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
function workerSource(runChunk: string, host: "node" | "web"): string {
  // Node hands the data over as `workerData`; a browser's worker receives it as its one message.
  const start = host === "node" ? `start(require("node:worker_threads").workerData);` : `onmessage = (event) => start(event.data);`;
  return `
${loopSource(runChunk)}
function start({ module, memory, control, thread }) {
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const c = new Int32Array(control);
  const f = new Float32Array(control);
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
}
${start}
`;
}

type Work = (e: unknown, c: Int32Array, f: Float32Array, seq: number, thread: number) => void;

/** What a worker is given: the module it instantiates over the shared memory, and the control block. */
interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  thread: number;
}

/** How this host runs worker programs: `start` one; `release` drops what the pool's workers shared. */
interface WorkerHost {
  start(data: WorkerData): { terminate(): void };
  release(): void;
}

interface NodeWorker {
  terminate(): Promise<number>;
  unref(): void;
}
type NodeWorkerConstructor = new (code: string, options: { eval: true; workerData: unknown }) => NodeWorker;
type WebWorkerConstructor = new (url: string) => { postMessage(data: unknown): void; terminate(): void };
interface WebHost {
  process?: { getBuiltinModule?: (id: string) => unknown };
  Worker?: WebWorkerConstructor;
  crossOriginIsolated?: boolean;
  Blob?: new (parts: string[], options: { type: string }) => unknown;
  URL?: { createObjectURL?(blob: unknown): string; revokeObjectURL?(url: string): void };
}

/** `worker_threads`' `Worker` where the host has it (Node), else `undefined`. */
function nodeWorkerClass(): NodeWorkerConstructor | undefined {
  const host = globalThis as WebHost;
  const threads = host.process?.getBuiltinModule?.("node:worker_threads") as { Worker?: NodeWorkerConstructor } | undefined;
  return threads?.Worker;
}

/**
 * Whether workers can share a WebAssembly memory here: Node's `worker_threads`, or a browser's
 * Web Workers in a cross-origin isolated page (elsewhere a page has no `SharedArrayBuffer`, and
 * cannot make a shared memory either). Where this is false, callers make an unshared memory and
 * run on one thread.
 */
export function workersAvailable(): boolean {
  if (typeof SharedArrayBuffer !== "function") return false;
  if (nodeWorkerClass() !== undefined) return true;
  const host = globalThis as WebHost;
  return typeof host.Worker === "function" && host.crossOriginIsolated === true && typeof host.Blob === "function" && typeof host.URL?.createObjectURL === "function";
}

/** The host's way of starting workers that run `source`, or `undefined` where there is none. */
function workerHost(source: (host: "node" | "web") => string): WorkerHost | undefined {
  if (!workersAvailable()) return undefined;
  const NodeWorker = nodeWorkerClass();
  if (NodeWorker !== undefined) {
    const code = source("node");
    return {
      start(workerData) {
        const worker = new NodeWorker(code, { eval: true, workerData });
        // A worker never keeps the process alive.
        worker.unref();
        return { terminate: () => void worker.terminate() };
      },
      release() {},
    };
  }
  // A browser: the same program as a Blob URL; the worker starts when the page's thread lets it, so
  // the first calls may run without it (a late worker takes fewer chunks, or none).
  const { Worker, Blob, URL } = globalThis as WebHost as Required<Pick<WebHost, "Worker" | "Blob" | "URL">>;
  const url = URL.createObjectURL!(new Blob([source("web")], { type: "text/javascript" }));
  return {
    start(data) {
      const worker = new Worker(url);
      worker.postMessage(data);
      return worker;
    },
    release: () => URL.revokeObjectURL?.(url),
  };
}

/**
 * Whether this thread may block in `Atomics.wait`: Node's threads and workers may, a browser's
 * page thread may not (there it throws, and the caller spins instead).
 */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** Workers over one shared memory that run the chunks of a call with the caller. */
export class ChunkPool {
  /** Threads in use, the caller's included (1 where workers cannot run). */
  readonly threads: number;
  /** The control block: {@link Header}, then `words` words of the user's. */
  readonly control: Int32Array;
  /** The control block as float32s (for a user's float words). */
  readonly floats: Float32Array;
  private readonly workers: { terminate(): void }[] = [];
  private readonly host: WorkerHost | undefined;
  /** Whether the caller may sleep in `Atomics.wait` while the workers finish (not on a page's thread). */
  private readonly blocking: boolean;
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
    const host = threads > 1 && memory.buffer instanceof SharedArrayBuffer ? workerHost((kind) => workerSource(runChunk, kind)) : undefined;
    this.host = host;
    this.threads = host === undefined ? 1 : threads;
    // One thread needs no shared block (and a page that is not cross-origin isolated has none).
    this.control = new Int32Array(host === undefined ? new ArrayBuffer(4 * (HEADER_WORDS + words)) : new SharedArrayBuffer(4 * (HEADER_WORDS + words)));
    this.floats = new Float32Array(this.control.buffer);
    this.blocking = host !== undefined && canBlock();
    for (let thread = 1; thread < this.threads; thread++) {
      this.workers.push(host!.start({ module, memory, control: this.control.buffer as SharedArrayBuffer, thread }));
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
      if (++spins > SPIN && this.blocking) Atomics.wait(c, Header.completed, done, 1);
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
    for (const worker of this.workers) worker.terminate();
    this.workers.length = 0;
    this.host?.release();
  }
}
