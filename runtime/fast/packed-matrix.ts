/**
 * A weight matrix pre-packed in the WebAssembly heap in the GEMM kernel's A layout: row blocks of
 * `MR` rows, each holding, for every column p, the block's `MR` values of column p side by side
 * (rows past the last are zero, so the kernel never needs a ragged edge).
 *
 * The block is released when the handle is garbage-collected, so a model that is dropped gives
 * its packed weights back to the heap.
 */
import { MR } from "../wasm/gemm-kernel.js";
import type { WasmHeap } from "./heap.js";

const reclaim = new FinalizationRegistry<{ heap: WasmHeap; offset: number; floats: number }>(({ heap, offset, floats }) =>
  heap.release(offset, floats),
);

/** A row-major `rows × depth` matrix packed for the kernel's A operand. */
export class PackedMatrix {
  /** Rows rounded up to a multiple of `MR`. */
  readonly paddedRows: number;
  /** Byte offset of the packed block in the heap. */
  readonly offset: number;

  /** Packs `rows × depth` values of `data` from `dataOffset` (row stride `depth`). */
  constructor(
    readonly heap: WasmHeap,
    data: Float32Array,
    dataOffset: number,
    readonly rows: number,
    readonly depth: number,
  ) {
    this.paddedRows = Math.ceil(rows / MR) * MR;
    const floats = this.paddedRows * depth;
    this.offset = heap.alloc(floats);
    const packed = heap.floats();
    const base = this.offset / 4;
    for (let block = 0; block < this.paddedRows; block += MR) {
      const blockBase = base + block * depth;
      for (let r = 0; r < MR; r++) {
        const i = block + r;
        if (i >= rows) {
          for (let p = 0; p < depth; p++) packed[blockBase + p * MR + r] = 0;
          continue;
        }
        const from = dataOffset + i * depth;
        for (let p = 0; p < depth; p++) packed[blockBase + p * MR + r] = data[from + p];
      }
    }
    reclaim.register(this, { heap, offset: this.offset, floats });
  }

  /** Byte distance between consecutive row blocks. */
  get blockStride(): number {
    return MR * this.depth * 4;
  }
}
