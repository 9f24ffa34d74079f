/**
 * The one value type of the runtime: a dense, row-major float32 tensor.
 *
 * A tensor is any object with a `shape` and a `data` array whose length is the product of the
 * shape, so a caller may pass a plain literal; kernels never look for a class or a prototype.
 */

/** A dense row-major float32 tensor. Images are NCHW, feature batches `[N, F]`. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** The number of elements of a tensor with this shape (1 for a scalar's empty shape). */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/**
 * Makes a tensor of `shape`, over `data` when given (not copied), else zero-filled.
 * Throws when a dimension is not a non-negative integer or the data has the wrong length.
 */
export function tensor(shape: readonly number[], data?: Float32Array): Tensor {
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) {
      throw new Error(`invalid shape [${shape.join(", ")}]: dimensions must be non-negative integers`);
    }
  }
  const size = sizeOf(shape);
  if (data === undefined) return { shape: [...shape], data: new Float32Array(size) };
  if (data.length !== size) {
    throw new Error(`shape [${shape.join(", ")}] needs ${size} values, got ${data.length}`);
  }
  return { shape: [...shape], data };
}

/**
 * Checks that `t` has the expected rank and dimensions; `null` in `expected` accepts any size.
 * `what` names the tensor in the message, e.g. `conv: weight`.
 */
export function assertShape(t: Tensor, expected: readonly (number | null)[], what: string): void {
  const ok =
    t.shape.length === expected.length && expected.every((dim, i) => dim === null || dim === t.shape[i]);
  if (!ok) {
    const want = expected.map((dim) => (dim === null ? "?" : String(dim))).join(", ");
    throw new Error(`${what}: expected shape [${want}], got [${t.shape.join(", ")}]`);
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new Error(`${what}: shape [${t.shape.join(", ")}] does not match its ${t.data.length} values`);
  }
}

/** Checks that `t` has one of the given ranks, and that its data length matches its shape. */
export function assertRank(t: Tensor, ranks: readonly number[], what: string): void {
  if (!ranks.includes(t.shape.length)) {
    const want = ranks.join(" or ");
    throw new Error(`${what}: expected rank ${want}, got rank ${t.shape.length} [${t.shape.join(", ")}]`);
  }
  if (t.data.length !== sizeOf(t.shape)) {
    throw new Error(`${what}: shape [${t.shape.join(", ")}] does not match its ${t.data.length} values`);
  }
}

/**
 * A zero-filled tensor of `shape`, or one over the caller's `out` buffer when given.
 *
 * Kernels take an optional `out` so that a memory planner can hand them a reused buffer. A
 * buffer longer than needed is used through its prefix (planners pool by capacity); a shorter
 * one is a planner bug, so it throws rather than reallocating silently. A reused buffer is not
 * cleared: every kernel writes each output element.
 */
export function outputTensor(shape: readonly number[], out: Float32Array | undefined, what: string): Tensor {
  const size = sizeOf(shape);
  if (out === undefined) return { shape: [...shape], data: freshFloats(size) };
  if (out.length < size) {
    throw new Error(`${what}: output buffer holds ${out.length} values, needs ${size} for [${shape.join(", ")}]`);
  }
  return { shape: [...shape], data: out.length === size ? out : out.subarray(0, size) };
}

/**
 * Buffers that a run of a graph takes for its values and gives back when it ends, so that the
 * next run (a training step over the same graph) reuses them instead of allocating: a fresh
 * `Float32Array` of a few megabytes costs far more than its zero fill (the memory is mapped and
 * faulted in page by page, and collected later), and a training step allocates one per value.
 * A buffer is handed out only while {@link withBufferPool} runs; it comes zero-filled, as a new one,
 * unless the kernel asks for one it overwrites in full ({@link overwrittenFloats}).
 */
export class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  private taken: Float32Array[] = [];

  /**
   * A zero-filled buffer of `size` floats: a returned one of that size if there is one. With
   * `zeroed` false, a returned one keeps the values its last run left (a new one is still zero),
   * for a kernel that writes every element before it reads any.
   */
  take(size: number, zeroed = true): Float32Array {
    const reused = this.free.get(size)?.pop();
    const buffer = reused === undefined ? new Float32Array(size) : zeroed ? reused.fill(0) : reused;
    this.taken.push(buffer);
    return buffer;
  }

  /**
   * Ends a run: every buffer taken since the last call comes back, except those under `keep`
   * (the run's results, views included), which stay the caller's until {@link giveBack}.
   */
  endRun(keep: Iterable<Tensor>): void {
    const kept = new Set<ArrayBufferLike>();
    for (const t of keep) kept.add(t.data.buffer);
    for (const buffer of this.taken) if (!kept.has(buffer.buffer)) this.put(buffer);
    this.taken = [];
  }

  /** Returns results of an earlier run that the caller no longer reads. */
  giveBack(tensors: Iterable<Tensor>): void {
    for (const t of tensors) {
      const data = t.data;
      if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) this.put(data);
    }
  }

  private put(buffer: Float32Array): void {
    const list = this.free.get(buffer.length);
    if (list === undefined) this.free.set(buffer.length, [buffer]);
    else if (!list.includes(buffer)) list.push(buffer);
  }
}

let activePool: BufferPool | undefined;

/** Runs `run` with kernels' fresh buffers ({@link freshFloats}) taken from `pool`. */
export function withBufferPool<T>(pool: BufferPool, run: () => T): T {
  const previous = activePool;
  activePool = pool;
  try {
    return run();
  } finally {
    activePool = previous;
  }
}

/** A zero-filled `Float32Array` for a kernel's output or scratch: from the active pool, if any. */
export function freshFloats(size: number): Float32Array {
  return activePool === undefined ? new Float32Array(size) : activePool.take(size);
}

/**
 * Like {@link freshFloats}, for an output that the kernel writes in full before it reads any of
 * it: a pool's buffer comes as its last run left it, which saves the zero fill, a whole pass
 * over memory.
 */
export function overwrittenFloats(size: number): Float32Array {
  return activePool === undefined ? new Float32Array(size) : activePool.take(size, false);
}
