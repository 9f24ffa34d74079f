/**
 * The WebAssembly side of the fast path: one linear memory, the compiled GEMM kernel instantiated
 * over it, and a first-fit allocator for the blocks the kernels read and write (packed weights,
 * which live as long as their handle, and the per-call scratch that grows to the largest layer).
 *
 * The module is built from TypeScript (`runtime/wasm/`) and compiled synchronously on first use;
 * where WebAssembly or SIMD128 is missing, {@link wasmHeap} returns `undefined` and the fast
 * kernels run the TypeScript kernels instead.
 */
import { GEMM_KERNEL, gemmKernelModule } from "../wasm/gemm-kernel.js";

const PAGE = 65536;
/** Every block starts on a cache line, so packed panels never straddle one needlessly. */
const ALIGN = 64;

/** The kernel's signature as JavaScript sees it; pointers and strides are byte offsets. */
export type GemmTile = (
  a: number, aStride: number, b: number, ldb: number, c: number, ldc: number,
  bias: number, m: number, n: number, k: number, flags: number, alpha: number,
) => void;

/** The instantiated kernel and its memory. */
export class WasmHeap {
  readonly gemmTile: GemmTile;
  private readonly memory: WebAssembly.Memory;
  private view: Float32Array;
  /** Free blocks below `top`, sorted by offset, never adjacent (they are merged). */
  private free: { offset: number; size: number }[] = [];
  /** The first byte never handed out; byte 0 stays unused so that no block is at null. */
  private top = ALIGN;
  private scratchOffset = 0;
  private scratchFloats = 0;

  constructor() {
    this.memory = new WebAssembly.Memory({ initial: 16 });
    const module = new WebAssembly.Module(gemmKernelModule({ minimumPages: 16 }) as Uint8Array<ArrayBuffer>);
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.gemmTile = instance.exports[GEMM_KERNEL] as GemmTile;
    this.view = new Float32Array(this.memory.buffer);
  }

  /** The memory as floats; call again after any `alloc`, which may grow (and so replace) it. */
  floats(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /** Reserves `floats` float32 values and returns the block's byte offset. */
  alloc(floats: number): number {
    const size = Math.ceil((Math.max(1, floats) * 4) / ALIGN) * ALIGN;
    const at = this.free.findIndex((block) => block.size >= size);
    if (at >= 0) {
      const block = this.free[at];
      const offset = block.offset;
      if (block.size === size) this.free.splice(at, 1);
      else this.free[at] = { offset: offset + size, size: block.size - size };
      return offset;
    }
    const offset = this.top;
    this.top += size;
    const pages = Math.ceil(this.top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    return offset;
  }

  /** Returns a block from {@link alloc} of the same `floats`; freeing twice corrupts the heap. */
  release(offset: number, floats: number): void {
    const size = Math.ceil((Math.max(1, floats) * 4) / ALIGN) * ALIGN;
    let at = this.free.findIndex((block) => block.offset > offset);
    if (at < 0) at = this.free.length;
    this.free.splice(at, 0, { offset, size });
    // Merge with the following block, then with the preceding one.
    const next = this.free[at + 1];
    if (next !== undefined && offset + size === next.offset) {
      this.free[at].size += next.size;
      this.free.splice(at + 1, 1);
    }
    const previous = this.free[at - 1];
    if (previous !== undefined && previous.offset + previous.size === offset) {
      previous.size += this.free[at].size;
      this.free.splice(at, 1);
      at--;
    }
    // A free block that ends at the top gives its bytes back to the bump region.
    const last = this.free[this.free.length - 1];
    if (last !== undefined && last.offset + last.size === this.top) {
      this.top = last.offset;
      this.free.pop();
    }
  }

  /**
   * The per-call scratch block, at least `floats` long: one block reused by every call (the
   * kernels run one at a time), replaced by a larger one when a layer needs more.
   */
  scratch(floats: number): number {
    if (floats > this.scratchFloats) {
      if (this.scratchFloats > 0) this.release(this.scratchOffset, this.scratchFloats);
      this.scratchFloats = floats;
      this.scratchOffset = this.alloc(floats);
    }
    return this.scratchOffset;
  }

  /** Bytes handed out or held free below the top (the memory itself never shrinks). */
  get used(): number {
    return this.top;
  }
}

let heap: WasmHeap | undefined;
let probed = false;
let enabled = true;

/** Whether this JavaScript engine compiles WebAssembly with SIMD128 (checked once). */
export function wasmAvailable(): boolean {
  if (!probed) {
    probed = true;
    try {
      heap = typeof WebAssembly === "object" ? new WasmHeap() : undefined;
    } catch {
      heap = undefined;
    }
  }
  return heap !== undefined;
}

/**
 * Turns the WebAssembly kernels off (`false`) or back on; when off, or when unavailable, the fast
 * kernels compute with the TypeScript ones. Tests use it to run both paths.
 */
export function setWasmEnabled(on: boolean): void {
  enabled = on;
}

/** The shared heap when the WebAssembly path is available and enabled, else `undefined`. */
export function wasmHeap(): WasmHeap | undefined {
  return enabled && wasmAvailable() ? heap : undefined;
}
