/**
 * The fast `conv`: the same contract as `runtime/kernels/conv.ts`, computed as im2col + the
 * WebAssembly SIMD GEMM with bias and relu / leaky relu fused into the tile's write-back.
 *
 * The weight `[M, C, kh, kw]` is the packed A (`M × C·kh·kw`); B is the im2col matrix of a chunk
 * of images side by side (so the small late layers of a batch make one wide product instead of
 * many narrow ones), and C is `M × columns`, whose rows are copied out into the NCHW planes.
 * Grouped and depthwise convolutions, and any call while WebAssembly is off, run the TypeScript
 * kernel, which gives the same results to within float32 rounding.
 */
import { applyActivation } from "../linalg/epilogue.js";
import { conv as tsConv, type ConvAttributes } from "../kernels/conv.js";
import { assertRank, assertShape, outputTensor, type Tensor } from "../tensor.js";
import { window2d } from "../window.js";
import { wasmHeap, type WasmHeap } from "./heap.js";
import { PackedMatrix } from "./packed-matrix.js";
import { kernelFuses, multiply, roundToTile, rowStride } from "./product.js";
import { writeColumns } from "../linalg/im2col.js";

/** The most floats of im2col matrix one chunk of images may take (256 KiB, well within L2). */
const COLUMN_BUDGET = 1 << 16;

/** A conv weight prepared for {@link convPacked}: opaque, reusable across calls and batch sizes. */
export class PackedConv {
  private packed: PackedMatrix | undefined;

  /** @internal use {@link prepackConv} */
  constructor(
    readonly weight: Tensor,
    readonly group: number,
  ) {}

  /** The weight packed in `heap`, packing it on first use. `undefined` for grouped convs. */
  matrix(heap: WasmHeap): PackedMatrix | undefined {
    if (this.group !== 1) return undefined;
    if (this.packed === undefined || this.packed.heap !== heap) {
      const [m, c, kh, kw] = this.weight.shape;
      this.packed = new PackedMatrix(heap, this.weight.data, 0, m, c * kh * kw);
    }
    return this.packed;
  }
}

/**
 * Packs `weight` `[M, C/group, kh, kw]` once, at load time, for {@link convPacked}. The handle
 * keeps a reference to `weight` (for the fallback path); its values must not change afterwards.
 */
export function prepackConv(weight: Tensor, attributes: Pick<ConvAttributes, "group"> = {}): PackedConv {
  assertRank(weight, [4], "conv: weight");
  const packed = new PackedConv(weight, attributes.group ?? 1);
  const heap = wasmHeap();
  if (heap !== undefined) packed.matrix(heap);
  return packed;
}

/** {@link conv} with a weight from {@link prepackConv}; `attributes.group` must match it. */
export function convPacked(
  x: Tensor,
  weight: PackedConv,
  bias?: Tensor,
  attributes: ConvAttributes = {},
  out?: Float32Array,
): Tensor {
  const group = attributes.group ?? 1;
  if (group !== weight.group) throw new Error(`conv: the weight was packed for group ${weight.group}, called with group ${group}`);
  const heap = wasmHeap();
  const matrix = heap === undefined ? undefined : weight.matrix(heap);
  if (heap === undefined || matrix === undefined) return tsConv(x, weight.weight, bias, attributes, out);

  assertRank(x, [4], "conv: input");
  const [n, c, h, w] = x.shape;
  const [m, , kh, kw] = weight.weight.shape;
  assertShape(weight.weight, [m, c, kh, kw], "conv: weight");
  if (bias !== undefined) assertShape(bias, [m], "conv: bias");
  const win = window2d("conv", h, w, [kh, kw], attributes.strides ?? 1, attributes.pads ?? 0, attributes.dilations ?? 1);
  const y = outputTensor([n, m, win.oh, win.ow], out, "conv");
  const positions = win.oh * win.ow;
  const depth = c * kh * kw;

  const perChunk = Math.max(1, Math.min(n, Math.floor(COLUMN_BUDGET / (depth * positions))));
  const ld = rowStride(perChunk * positions);
  const rows = matrix.paddedRows;
  const base = heap.scratch(depth * ld + rows * ld + rows);
  const f = heap.floats();
  const colAt = base / 4;
  const productAt = colAt + depth * ld;
  const biasAt = productAt + rows * ld;
  f.fill(0, biasAt, biasAt + rows);
  if (bias !== undefined) f.set(bias.data, biasAt);

  for (let first = 0; first < n; first += perChunk) {
    const images = Math.min(perChunk, n - first);
    for (let i = 0; i < images; i++) {
      writeColumns(x.data, (first + i) * c * h * w, c, h, w, win, f, colAt, i * positions, ld);
    }
    const columns = roundToTile(images * positions);
    multiply(heap, matrix, { b: colAt * 4, c: productAt * 4, ld, columns, bias: biasAt * 4 }, attributes.activation);
    for (let i = 0; i < images; i++) {
      for (let o = 0; o < m; o++) {
        const from = productAt + o * ld + i * positions;
        y.data.set(f.subarray(from, from + positions), ((first + i) * m + o) * positions);
      }
    }
  }
  if (attributes.activation !== undefined && !kernelFuses(attributes.activation)) {
    applyActivation(y.data, 0, 1, y.data.length, 0, attributes.activation);
  }
  return y;
}

/** Packed handles of the weights that {@link conv} has seen, by their data array. */
const packedByData = new WeakMap<Float32Array, PackedConv>();

/**
 * A drop-in for `runtime/kernels/conv.ts`'s `conv` (same arguments, same results to 1e-4). It
 * packs each weight on first sight and keeps the packing for as long as the weight's
 * `Float32Array` lives, so a weight must not be modified in place between calls; use
 * {@link prepackConv} to manage packing explicitly.
 */
export function conv(x: Tensor, weight: Tensor, bias?: Tensor, attributes: ConvAttributes = {}, out?: Float32Array): Tensor {
  const group = attributes.group ?? 1;
  if (group !== 1 || wasmHeap() === undefined) return tsConv(x, weight, bias, attributes, out);
  assertRank(weight, [4], "conv: weight");
  let packed = packedByData.get(weight.data);
  if (packed === undefined || packed.weight.shape.join() !== weight.shape.join()) {
    packed = prepackConv(weight, attributes);
    packedByData.set(weight.data, packed);
  }
  return convPacked(x, packed, bias, attributes, out);
}
