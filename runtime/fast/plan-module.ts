/**
 * The plan executor's WebAssembly module: the GEMM micro-kernel of the dense layers, the direct
 * and Winograd convs, the window kernels (pools, depthwise convs), the element-wise kernels (add,
 * relu, activations, channel copies), the normalization kernels and the conversion into the
 * blocked layout, all generated from TypeScript (`runtime/wasm/`) into one module over one
 * imported memory, which a plan sizes exactly and may share with worker threads.
 */
import { GEMM_KERNEL, gemmKernelBody, MR, NR } from "../wasm/gemm-kernel.js";
import { CONV_MR, convFunctionCount, convFunctions, type ConvKernelOptions } from "../wasm/conv-kernel.js";
import { copyPixelsFunction, elementwiseFunctions, gatherChannelsFunction } from "../wasm/elementwise-kernels.js";
import { normFunctions } from "../wasm/norm-kernels.js";
import { windowFunctions } from "../wasm/window-kernels.js";
import { layoutFunction } from "../wasm/layout-kernel.js";
import { encodeModule } from "../wasm/module.js";
import { WINO_ROWS, winogradFunctions } from "../wasm/winograd-kernel.js";
import { GEMV_KERNEL, gemvFunction } from "../wasm/gemv-kernel.js";

/** The GEMM micro-kernel's signature as JavaScript sees it; pointers and strides are byte offsets. */
export type GemmTile = (
  a: number, aStride: number, b: number, ldb: number, c: number, ldc: number,
  bias: number, m: number, n: number, k: number, flags: number, alpha: number,
) => void;

/** The exports a plan calls; pointers and strides in bytes. */
export interface PlanKernels {
  gemmTile: GemmTile;
  /** A dense layer at batch 1 over the GEMM's packed weight (`gemv-kernel.ts`). */
  gemv(a: number, blocks: number, depth: number, x: number, y: number, bias: number): void;
  convRows(desc: number, rowStart: number, rowEnd: number, obStart: number, obEnd: number): void;
  winoRows(desc: number, rowStart: number, rowEnd: number, thread: number): void;
  /** F(4×4, 3×3)'s `winoRows`, `winoU`, `winoBlocks` and `winoPassIn`. */
  wino4Rows(desc: number, rowStart: number, rowEnd: number, thread: number): void;
  wino4U(src: number, dst: number, channels: number, uXi: number): void;
  wino4Blocks(desc: number, obStart: number, obEnd: number, thread: number): void;
  wino4PassIn(desc: number, rowStart: number, rowEnd: number): void;
  winoU(src: number, dst: number, channels: number, uXi: number): void;
  winoBlocks(desc: number, obStart: number, obEnd: number, thread: number): void;
  winoPassIn(desc: number, rowStart: number, rowEnd: number): void;
  poolRows(desc: number, rowStart: number, rowEnd: number): void;
  depthwiseRows(desc: number, rowStart: number, rowEnd: number): void;
  add(a: number, b: number, out: number, quads: number, relu: number): void;
  relu(a: number, out: number, quads: number): void;
  activate(a: number, out: number, quads: number, kind: number): void;
  clamp(a: number, out: number, quads: number, scale: number, shift: number, lo: number, hi: number): void;
  rowMoments(x: number, rows: number, width: number, pixel: number, quads: number, center: number, out: number, squares: number): void;
  channelAffine(x: number, out: number, pixels: number, pixel: number, quads: number, scale: number, shift: number, floor: number): void;
  copyPixels(src: number, srcPixel: number, dst: number, dstPixel: number, pixels: number, quads: number): void;
  pixelNorm(x: number, out: number, pixels: number, pixel: number, quads: number, mask: number, scale: number, shift: number, channels: number, epsilon: number): void;
  gatherChannels(src: number, srcPixel: number, dst: number, dstPixel: number, pixels: number, table: number, count: number): void;
  toBlockedRows(desc: number, rowStart: number, rowEnd: number): void;
}

/**
 * The module's bytes for a memory of exactly `pages` pages, shared or not, with the conv
 * generated as `conv` says (tile width, relaxed SIMD, which the dense layers' GEMM follows).
 */
export function planModuleBytes(pages: number, shared: boolean, conv: ConvKernelOptions = {}): Uint8Array {
  const mr = conv.mr ?? CONV_MR;
  const fma = conv.fma ?? false;
  const winograd = 1 + convFunctionCount(conv);
  // The functions in this order, which fixes the module's bytes (F(4×4, 3×3), the layout
  // conversion and the GEMV come last).
  const functions = [
    { name: GEMM_KERNEL, results: [], body: gemmKernelBody(MR, NR, fma) },
    ...convFunctions(1, { mr, fma }),
    ...winogradFunctions(winograd, mr, fma),
    ...windowFunctions(fma),
    ...elementwiseFunctions(fma),
    ...normFunctions(),
    copyPixelsFunction(),
    gatherChannelsFunction(),
  ];
  functions.push(...winogradFunctions(functions.length, mr, fma, 4), layoutFunction(), gemvFunction(fma));
  return encodeModule({ minimumPages: pages, maximumPages: shared ? pages : undefined, shared }, functions);
}

/** Instantiates `module` over `memory` and returns its kernels. */
export function instantiatePlanKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): PlanKernels {
  const e = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, unknown>;
  return {
    gemmTile: e[GEMM_KERNEL] as PlanKernels["gemmTile"],
    gemv: e[GEMV_KERNEL] as PlanKernels["gemv"],
    convRows: e.conv_rows as PlanKernels["convRows"],
    winoRows: e[WINO_ROWS] as PlanKernels["winoRows"],
    wino4Rows: e.wino4_rows as PlanKernels["wino4Rows"],
    wino4U: e.wino4_u as PlanKernels["wino4U"],
    wino4Blocks: e.wino4_blocks as PlanKernels["wino4Blocks"],
    wino4PassIn: e.wino4_pass_in as PlanKernels["wino4PassIn"],
    winoU: e.wino_u as PlanKernels["winoU"],
    winoBlocks: e.wino_blocks as PlanKernels["winoBlocks"],
    winoPassIn: e.wino_pass_in as PlanKernels["winoPassIn"],
    poolRows: e.pool_rows as PlanKernels["poolRows"],
    depthwiseRows: e.depthwise_rows as PlanKernels["depthwiseRows"],
    add: e.add as PlanKernels["add"],
    relu: e.relu as PlanKernels["relu"],
    activate: e.activate as PlanKernels["activate"],
    clamp: e.clamp as PlanKernels["clamp"],
    rowMoments: e.row_moments as PlanKernels["rowMoments"],
    channelAffine: e.channel_affine as PlanKernels["channelAffine"],
    copyPixels: e.copy_pixels as PlanKernels["copyPixels"],
    pixelNorm: e.pixel_norm as PlanKernels["pixelNorm"],
    gatherChannels: e.gather_channels as PlanKernels["gatherChannels"],
    toBlockedRows: e.to_blocked_rows as PlanKernels["toBlockedRows"],
  };
}
