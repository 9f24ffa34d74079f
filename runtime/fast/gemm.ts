/**
 * The fast `gemm` (dense layer): the same contract as `runtime/kernels/gemm.ts`,
 * `y = x · Wᵀ + b`, computed on the WebAssembly heap as its transpose `yᵀ = W · xᵀ` so that the
 * pre-packed weight `[out, F]` is the kernel's A and the bias is per row, exactly as in conv.
 * The input is transposed into B (`F × batch`) and the product transposed back into `y`; both
 * are `batch × F`-sized copies, small beside the weight.
 */
import { applyActivation } from "../linalg/epilogue.js";
import { gemm as tsGemm, type GemmAttributes } from "../kernels/gemm.js";
import { assertRank, assertShape, outputTensor, type Tensor } from "../tensor.js";
import { wasmHeap, type WasmHeap } from "./heap.js";
import { PackedMatrix } from "./packed-matrix.js";
import { kernelFuses, multiply, roundToTile, rowStride } from "./product.js";

/** A dense weight prepared for {@link gemmPacked}. */
export class PackedGemm {
  private packed: PackedMatrix | undefined;

  /** @internal use {@link prepackGemm} */
  constructor(readonly weight: Tensor) {}

  /** The weight packed in `heap`, packing it on first use. */
  matrix(heap: WasmHeap): PackedMatrix {
    if (this.packed === undefined || this.packed.heap !== heap) {
      const [units, features] = this.weight.shape;
      this.packed = new PackedMatrix(heap, this.weight.data, 0, units, features);
    }
    return this.packed;
  }
}

/** Packs a dense `weight` `[out, F]` once for {@link gemmPacked}; its values must not change afterwards. */
export function prepackGemm(weight: Tensor): PackedGemm {
  assertRank(weight, [2], "gemm: weight");
  const packed = new PackedGemm(weight);
  const heap = wasmHeap();
  if (heap !== undefined) packed.matrix(heap);
  return packed;
}

/** {@link gemm} with a weight from {@link prepackGemm}. */
export function gemmPacked(x: Tensor, weight: PackedGemm, bias?: Tensor, attributes: GemmAttributes = {}, out?: Float32Array): Tensor {
  const heap = wasmHeap();
  if (heap === undefined) return tsGemm(x, weight.weight, bias, attributes, out);
  assertRank(x, [2], "gemm: input");
  const [n, features] = x.shape;
  const units = weight.weight.shape[0];
  assertShape(weight.weight, [units, features], "gemm: weight");
  if (bias !== undefined) assertShape(bias, [units], "gemm: bias");
  const y = outputTensor([n, units], out, "gemm");
  const matrix = weight.matrix(heap);
  const rows = matrix.paddedRows;
  const ld = rowStride(n);
  const base = heap.scratch(features * ld + rows * ld + rows);
  const f = heap.floats();
  const inputAt = base / 4;
  const productAt = inputAt + features * ld;
  const biasAt = productAt + rows * ld;
  for (let i = 0; i < n; i++) {
    for (let p = 0, from = i * features; p < features; p++) f[inputAt + p * ld + i] = x.data[from + p];
  }
  f.fill(0, biasAt, biasAt + rows);
  if (bias !== undefined) f.set(bias.data, biasAt);
  multiply(heap, matrix, { b: inputAt * 4, c: productAt * 4, ld, columns: roundToTile(n), bias: biasAt * 4 }, attributes.activation);
  for (let o = 0; o < units; o++) {
    for (let i = 0, from = productAt + o * ld; i < n; i++) y.data[i * units + o] = f[from + i];
  }
  if (attributes.activation !== undefined && !kernelFuses(attributes.activation)) {
    applyActivation(y.data, 0, 1, y.data.length, 0, attributes.activation);
  }
  return y;
}

/** Packed handles of the weights that {@link gemm} has seen, by their data array. */
const packedByData = new WeakMap<Float32Array, PackedGemm>();

/**
 * A drop-in for `runtime/kernels/gemm.ts`'s `gemm`. Like the fast `conv`, it packs each weight on
 * first sight and keeps the packing while the weight's `Float32Array` lives; the weight must not
 * be modified in place between calls.
 */
export function gemm(x: Tensor, weight: Tensor, bias?: Tensor, attributes: GemmAttributes = {}, out?: Float32Array): Tensor {
  if (wasmHeap() === undefined) return tsGemm(x, weight, bias, attributes, out);
  assertRank(weight, [2], "gemm: weight");
  let packed = packedByData.get(weight.data);
  if (packed === undefined || packed.weight.shape.join() !== weight.shape.join()) {
    packed = prepackGemm(weight);
    packedByData.set(weight.data, packed);
  }
  return gemmPacked(x, packed, bias, attributes, out);
}
