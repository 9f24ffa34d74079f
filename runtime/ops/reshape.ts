/**
 * `flatten` (`[N, ...]` to `[N, product of the rest]`; the IR's `Flatten` with axis 1) and the
 * IR's `Reshape` (a static `shape` attribute), which folds use and no layer lowers to.
 */
import { md } from "./reference.js";
import { productDims } from "./dims.js";
import { inputsCall, input, ints, literal } from "./kernel-call.js";
import { readsInputs } from "./grad-structure.js";
import { fail } from "./rules.js";
import type { IrOperator, KernelEntry, LayerOperator } from "./types.js";

export const FLATTEN_LAYER: LayerOperator = {
  name: "flatten",
  reference: {
    shape: "`[N, d1, d2, ...]` to `[N, d1·d2·…]`; rank 2 or more (on `[N, F]` it changes nothing).",
    formula: md`A reshape that keeps each sample's values in their (row-major) order: on an image, $y_{n,\ (c H + h) W + w} = x_{n,c,h,w}$.`,
    example: { inputs: "x: [N, 8, 4, 4]", returns: "x -> flatten" },
  },
  doc: "[N, ...] -> [N, product of the rest]",
  family: "structure",
  inputs: 1,
  args: [],
  infer: (_attrs, [x]) => {
    if (x.length < 2) return fail("E0201", `flatten needs an input of rank 2 or more, got rank ${x.length}`);
    return { shape: [x[0], productDims(x.slice(1))], params: [], flops: 0 };
  },
  lower: (ctx) => ctx.emit("Flatten", [ctx.inputs[0]], { axis: 1 }),
  torch: { call: (t) => `torch.flatten(${t.inputs[0]}, 1)` },
};

export const FLATTEN_KERNEL: KernelEntry = {
  op: "Flatten",
  plan: { kind: "flatten" },
  kernel: () => inputsCall("flatten"),
};

export const FLATTEN: IrOperator = {
  ...FLATTEN_KERNEL,
  backward: readsInputs("FlattenGrad"),
  onnx: (e) => e.last("Flatten", [e.input(0)], { axis: { int: e.num("axis", 1) } }),
};

export const RESHAPE_KERNEL: KernelEntry = {
  op: "Reshape",
  kernel: (node) => ({ kernel: "reshape", args: [input(0), literal(ints(node, "shape", []))] }),
};

export const RESHAPE: IrOperator = {
  ...RESHAPE_KERNEL,
  backward: readsInputs("ReshapeGrad"),
  onnx: (e) => {
    const target = e.ints("shape", []);
    // The IR's shape is static; a symbolic batch axis is copied (0) rather than baked in.
    const batch = e.shape(0)[0];
    const dims = target.map((d, axis) => (axis === 0 && typeof batch !== "number" ? 0 : d));
    e.last("Reshape", [e.input(0), e.int64Constant("shape", dims)]);
  },
};


export const RESHAPE_OPERATORS = { layers: [FLATTEN_LAYER], ir: [FLATTEN, RESHAPE] };
