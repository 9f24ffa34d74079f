/** `standardize`: the fixed per-channel input normalization `(x - mean) / std`, as IR `Sub` then `Div`. */
import { md } from "./reference.js";
import { perSample } from "./dims.js";
import { checkBatched, fail, isFailure, staticDim } from "./rules.js";
import type { LayerOperator } from "./types.js";

export const STANDARDIZE_LAYER: LayerOperator = {
  name: "standardize",
  reference: {
    shape: "Any shape of rank 2 or more, unchanged; `mean` and `std` have one value per channel (axis 1), which must be static.",
    formula: md`$y_c = (x_c - m_c) / s_c$ with the fixed $m$ = \`mean\` and $s$ = \`std\`: the usual input normalization of an image data set, with nothing learned.`,
    example: { inputs: "x: [N, 3, 32, 32]", returns: "x -> standardize([0.4914, 0.4822, 0.4465], [0.247, 0.243, 0.261])" },
  },
  doc: "fixed per-channel input normalization (x - mean) / std",
  family: "normalizer",
  inputs: 1,
  args: [
    { name: "mean", type: "floats", doc: "one mean per channel" },
    { name: "std", type: "floats", min: 0, minExclusive: true, doc: "one standard deviation per channel, each > 0" },
  ],
  infer: (attrs, [x]) => {
    const rank = checkBatched("standardize", x);
    if (rank) return rank;
    const c = staticDim("standardize", x, 1, "channel count");
    if (isFailure(c)) return c;
    for (const name of ["mean", "std"]) {
      const list = attrs[name] as readonly number[];
      if (list.length !== c) return fail("E0208", `standardize ${name} has ${list.length} values but the input has ${c} channels`, name);
    }
    return { shape: x, params: [], flops: 2 * perSample(x) };
  },
  lower: (ctx) => {
    const shape = ctx.inputShape.map((_, axis) => (axis === 1 ? ctx.channels : 1));
    const mean = ctx.constant("mean", shape, Float32Array.from(ctx.attrs.mean as readonly number[]));
    const std = ctx.constant("std", shape, Float32Array.from(ctx.attrs.std as readonly number[]));
    const centred = ctx.emit("Sub", [ctx.inputs[0], mean], {}, "centred");
    return ctx.emit("Div", [centred, std]);
  },
  torch: {
    module: (t) => {
      t.use("Standardize");
      return `Standardize(${t.value(t.attrs.mean, "mean", "float")}, ${t.value(t.attrs.std, "std", "float")})`;
    },
    call: (t) => `${t.self}(${t.inputs[0]})`,
  },
  example: { args: { mean: [0.5, 0.4, 0.3, 0.2], std: [0.2, 0.25, 0.3, 0.35] } },
};
