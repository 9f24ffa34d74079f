/** `concat`: tensors joined along an axis, as `torch.cat`; the IR's `Concat`. */
import { formatShape, sumDims } from "./dims.js";
import { literal, num } from "./kernel-call.js";
import { readsInputs } from "./grad-structure.js";
import { fail } from "./rules.js";
import type { IrOperator, KernelEntry, LayerOperator } from "./types.js";

export const CONCAT_LAYER: LayerOperator = {
  name: "concat",
  reference: {
    shape: "Two or more tensors of one rank, equal on every axis but `axis`, which cannot be the batch axis 0 (a negative axis counts from the end); the output's size on `axis` is the sum of theirs.",
    formula: "The inputs side by side along `axis`, in order: on channels, the first input's C₁ channels, then the second's, and so on.",
    example: { inputs: "x: [N, 8, 16, 16], y: [N, 4, 16, 16]", returns: "(x, y) -> concat" },
  },
  doc: "concatenation of tensors along an axis, as torch.cat",
  family: "structure",
  inputs: "many",
  args: [{ name: "axis", type: "int", default: 1, doc: "the axis to join along (1 = channels)" }],
  infer: (attrs, shapes) => {
    const first = shapes[0];
    const rank = first.length;
    const axis = attrs.axis as number;
    const at = axis < 0 ? axis + rank : axis;
    if (at < 1 || at >= rank) {
      return fail("E0203", `concat axis ${axis} is out of range for rank ${rank} (the batch axis 0 cannot be concatenated)`, "axis");
    }
    for (let i = 1; i < shapes.length; i++) {
      const s = shapes[i];
      const differs = s.length !== rank || s.some((d, j) => j !== at && d !== first[j]);
      if (differs) {
        return fail("E0203", `concat along axis ${at} needs every other dimension equal, got ${formatShape(first)} and ${formatShape(s)}`);
      }
    }
    const shape = first.map((d, j) => (j === at ? sumDims(shapes.map((s) => s[j])) : d));
    return { shape, params: [], flops: 0, derived: { axis: at } };
  },
  torch: { call: (t) => `torch.cat((${t.inputs.join(", ")}), ${t.value(t.attrs.axis, "axis")})` },
  lower: (ctx) => ctx.emit("Concat", [...ctx.inputs], { axis: Number(ctx.attrs.axis) }),
  example: { inputs: 2 },
};

export const CONCAT_KERNEL: KernelEntry = {
  op: "Concat",
  plan: { kind: "concat" },
  kernel: (node) => ({ kernel: "concat", args: [{ kind: "inputs" }, literal({ axis: num(node, "axis", 1) })] }),
};

export const CONCAT: IrOperator = {
  ...CONCAT_KERNEL,
  backward: readsInputs("ConcatGrad"),
  onnx: (e) => e.last("Concat", e.node.inputs.map((_, i) => e.input(i)), { axis: { int: e.num("axis", 1) } }),
};

export const CONCAT_OPERATORS = { layers: [CONCAT_LAYER], ir: [CONCAT] };
