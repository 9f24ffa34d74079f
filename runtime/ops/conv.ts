/** `conv`: 2-D convolution (cross-correlation), as `nn.Conv2d`; the IR's `Conv`. */
import { md } from "./reference.js";
import { channelsOf, pyArgs, type Keyword } from "./torch-forms.js";
import { ceilDivDim, perSample } from "./dims.js";
import { withActivation } from "./fused.js";
import { readsInputs } from "./grad-structure.js";
import { onnxWithActivation, presentInputs } from "./fused-onnx.js";
import { input, ints, literal, num, optional, type LiteralValue } from "./kernel-call.js";
import { checkRank, fail, isFailure, pair, staticDim } from "./rules.js";
import type { AttrValue, Attrs, Dim, IrOperator, KernelEntry, LayerOperator, LeafParam, OnnxAttr, RuleFailure, RuleResult, Shape } from "./types.js";
import { SCALED_WEIGHT_STANDARDIZATION, standardizedWeight, WEIGHT_STANDARDIZATION, WS_ARG } from "./weight-standardization.js";
import { onnxWindowAttrs, samePadding, slide2d } from "./windows.js";

/** The `bias` argument of `conv` and `dense`. */
export const BIAS_ARG = { name: "bias", type: "bool", default: true, doc: "add a learnable bias per output" } as const;

function infer(attrs: Attrs, [x]: readonly Shape[]): RuleResult | RuleFailure {
  const rank = checkRank("conv", x, [4]);
  if (rank) return rank;
  const cin = staticDim("conv", x, 1, "input channel count");
  if (isFailure(cin)) return cin;
  const out = attrs.out as number;
  const groups = attrs.groups as number;
  if (cin % groups !== 0) return fail("E0204", `conv(groups: ${groups}) needs input channels divisible by ${groups}, got ${cin}`, "groups");
  if (out % groups !== 0) return fail("E0204", `conv(groups: ${groups}) needs out divisible by ${groups}, got ${out}`, "out");
  const k = pair(attrs.kernel);
  const s = pair(attrs.stride);
  const d = pair(attrs.dilation);
  let dims: Dim[];
  let derived: Record<string, AttrValue> | undefined;
  if (attrs.pad === "same") {
    dims = [ceilDivDim(x[2], s[0]), ceilDivDim(x[3], s[1])];
    const pads = samePadding(x, k, s, d);
    if (pads) derived = { pads };
  } else {
    const p = pair(attrs.pad);
    const sizes = slide2d("conv", x, k, s, p, d);
    if (isFailure(sizes)) return sizes;
    dims = sizes;
    derived = { pads: [p[0], p[1], p[0], p[1]] };
  }
  const shape: Shape = [x[0], out, dims[0], dims[1]];
  const fanIn = (cin / groups) * k[0] * k[1];
  const params: LeafParam[] = [{ leaf: "weight", shape: [out, cin / groups, k[0], k[1]], buffer: false }];
  if (attrs.bias) params.push({ leaf: "bias", shape: [out], buffer: false });
  if (attrs.ws === "scaled") params.push({ leaf: "gain", shape: [out], buffer: false });
  return { shape, params, flops: 2 * fanIn * perSample(shape), derived };
}

export const CONV_LAYER: LayerOperator = {
  name: "conv",
  doc: "2-D convolution (cross-correlation), as nn.Conv2d",
  family: "linear",
  inputs: 1,
  args: [
    { name: "out", type: "int", min: 1, doc: "output channels" },
    { name: "kernel", type: "pair", min: 1, doc: "kernel size: an int or a pair (h, w)" },
    { name: "stride", type: "pair", default: 1, min: 1, doc: "stride: an int or a pair (h, w)" },
    { name: "pad", type: "padding", default: 0, min: 0, doc: "zero padding on each side: an int, a pair (h, w) or `same` (output size ceil(H / stride))" },
    { name: "dilation", type: "pair", default: 1, min: 1, doc: "spacing between kernel elements" },
    { name: "groups", type: "int", default: 1, min: 1, doc: "grouped convolution: input and output channels split into this many groups" },
    BIAS_ARG,
    WS_ARG,
  ],
  infer,
  reference: {
    shape: md`\`[N, C, H, W]\` to \`[N, out, H', W']\`, with $H' = \lfloor (H + 2p_h - d_h (k_h - 1) - 1) / s_h \rfloor + 1$ (k = \`kernel\`, s = \`stride\`, p = \`pad\`, d = \`dilation\`), and likewise W'; with \`pad: same\`, $H' = \lceil H / s_h \rceil$, the odd pixel of padding going to the bottom and right. C must be static, and C and \`out\` divisible by \`groups\`; the output must have at least one pixel.`,
    formula: md`A cross-correlation, as \`nn.Conv2d\`: $y_{n,o,i,j} = b_o + \sum_{c \in G(o)} \sum_{a < k_h,\ b < k_w} \hat W_{o,c,a,b} \ x_{n,c,\ s_h i + d_h a - p_h,\ s_w j + d_w b - p_w}$, where $G(o)$ is the C/\`groups\` input channels of output channel $o$'s group and $x$ is 0 in the padding. $\hat W$ is the weight itself with \`ws: "none"\`. With \`ws: "standard"\` (weight standardization), each output filter $W_o$ (its $n = C/\text{groups} \cdot k_h k_w$ weights) is standardized by its own mean and biased variance: $\hat W_o = (W_o - \mu_o) / \sqrt{\sigma_o^2 + 10^{-5}}$. With \`ws: "scaled"\` (NF-Nets' scaled weight standardization), $\hat W_o = g_o \frac{W_o - \mu_o}{\sqrt{n} \ \sigma_o}$, no ε, with a learned gain $g$ (\`gain\`, starting at 1). Gradients reach $W$ (and $g$) through the standardization.`,
    inference: md`A standardized weight is computed once, when the weights load (ONNX receives it as an initializer). A \`batch\` or \`batch_renorm\` right after the conv folds into its weight and bias, and an activation after it runs in its write-back.`,
    example: { inputs: "x: [N, 3, 32, 32]", returns: "x -> conv(16, 3, pad: 1)" },
  },
  lower: (ctx) => {
    const weight = standardizedWeight(ctx);
    const bias = ctx.param("bias");
    const kernel = ctx.attrs.kernel as readonly number[];
    return ctx.emit("Conv", bias ? [ctx.inputs[0], weight, bias] : [ctx.inputs[0], weight], {
      kernel_shape: [kernel[0], kernel[1]],
      strides: ctx.attrs.stride as readonly number[],
      pads: ctx.attrs.pads as readonly number[],
      dilations: ctx.attrs.dilation as readonly number[],
      group: Number(ctx.attrs.groups),
    });
  },
  torch: {
    module: (t) => {
      const { attrs } = t;
      const cls = attrs.ws === "scaled" ? "ScaledStandardizedConv2d" : attrs.ws === "standard" ? "StandardizedConv2d" : "nn.Conv2d";
      if (cls !== "nn.Conv2d") t.use(cls);
      const [top, left, bottom, right] = attrs.pads as readonly number[];
      const padding = top === bottom && left === right ? [top, left] : [0, 0];
      const keywords: Keyword[] = [["stride", attrs.stride, 1], ["padding", padding, 0], ["dilation", attrs.dilation, 1], ["groups", attrs.groups, 1], ["bias", attrs.bias, true]];
      return `${cls}(${pyArgs(t, [[channelsOf(t), "in_channels"], [attrs.out, "out"], [attrs.kernel, "kernel"]], keywords)})`;
    },
    call: (t) => {
      const [top, left, bottom, right] = t.attrs.pads as readonly number[];
      if (top === bottom && left === right) return `${t.self}(${t.inputs[0]})`;
      // Padding PyTorch's Conv2d cannot take (more on one side, as `pad: same` with an even kernel).
      return `${t.self}(F.pad(${t.inputs[0]}, ${t.value([left, right, top, bottom], "pads")}))`;
    },
  },
  example: { args: { out: 4, kernel: 3 } },
};

/**
 * `Conv(X, W, B?)`: kernel_shape, strides, pads `[t, l, b, r]`, dilations, group; after
 * `fuse-activation` it may carry `activation` (an activation's IR operator) and its attributes.
 */
export const CONV_KERNEL: KernelEntry = {
  op: "Conv",
  plan: { kind: "conv" },
  kernel: (node) => {
    // Only the attributes that differ from the kernel's defaults (stride, dilation and group 1,
    // no padding), so that the generated module's line for a conv says what is particular to it.
    const attrs: { [key: string]: LiteralValue } = {};
    const strides = ints(node, "strides", [1, 1]);
    const pads = ints(node, "pads", [0, 0, 0, 0]);
    const dilations = ints(node, "dilations", [1, 1]);
    const group = num(node, "group", 1);
    if (strides.some((v) => v !== 1)) attrs.strides = strides;
    if (pads.some((v) => v !== 0)) attrs.pads = pads;
    if (dilations.some((v) => v !== 1)) attrs.dilations = dilations;
    if (group !== 1) attrs.group = group;
    return { kernel: "conv", args: [input(0), input(1), optional(2), literal(withActivation(node, attrs))] };
  },
};

export const CONV: IrOperator = {
  ...CONV_KERNEL,
  // ConvGrad(dy, x, w, b?): the bias is passed even when only its presence matters, so that the
  // kernel's arguments keep their places.
  backward: readsInputs("ConvGrad", 3),
  onnx: (e) => {
    const attrs: Record<string, OnnxAttr> = {
      ...onnxWindowAttrs(e),
      dilations: { ints: e.ints("dilations", [1, 1]) },
      group: { int: e.num("group", 1) },
    };
    onnxWithActivation(e, "Conv", presentInputs(e, 3), attrs);
  },
};

export const CONV_OPERATORS = { layers: [CONV_LAYER], ir: [CONV, WEIGHT_STANDARDIZATION, SCALED_WEIGHT_STANDARDIZATION] };
