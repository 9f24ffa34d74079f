/**
 * `add` (`a + b` of equal shapes; the IR's `Add`), and the broadcasting `Sub`, `Mul` and `Div`
 * that lowering (`standardize`) and the inference folds (an unfolded normalization's affine) use
 * for per-channel arithmetic. Gradients reduce over the axes an operand was broadcast along; an
 * `Add` of equal shapes passes the output's gradient on to both operands without a node.
 */
import { formatShape, perSample, sameShape } from "./dims.js";
import { readsInputs, sumRule } from "./grad-structure.js";
import { inputsCall } from "./kernel-call.js";
import { fail } from "./rules.js";
import type { IrOperator, KernelEntry, LayerOperator } from "./types.js";

export const ADD_LAYER: LayerOperator = {
  name: "add",
  doc: "element-wise sum of two tensors of equal shape (also written a + b)",
  family: "structure",
  inputs: 2,
  args: [],
  infer: (_attrs, [a, b]) => {
    if (!sameShape(a, b)) return fail("E0202", `add needs operands of equal shape, got ${formatShape(a)} and ${formatShape(b)}`);
    return { shape: a, params: [], flops: perSample(a) };
  },
  lower: (ctx) => ctx.emit("Add", [...ctx.inputs]),
  torch: { call: (t) => `${t.inputs[0]} + ${t.inputs[1]}` },
  example: { inputs: 2 },
};

/** The runtime's part of `Add`, `Sub`, `Mul` and `Div` (the plan runs an `Add` of equal shapes itself). */
export const ARITHMETIC_KERNELS: readonly KernelEntry[] = ["Add", "Sub", "Mul", "Div"].map((op) => ({
  op,
  kernel: () => inputsCall(op.toLowerCase(), 2),
  plan: op === "Add" ? { kind: "add" } : undefined,
}));

export const ARITHMETIC_OPERATORS = {
  layers: [ADD_LAYER],
  ir: ARITHMETIC_KERNELS.map(
    (kernel): IrOperator => ({
      ...kernel,
      backward: kernel.op === "Add" || kernel.op === "Sub" ? sumRule(kernel.op) : readsInputs(`${kernel.op}Grad`),
      onnx: (e) => e.last(kernel.op, [e.input(0), e.input(1)]),
    }),
  ),
};
