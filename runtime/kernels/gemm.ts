/**
 * Gemm: the dense (fully connected) layer, `nn.Linear` and ONNX `Gemm` with `transB = 1`:
 * `y = x · Wᵀ + b` for `x` `[N, F]` and a weight stored `[out, F]` as PyTorch stores it.
 */
import type { FusedActivation } from "../linalg/epilogue.js";
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
