/**
 * `dense`: a fully connected layer on `[N, F]`, as `nn.Linear`; the IR's `Gemm` (transB = 1). On
 * an image `[N, C, H, W]` it maps each pixel's channel vector, as ConvNeXt's `nn.Linear` between
 * two permutes: the weight keeps Linear's shape `[out, C]` and is lowered as a 1×1 `Conv`.
 */
import { md } from "./reference.js";
import { channelsOf, pyArgs } from "./torch-forms.js";
import { BIAS_ARG } from "./conv.js";
import { withActivation } from "./fused.js";
import { readsInputs } from "./grad-structure.js";
import { onnxWithActivation, presentInputs } from "./fused-onnx.js";
import { input, literal, optional } from "./kernel-call.js";
import { perSample } from "./dims.js";
import { checkRank, isFailure, staticDim } from "./rules.js";
import type { IrOperator, KernelEntry, LayerOperator, LeafParam } from "./types.js";
import { standardizedWeight, WS_ARG } from "./weight-standardization.js";

export const DENSE_LAYER: LayerOperator = {
  name: "dense",
  doc: "fully connected layer on [N, F], as nn.Linear; on [N, C, H, W], the same map applied to each pixel's channels",
  family: "linear",
  inputs: 1,
  args: [{ name: "out", type: "int", min: 1, doc: "output features" }, BIAS_ARG, WS_ARG],
  reference: {
    shape: "`[N, F]` to `[N, out]`, F static; on an image `[N, C, H, W]`, to `[N, out, H, W]`, each pixel's C channels mapped alike.",
    formula: md`As \`nn.Linear\`: $y_{n,o} = b_o + \sum_f \hat W_{o,f} \ x_{n,f}$; on an image the same for every pixel, $y_{n,o,h,w} = b_o + \sum_c \hat W_{o,c} \ x_{n,c,h,w}$. $\hat W$ is the weight, or with \`ws\` its standardization, row by row as [\`conv\`](#conv)'s filters with $n$ = F (or C) weights each.`,
    inference: "A standardized weight is computed once, when the weights load. A `batch` or `batch_renorm` right after it folds into its weight and bias, and an activation after it runs in its write-back.",
    example: { inputs: "x: [N, 64]", returns: "x -> dense(10)" },
  },
  infer: (attrs, [x]) => {
    const rank = checkRank("dense", x, [2, 4]);
    if (rank) return rank;
    const fin = staticDim("dense", x, 1, "input feature count");
    if (isFailure(fin)) return fin;
    const out = attrs.out as number;
    const params: LeafParam[] = [{ leaf: "weight", shape: [out, fin], buffer: false }];
    if (attrs.bias) params.push({ leaf: "bias", shape: [out], buffer: false });
    if (attrs.ws === "scaled") params.push({ leaf: "gain", shape: [out], buffer: false });
    if (x.length === 2) return { shape: [x[0], out], params, flops: 2 * fin * out };
    const shape = [x[0], out, x[2]!, x[3]!];
    return { shape, params, flops: 2 * fin * perSample(shape) };
  },
  lower: (ctx) => {
    const weight = standardizedWeight(ctx);
    const bias = ctx.param("bias");
    if (ctx.inputShape.length === 2) return ctx.emit("Gemm", bias ? [ctx.inputs[0], weight, bias] : [ctx.inputs[0], weight], { transB: 1 });
    // Per pixel: the [out, C] weight as a 1×1 convolution's [out, C, 1, 1].
    const shape = [ctx.attrs.out as number, ctx.channels, 1, 1];
    const kernel = ctx.emit("Reshape", [weight], { shape }, "weight_1x1", shape);
    const attrs = { kernel_shape: [1, 1], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1 };
    return ctx.emit("Conv", bias ? [ctx.inputs[0], kernel, bias] : [ctx.inputs[0], kernel], attrs);
  },
  torch: {
    module: (t) => {
      const cls = t.attrs.ws === "scaled" ? "ScaledStandardizedLinear" : t.attrs.ws === "standard" ? "StandardizedLinear" : "nn.Linear";
      if (cls !== "nn.Linear") t.use(cls);
      return `${cls}(${pyArgs(t, [[channelsOf(t), "in_features"], [t.attrs.out, "out"]], [["bias", t.attrs.bias, true]])})`;
    },
    // On an image, nn.Linear acts on the last axis: channels go last and come back.
    call: (t) => (t.inputShapes[0]!.length === 2 ? `${t.self}(${t.inputs[0]})` : `${t.self}(${t.inputs[0]}.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)`),
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
