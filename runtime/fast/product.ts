/**
 * One product on the GEMM micro-kernel, `C = act(A · B + bias)`, with A pre-packed (a dense
 * layer's weight, `steps/gemm-step.ts`): splits the reduction into slabs so that a slab of packed
 * A (rows × `PRODUCT_SLAB_DEPTH` floats) stays in L2 while the kernel sweeps the columns, and
 * sets the kernel's flags (bias or accumulate, activation on the last slab only). Activations
 * the kernel does not fuse are left to the caller.
 */
import type { FusedActivation } from "../linalg/epilogue.js";
import { GemmFlags, MR, NR } from "../wasm/gemm-kernel.js";
import type { PlanKernels } from "./plan-module.js";

/** The longest reduction slab: 512 rows of 512 × 384 floats is 768 KiB, within L2. */
export const PRODUCT_SLAB_DEPTH = 384;

/**
 * Where the packed A is: row blocks of `MR` rows, each holding column p's `MR` values side by
 * side (rows past the last zero), at byte offset `offset`, `blockStride` bytes apart.
 */
export interface PackedMatrix {
  offset: number;
  /** The reduction length (A's columns). */
  depth: number;
  /** A's rows rounded up to a multiple of `MR`. */
  paddedRows: number;
  blockStride: number;
}

/** Where the B, C and bias operands are: byte offsets in the heap, row strides in floats. */
export interface ProductOperands {
  b: number;
  c: number;
  /** Row stride of B and C, a multiple of `NR`. */
  ld: number;
  /** Columns to compute, a multiple of `NR`, at most `ld`. */
  columns: number;
  /** `paddedRows` bias values, one per row of C. */
  bias: number;
}

/** Rounds `n` up to a multiple of the kernel's tile width. */
export function roundToTile(n: number): number {
  return Math.ceil(n / NR) * NR;
}

/**
 * A row stride for B and C of at least `n` floats: a multiple of the tile width that is an odd
 * number of tiles. A power-of-two stride (1024 floats for a 32×32 image) would map every row
 * of a column strip to the same L1 cache set, and the kernel reads one strip row by row; the odd
 * stride spreads them, which triples the kernel's speed on such shapes.
 */
export function rowStride(n: number): number {
  const tiles = Math.ceil(n / NR);
  return (tiles % 2 === 0 ? tiles + 1 : tiles) * NR;
}

/** Whether the kernel applies `activation` itself (relu and leaky relu) rather than the caller. */
export function kernelFuses(activation: FusedActivation | undefined): boolean {
  return activation?.kind === "relu" || activation?.kind === "leaky_relu";
}

/**
 * The kernel's flags for a product's last slab, and its `alpha`: relu or leaky relu where the
 * kernel fuses `activation`, nothing otherwise.
 */
export function epilogueFlags(activation: FusedActivation | undefined): { last: number; alpha: number } {
  if (activation?.kind === "relu") return { last: GemmFlags.relu, alpha: 0 };
  if (activation?.kind === "leaky_relu") return { last: GemmFlags.leakyRelu, alpha: activation.alpha };
  return { last: 0, alpha: 0 };
}

/**
 * Runs the product; `activation` is applied here only when {@link kernelFuses} says so. With
 * `accumulate`, the product is added to C (the first slab starts from C instead of the bias).
 * The worker threads' slab loop (`runtime/linalg/product-threads.ts`) is this one, in source text.
 */
export function multiply(
  kernels: Pick<PlanKernels, "gemmTile">,
  a: PackedMatrix,
  op: ProductOperands,
  activation: FusedActivation | undefined,
  accumulate = false,
): void {
  const depth = a.depth;
  const slabs = Math.ceil(depth / PRODUCT_SLAB_DEPTH);
  const slab = Math.ceil(depth / slabs);
  const { last, alpha } = epilogueFlags(activation);
  // Within a packed row block, column p starts MR·p floats in.
  for (let p = 0; p < depth; p += slab) {
    const size = Math.min(slab, depth - p);
    const flags = (p > 0 || accumulate ? GemmFlags.accumulate : 0) | (p + size === depth ? last : 0);
    kernels.gemmTile(
      a.offset + p * MR * 4,
      a.blockStride,
      op.b + p * op.ld * 4,
      op.ld * 4,
      op.c,
      op.ld * 4,
      op.bias,
      a.paddedRows,
      op.columns,
      size,
      flags,
      alpha,
    );
  }
}
