/**
 * A dense layer (`Gemm`, transB 1) on the GEMM micro-kernel (`runtime/wasm/gemm-kernel.ts`), over
 * plain `[N, F]` values: computed as its transpose `yᵀ = W · xᵀ`, so that the weight, packed at
 * compile time in row blocks of `MR`, is the kernel's A and the bias is per row. Each forward
 * stages the input transposed in the dense layers' shared scratch and copies the product back.
 * A batch of one runs on the matrix-vector kernel over the same packed weight instead
 * (`runtime/wasm/gemv-kernel.ts`), where the GEMM would pad its one column to a tile of eight.
 */
import { applyActivation } from "../../linalg/epilogue.js";
import { MR as GEMM_MR } from "../../wasm/gemm-kernel.js";
import { kernelFuses, multiply, roundToTile, rowStride } from "../product.js";
import type { ActionOf, WasmStep } from "./wasm-step.js";

/** A dense layer: its packed weight and bias in the memory, its input and product in the scratch. */
export const gemmStep: WasmStep<ActionOf<"gemm">> = (action, { layout, memory }) => {
  const [units, features] = action.weight.shape;
  const rows = Math.ceil(units / GEMM_MR) * GEMM_MR;
  const n = layout.buffers[action.input].shape[0];
  const ld = rowStride(n);
  const weightsAt = memory.takeWeights(rows * features);
  const biasAt = memory.takeWeights(rows);
  memory.needDenseScratch((features + rows) * ld);
  return ({ heap, kernels, tensor, scratch }) => {
    const base = weightsAt / 4;
    // Row blocks of GEMM_MR rows, each holding column p's GEMM_MR values side by side.
    for (let block = 0; block < rows; block += GEMM_MR) {
      for (let j = 0; j < GEMM_MR; j++) {
        const i = block + j;
        for (let p = 0; p < features; p++)
          heap[base + block * features + p * GEMM_MR + j] = i < units ? action.weight.data[i * features + p] : 0;
      }
    }
    heap.fill(0, biasAt / 4, biasAt / 4 + rows);
    if (action.bias !== undefined) heap.set(action.bias.data, biasAt / 4);
    const inputAt = scratch / 4;
    const productAt = inputAt + features * ld;
    const matrix = {
      offset: weightsAt,
      depth: features,
      paddedRows: rows,
      blockStride: GEMM_MR * features * 4,
    };
    const operands = {
      b: scratch,
      c: productAt * 4,
      ld,
      columns: roundToTile(n),
      bias: biasAt,
    };
    const activation = action.activation;
    if (n === 1) {
      return () => {
        const y = tensor(action.output).data;
        heap.set(tensor(action.input).data, inputAt);
        kernels.gemv(weightsAt, rows / GEMM_MR, features, scratch, productAt * 4, biasAt);
        y.set(heap.subarray(productAt, productAt + units));
        if (activation !== undefined) applyActivation(y, 0, 1, units, units, activation);
      };
    }
    return () => {
      const x = tensor(action.input).data;
      const y = tensor(action.output).data;
      for (let i = 0; i < n; i++) for (let p = 0, from = i * features; p < features; p++) heap[inputAt + p * ld + i] = x[from + p];
      multiply(kernels, matrix, operands, activation);
      for (let o = 0; o < units; o++) for (let i = 0, from = productAt + o * ld; i < n; i++) y[i * units + o] = heap[from + i];
      if (activation !== undefined && !kernelFuses(activation)) applyActivation(y, 0, 1, y.length, y.length, activation);
    };
  };
};
