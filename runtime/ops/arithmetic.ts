/**
 * `add` (`a + b` of equal shapes; the IR's `Add`), and the broadcasting `Sub`, `Mul` and `Div`
 * that lowering (`standardize`) and the inference folds (an unfolded normalization's affine) use
 * for per-channel arithmetic.
 */
import { formatShape, perSample, sameShape } from "./dims.js";
import { inputsCall } from "./kernel-call.js";
import { fail } from "./rules.js";
import type { IrOperator, LayerOperator } from "./types.js";

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
  example: { inputs: 2 },
};

function binary(op: string): IrOperator {
  return { op, kernel: () => inputsCall(op.toLowerCase(), 2), onnx: (e) => e.last(op, [e.input(0), e.input(1)]) };
}

export const ARITHMETIC_OPERATORS = { layers: [ADD_LAYER], ir: [binary("Add"), binary("Sub"), binary("Mul"), binary("Div")] };
