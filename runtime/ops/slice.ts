/**
 * `slice(start, end)`: channels `start … end − 1` of `[N, C]` or `[N, C, H, W]`, PyTorch's
 * `x[:, start:end]`; the IR's `Slice` (ONNX's, one axis, step 1). nnc layers have one output
 * each, so a channel split (`x.chunk(2, dim=1)`) is two slices of the same tensor
 * (docs/language.md, "Slices and shuffles: decisions").
 *
 * The plan runs a channel slice of an image as a channel gather (a copy of whole channel quads
 * where it starts on one). ONNX: `Slice(x, starts, ends, axes)`, the three as int64 initializers.
 */
import { md } from "./reference.js";
import { input, ints, literal } from "./kernel-call.js";
import { readsInputs } from "./grad-structure.js";
import { checkRank, fail, isFailure, staticDim } from "./rules.js";
import type { IrOperator, KernelEntry, LayerOperator } from "./types.js";

export const SLICE_LAYER: LayerOperator = {
  name: "slice",
  reference: {
    shape: "`[N, C]` or `[N, C, H, W]` to `[N, end − start]` or `[N, end − start, H, W]`, with 0 ≤ `start` < `end` ≤ C on a static C.",
    formula: md`$y_{n,c} = x_{n,\ \mathrm{start} + c}$ for $0 \le c < \mathrm{end} - \mathrm{start}$: channels \`start\` to \`end\` − 1, a copy. Two slices of one tensor split it (\`x.chunk(2, dim=1)\` in PyTorch).`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> slice(0, 4)" },
  },
  doc: "channels start ... end-1 of [N, C] or [N, C, H, W], as x[:, start:end]",
  family: "structure",
  inputs: 1,
  args: [
    { name: "start", type: "int", min: 0, doc: "the first channel kept" },
    { name: "end", type: "int", min: 1, doc: "one past the last channel kept" },
  ],
  infer: (attrs, [x]) => {
    const rank = checkRank("slice", x, [2, 4]);
    if (rank) return rank;
    const c = staticDim("slice", x, 1, "channel count");
    if (isFailure(c)) return c;
    const [start, end] = [attrs.start as number, attrs.end as number];
    if (end > c) return fail("E0207", `slice end ${end} is past the ${c} channels of its input`, "end");
    if (start >= end) return fail("E0207", `slice needs start < end, got start ${start} and end ${end}`, "start");
    return { shape: [x[0], end - start, ...x.slice(2)], params: [], flops: 0 };
  },
  lower: (ctx) => ctx.emit("Slice", [ctx.inputs[0]], { starts: [Number(ctx.attrs.start)], ends: [Number(ctx.attrs.end)], axes: [1] }),
  torch: { call: (t) => `${t.inputs[0]}[:, ${t.value(t.attrs.start, "start")}:${t.value(t.attrs.end, "end")}]` },
  example: { args: { start: 1, end: 3 } },
};

export const SLICE_KERNEL: KernelEntry = {
  op: "Slice",
  // On the plan: a slice of the channels of an image (the other axes whole) gathers them.
  plan: {
    kind: "gather",
    channels: (step, shape) => {
      const [starts, ends] = [ints(step, "starts", []), ints(step, "ends", [])];
      const axes = ints(step, "axes", starts.map((_, k) => k));
      if (ends.length !== starts.length || axes.length !== starts.length) return undefined;
      let [first, last] = [0, shape[1]];
      for (let k = 0; k < axes.length; k++) {
        if (axes[k] === 1) [first, last] = [starts[k], ends[k]];
        else if (starts[k] !== 0 || ends[k] !== shape[axes[k]]) return undefined;
      }
      if (!(0 <= first && first < last && last <= shape[1])) return undefined;
      return Array.from({ length: last - first }, (_, k) => first + k);
    },
  },
  kernel: (node) => ({
    kernel: "slice",
    args: [input(0), literal({ starts: ints(node, "starts", []), ends: ints(node, "ends", []), axes: ints(node, "axes", []) })],
  }),
};

export const SLICE: IrOperator = {
  ...SLICE_KERNEL,
  // The input's gradient is the output's, scattered into zeros.
  backward: readsInputs("SliceGrad"),
  onnx: (e) => {
    const starts = e.int64Constant("starts", e.ints("starts", []));
    const ends = e.int64Constant("ends", e.ints("ends", []));
    const axes = e.int64Constant("axes", e.ints("axes", []));
    e.last("Slice", [e.input(0), starts, ends, axes]);
  },
};

export const SLICE_OPERATORS = { layers: [SLICE_LAYER], ir: [SLICE] };
