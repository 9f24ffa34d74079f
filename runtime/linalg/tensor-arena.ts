/**
 * Tensors that live in the training products' WebAssembly memory (`wasm-products.ts`), so that
 * the element-wise kernels run on them where they are instead of copying them in and out, and
 * the worker threads, which share that memory, can take part of the work.
 *
 * The product heap's memory is shared (so growing it never detaches a view of it): the products'
 * scratch at the bottom, up to {@link TensorArena}'s first float, and the tensors above it, the
 * memory growing as they come. The arena hands out
 * blocks of whole vectors (a multiple of four floats, so a kernel's last vector stays in its own
 * block) and takes them back by size; `runtime/tensor.ts`'s {@link BufferPool} takes its new
 * buffers from it (see `setPoolAllocator`), and gives them back when the pool is collected.
 */

/** Floats per vector: every block is a whole number of them. */
const VECTOR = 4;

/** The arena of one memory: blocks between float `first` and float `end`. */
export class TensorArena {
  private readonly first: number;
  private next: number;
  /** Returned blocks by their size in floats: their first floats. */
  private readonly free = new Map<number, number[]>();

  /**
   * `reserve(floats)` makes the memory hold at least `floats` floats (growing it in place);
   * `zero(byteOffset, bytes)` clears bytes of it (the products' `memory.fill`, faster than a
   * view's `fill` on shared memory).
   */
  constructor(
    private readonly memory: WebAssembly.Memory,
    first: number,
    private readonly end: number,
    private readonly reserve: (floats: number) => void,
    private readonly zero: (byteOffset: number, bytes: number) => void = (at, bytes) => new Uint8Array(memory.buffer, at, bytes).fill(0),
  ) {
    this.first = Math.ceil(first / VECTOR) * VECTOR;
    this.next = this.first;
  }

  /**
   * A zero-filled view of `size` floats in a block of its own, or undefined when the arena is
   * full (the caller then makes a plain buffer).
   */
  take(size: number): Float32Array | undefined {
    const block = blockFloats(size);
    const reused = this.free.get(block)?.pop();
    let at = reused;
    if (at === undefined) {
      if (this.next + block > this.end) return undefined;
      this.reserve(this.next + block);
      at = this.next;
      this.next += block;
    }
    const view = new Float32Array(this.memory.buffer, at * 4, size);
    // A new block has never been written; a returned one keeps its last values.
    if (reused !== undefined) this.clear(view);
    arenas.set(view, this);
    return view;
  }

  /** Zero-fills `view`, a block of this arena. */
  clear(view: Float32Array): Float32Array {
    this.zero(view.byteOffset, view.byteLength);
    return view;
  }

  /** Takes back the block of `view` (one {@link take} returned), which nothing reads any more. */
  release(view: Float32Array): void {
    const block = blockFloats(view.length);
    const list = this.free.get(block);
    if (list === undefined) this.free.set(block, [view.byteOffset / 4]);
    else list.push(view.byteOffset / 4);
  }

  /** Whether `view` is a block of this arena (one {@link take} returned, not a part of one). */
  holds(view: Float32Array): boolean {
    return arenas.get(view) === this;
  }

  /** Floats of the blocks handed out since the arena was made, returned ones included. */
  get used(): number {
    return this.next - this.first;
  }
}

/** The arena each block's view came from. */
const arenas = new WeakMap<Float32Array, TensorArena>();

/** The arena `view` is a block of, or undefined (a plain buffer, or a part of a block). */
export function arenaOf(view: Float32Array): TensorArena | undefined {
  return arenas.get(view);
}

function blockFloats(size: number): number {
  return Math.max(VECTOR, Math.ceil(size / VECTOR) * VECTOR);
}
