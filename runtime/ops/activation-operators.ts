/**
 * The compiler's part of the element-wise activations (layers and IR operators, with their ONNX
 * forms), in the order of the reference docs: what `index.ts` lists and what a fused conv's or
 * dense layer's ONNX form looks its activation up in. Their runtime parts are in
 * `activation-table.ts`.
 */
import { ELU, GELU, LEAKY_RELU, RELU, SIGMOID, SILU, TANH } from "./activations.js";
import { HARDSIGMOID } from "./hardsigmoid.js";
import { HARDSWISH } from "./hardswish.js";
import { CLAMP, HARDTANH } from "./hardtanh.js";
import type { PointwiseEntry } from "./pointwise.js";
import { RELU6 } from "./relu6.js";
import type { Epilogue } from "./types.js";

export const ACTIVATION_OPERATORS: readonly PointwiseEntry[] = [RELU, SIGMOID, TANH, GELU, SILU, LEAKY_RELU, ELU, RELU6, HARDTANH, CLAMP, HARDSWISH, HARDSIGMOID];

const EPILOGUES: ReadonlyMap<string, Epilogue> = new Map(
  ACTIVATION_OPERATORS.flatMap(({ operator }) => (operator.epilogue ? [[operator.op, operator.epilogue] as const] : [])),
);

/** The compiler's part of the fusable activation `op`, if it is one. */
export function epilogueOf(op: string): Epilogue | undefined {
  return EPILOGUES.get(op);
}
