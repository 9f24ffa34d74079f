/** `dense`: a fully connected layer on `[N, F]`, as `nn.Linear`; the IR's `Gemm` (transB = 1). */
import { md } from "./reference.js";
import { channelsOf, pyArgs } from "./torch-forms.js";
import { BIAS_ARG } from "./conv.js";
import { withActivation } from "./fused.js";
import { readsInputs } from "./grad-structure.js";
import { onnxWithActivation, presentInputs } from "./fused-onnx.js";
import { input, literal, optional } from "./kernel-call.js";
import { checkRank, isFailure, staticDim } from "./rules.js";
import type { IrOperator, KernelEntry, LayerOperator, LeafParam } from "./types.js";
import { standardizedWeight, WS_ARG } from "./weight-standardization.js";

export const DENSE_LAYER: LayerOperator = {
  name: "dense",
  doc: "fully connected layer on [N, F], as nn.Linear",
  family: "linear",
  inputs: 1,
  args: [{ name: "out", type: "int", min: 1, doc: "output features" }, BIAS_ARG, WS_ARG],
  reference: {
    shape: "`[N, F]` to `[N, out]`, F static.",
    formula: md`As \`nn.Linear\`: $y_{n,o} = b_o + \sum_f \hat W_{o,f} \, x_{n,f}$. $\hat W$ is the weight, or with \`ws\` its standardization, row by row as [\`conv\`](#conv)'s filters with $n$ = F weights each.`,
    inference: "A standardized weight is computed once, when the weights load. A `batch` or `batch_renorm` right after it folds into its weight and bias, and an activation after it runs in its write-back.",
    example: { inputs: "x: [N, 64]", returns: "x -> dense(10)" },
  },
  infer: (attrs, [x]) => {
    const rank = checkRank("dense", x, [2]);
    if (rank) return rank;
    const fin = staticDim("dense", x, 1, "input feature count");
    if (isFailure(fin)) return fin;
    const out = attrs.out as number;
    const params: LeafParam[] = [{ leaf: "weight", shape: [out, fin], buffer: false }];
    if (attrs.bias) params.push({ leaf: "bias", shape: [out], buffer: false });
    if (attrs.ws === "scaled") params.push({ leaf: "gain", shape: [out], buffer: false });
    return { shape: [x[0], out], params, flops: 2 * fin * out };
  },
  lower: (ctx) => {
    const weight = standardizedWeight(ctx);
    const bias = ctx.param("bias");
    return ctx.emit("Gemm", bias ? [ctx.inputs[0], weight, bias] : [ctx.inputs[0], weight], { transB: 1 });
  },
  torch: {
    module: (t) => {
      const cls = t.attrs.ws === "scaled" ? "ScaledStandardizedLinear" : t.attrs.ws === "standard" ? "StandardizedLinear" : "nn.Linear";
      if (cls !== "nn.Linear") t.use(cls);
      return `${cls}(${pyArgs(t, [[channelsOf(t), "in_features"], [t.attrs.out, "out"]], [["bias", t.attrs.bias, true]])})`;
    },
    call: (t) => `${t.self}(${t.inputs[0]})`,
  },
  example: { args: { out: 3 }, input: [5] },
};

/** `Gemm(A, B, C?)` with transB = 1; may carry a fused `activation`, as `Conv` does. */
export const GEMM_KERNEL: KernelEntry = {
  op: "Gemm",
  plan: { kind: "gemm" },
  kernel: (node) => ({ kernel: "gemm", args: [input(0), input(1), optional(2), literal(withActivation(node, {}))] }),
};

export const GEMM: IrOperator = {
  ...GEMM_KERNEL,
  backward: readsInputs("GemmGrad", 3),
  onnx: (e) => onnxWithActivation(e, "Gemm", presentInputs(e, 3), { transB: { int: 1 } }),
};

export const DENSE_OPERATORS = { layers: [DENSE_LAYER], ir: [GEMM] };
