/**
 * Gemm: the dense (fully connected) layer, `nn.Linear` and ONNX `Gemm` with `transB = 1`:
 * `y = x · Wᵀ + b` for `x` `[N, F]` and a weight stored `[out, F]` as PyTorch stores it.
 *
 * Where WebAssembly SIMD is available, a product of at least `WASM_PRODUCT_MIN_MACS`
 * multiply-adds runs on the GEMM micro-kernel (`runtime/linalg/wasm-products.ts`) as
 * `yᵀ = W · xᵀ`, bias per row and relu fused, float32 sums; else the TypeScript product.
 */
import { applyActivation, type FusedActivation } from "../linalg/epilogue.js";
import { kernelFuses } from "../fast/product.js";
import { packScratchFloats, productHeap } from "../linalg/wasm-products.js";
import { gemmCore } from "../linalg/gemm-core.js";
import { assertRank, assertShape, outputTensor, type Tensor } from "../tensor.js";

/** Attributes of {@link gemm}. */
export interface GemmAttributes {
  /** Activation applied as the output is written (default none). */
  activation?: FusedActivation;
}

/**
 * Computes `x` `[N, F]` times the transpose of `weight` `[out, F]`, plus `bias` `[out]` when
 * given; returns `[N, out]`, in `out` when a buffer is passed.
 */
export function gemm(
  x: Tensor,
  weight: Tensor,
  bias?: Tensor,
  attributes: GemmAttributes = {},
  out?: Float32Array,
): Tensor {
  assertRank(x, [2], "gemm: input");
  assertRank(weight, [2], "gemm: weight");
  const [n, f] = x.shape;
  const units = weight.shape[0];
  assertShape(weight, [units, f], "gemm: weight");
  if (bias !== undefined) assertShape(bias, [units], "gemm: bias");
  const y = outputTensor([n, units], out, "gemm");
  const scratch = packScratchFloats(units, n, f);
  const heap = productHeap(units, n, f, scratch);
  if (heap !== undefined) {
    const l = heap.layout(units, n, f, scratch);
    heap.packA(l, weight.data, 0, f, false, l.extra);
    heap.packB(l, x.data, 0, f, true, l.extra);
    heap.setBias(l, bias?.data);
    heap.run(l, attributes.activation);
    const h = heap.floats;
    for (let j = 0; j < units; j++) {
      const from = l.c + j * l.ld;
      for (let i = 0; i < n; i++) y.data[i * units + j] = h[from + i];
    }
    if (attributes.activation !== undefined && !kernelFuses(attributes.activation)) {
      applyActivation(y.data, 0, 1, y.data.length, 0, attributes.activation);
    }
    return y;
  }
  gemmCore({
    m: n,
    n: units,
    k: f,
    a: x.data,
    aOffset: 0,
    lda: f,
    b: weight.data,
    bOffset: 0,
    ldb: f,
    transB: true,
    c: y.data,
    cOffset: 0,
    ldc: units,
    bias: bias === undefined ? undefined : { data: bias.data, offset: 0, per: "column" },
    activation: attributes.activation,
  });
  return y;
}
