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
  /** The buffers of {@link allocator}'s that this pool holds (taken or free, not kept by a caller), given back to it when the pool is collected. */
  private readonly allocated = new Set<Float32Array>();
  private registered = false;

  /**
   * A zero-filled buffer of `size` floats: a returned one of that size if there is one. With
   * `zeroed` false, a returned one keeps the values its last run left (a new one is still zero),
   * for a kernel that writes every element before it reads any.
   */
  take(size: number, zeroed = true): Float32Array {
    let reused = this.free.get(size)?.pop();
    // A buffer the allocator has moved on from (its memory replaced) makes way for a new one.
    while (reused !== undefined && this.allocated.has(reused) && allocator?.current(reused) === false) {
      this.allocated.delete(reused);
      reused = this.free.get(size)?.pop();
    }
    const buffer = reused === undefined ? this.allocate(size) : zeroed ? this.cleared(reused) : reused;
    this.taken.push(buffer);
    return buffer;
  }

  /** `buffer` zero-filled, by {@link allocator} where it is one of its own. */
  private cleared(buffer: Float32Array): Float32Array {
    return allocator !== undefined && this.allocated.has(buffer) ? allocator.clear(buffer) : buffer.fill(0);
  }

  /** A new zero-filled buffer: {@link allocator}'s where it gives one, else a plain one. */
  private allocate(size: number): Float32Array {
    const made = allocator?.take(size);
    if (made === undefined) return new Float32Array(size);
    this.allocated.add(made);
    if (!this.registered) {
      this.registered = true;
      collected.register(this, { allocator: allocator!, buffers: this.allocated });
    }
    return made;
  }

  /**
   * Ends a run: every buffer taken since the last call comes back, except those under `keep`
   * (the run's results, views included), which stay the caller's until {@link giveBack}.
   */
  endRun(keep: Iterable<Tensor>): void {
    // A buffer is kept where a result lies in it (several buffers may share one allocator's memory).
    const kept = new Map<ArrayBufferLike, Float32Array[]>();
    for (const t of keep) {
      const list = kept.get(t.data.buffer);
      if (list === undefined) kept.set(t.data.buffer, [t.data]);
      else list.push(t.data);
    }
    const holds = (buffer: Float32Array, view: Float32Array) => view.byteOffset >= buffer.byteOffset && view.byteOffset < buffer.byteOffset + Math.max(buffer.byteLength, 1);
    for (const buffer of this.taken) {
      if (kept.get(buffer.buffer)?.some((view) => holds(buffer, view))) this.allocated.delete(buffer);
      else this.put(buffer);
    }
    this.taken = [];
  }

  /** Returns results of an earlier run that the caller no longer reads. */
  giveBack(tensors: Iterable<Tensor>): void {
    for (const t of tensors) {
      const data = t.data;
      if (allocator?.owns(data)) {
        this.allocated.add(data);
        this.put(data);
      } else if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) this.put(data);
    }
  }

  private put(buffer: Float32Array): void {
    const list = this.free.get(buffer.length);
    if (list === undefined) this.free.set(buffer.length, [buffer]);
    else if (!list.includes(buffer)) list.push(buffer);
  }
}

let activePool: BufferPool | undefined;

/** Where a pool may take its new buffers from ({@link setPoolAllocator}). */
export interface PoolAllocator {
  /** A zero-filled buffer of `size` floats, or undefined (the pool then makes a plain one). */
  take(size: number): Float32Array | undefined;
  /** Takes back a buffer `take` returned, which nothing reads any more. */
  release(buffer: Float32Array): void;
  /** Whether `buffer` is one that `take` returned (not a part of one). */
  owns(buffer: Float32Array): boolean;
  /** Whether `buffer`, one that `take` returned, is still where the allocator would make one now (else the pool drops it and takes a new one). */
  current(buffer: Float32Array): boolean;
  /** Zero-fills `buffer`, one that `take` returned (where a view's `fill` would be slow). */
  clear(buffer: Float32Array): Float32Array;
}

let allocator: PoolAllocator | undefined;

/**
 * Makes pools take their new buffers from `from` where it gives them (the training products' tensor
 * arena, `runtime/linalg/tensor-arena.ts`: buffers in their WebAssembly memory), or (undefined)
 * plain `Float32Array`s. A collected pool gives its buffers back, except those a run kept for
 * its caller and the caller did not give back.
 */
export function setPoolAllocator(from: PoolAllocator | undefined): void {
  allocator = from;
}

/** Gives a collected pool's buffers (or a {@link lastingFloats} owner's) back to the allocator they came from. */
const collected = new FinalizationRegistry<{ allocator: PoolAllocator; buffers: Set<Float32Array> }>(({ allocator, buffers }) => {
  for (const buffer of buffers) allocator.release(buffer);
});

/**
 * A zero-filled buffer of `size` floats that lives as long as `owner` (an optimizer's state): from
 * the allocator pools take theirs from ({@link setPoolAllocator}) where it gives one, so that the
 * kernels that update it run on it where it is, and given back when `owner` is collected; else a
 * plain `Float32Array`.
 */
export function lastingFloats(size: number, owner: object): Float32Array {
  const from = allocator;
  const buffer = from?.take(size);
  if (from === undefined || buffer === undefined) return new Float32Array(size);
  collected.register(owner, { allocator: from, buffers: new Set([buffer]) });
  return buffer;
}

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
