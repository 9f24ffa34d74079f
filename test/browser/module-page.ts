/**
 * The page side of `generated-module.test.ts`, bundled by esbuild with one generated module: it
 * loads the module's weights as asked (by URL, as bytes, or the module's own default), runs
 * `forward` and reports the output with what it can see of the threads: the Web Workers the
 * runtime started and the chunks they ran. The same bundle runs on a page's thread (the test
 * imports it and calls `run`) and as a module Web Worker (it answers one message per run).
 */

/** What the test asks for. */
export interface RunOptions {
  /** `url`: `load(url)`; `bytes`: `load(await (await fetch(url)).bytes)`; `default`: `load()`. */
  source: "url" | "bytes" | "default";
  /** The checkpoint's URL, for `url` and `bytes`. */
  weights: string;
  threads: number;
  shape: number[];
  input: number[];
  /** With `threads > 1`: forward again (up to this many times, yielding between) until a worker has run a chunk. */
  waitForWorkers: number;
  /** The index of the runtime's word that counts the chunks workers ran, in a thread pool's control block. */
  byWorkersWord: number;
}

/** What the page reports. */
export interface RunResult {
  engine: string;
  isolated: boolean;
  /** The first forward's output, and the last's. */
  first: number[];
  last: number[];
  forwards: number;
  /** Web Workers the runtime started from Blob URLs during this run. */
  workersStarted: number;
  /** Chunks those workers ran during this run. */
  workerChunks: number;
}

interface Model {
  engine: string;
  forward(x: { shape: number[]; data: Float32Array }): { data: Float32Array };
  close(): void;
}
type Load = (source?: string | Uint8Array, options?: { engine?: "wasm"; threads?: number }) => Promise<Model>;

/** The thread pools' control blocks and the count of Blob-URL workers, seen by wrapping the constructors once per realm. */
interface Observed {
  blocks: SharedArrayBuffer[];
  workers: number;
}

function observe(): Observed {
  const scope = globalThis as unknown as Record<string, unknown> & { __nncObserved?: Observed };
  if (scope.__nncObserved !== undefined) return scope.__nncObserved;
  const seen: Observed = { blocks: [], workers: 0 };
  scope.__nncObserved = seen;
  if (typeof SharedArrayBuffer === "function") {
    // A proxy, not a subclass: `buffer instanceof SharedArrayBuffer` must stay true of a WebAssembly memory's buffer.
    scope.SharedArrayBuffer = new Proxy(SharedArrayBuffer, {
      construct(target, args: [number]) {
        const buffer = new target(...args);
        if (buffer.byteLength <= 1024) seen.blocks.push(buffer);
        return buffer;
      },
    });
  }
  if (typeof scope.Worker === "function") {
    scope.Worker = new Proxy(scope.Worker as new (url: string | URL, options?: object) => object, {
      construct(target, args: [string | URL, object?]) {
        if (String(args[0]).startsWith("blob:")) seen.workers++;
        return new target(...args);
      },
    });
  }
  return seen;
}

function chunksByWorkers(seen: Observed, word: number): number {
  return seen.blocks.reduce((sum, block) => sum + (block.byteLength > 4 * word ? Atomics.load(new Int32Array(block), word) : 0), 0);
}

/** Loads the module's weights as asked, runs `forward`, and reports. */
export async function runModel(load: Load, options: RunOptions): Promise<RunResult> {
  const seen = observe();
  const [workersBefore, chunksBefore] = [seen.workers, chunksByWorkers(seen, options.byWorkersWord)];
  const engine = { engine: "wasm" as const, threads: options.threads };
  const model =
    options.source === "url"
      ? await load(options.weights, engine)
      : options.source === "bytes"
        ? await load(new Uint8Array(await (await fetch(options.weights)).arrayBuffer()), engine)
        : await load(undefined, engine);
  const x = { shape: options.shape, data: Float32Array.from(options.input) };
  const first = Array.from(model.forward(x).data);
  let last = first;
  let forwards = 1;
  // Workers start when the page lets them (asynchronously): the first forwards may run without them.
  while (options.threads > 1 && forwards < options.waitForWorkers && chunksByWorkers(seen, options.byWorkersWord) === chunksBefore) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    last = Array.from(model.forward(x).data);
    forwards++;
  }
  const result: RunResult = {
    engine: model.engine,
    isolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
    first,
    last,
    forwards,
    workersStarted: seen.workers - workersBefore,
    workerChunks: chunksByWorkers(seen, options.byWorkersWord) - chunksBefore,
  };
  model.close();
  return result;
}

/** In a Web Worker: one run per message, answered with its result or `{ error }`. */
export function serveRuns(load: Load): void {
  const scope = globalThis as unknown as { onmessage: ((event: { data: RunOptions }) => void) | null; postMessage(data: unknown): void };
  scope.onmessage = (event) => {
    runModel(load, event.data).then(
      (result) => scope.postMessage(result),
      (error: unknown) => scope.postMessage({ error: error instanceof Error ? `${error.message}\n${error.stack}` : String(error) }),
    );
  };
}
