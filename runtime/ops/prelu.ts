/**
 * `prelu`: a leaky ReLU with a learned slope per channel (or one shared), as `nn.PReLU`; the
 * IR's `PRelu(X, slope)`. ONNX broadcasts from the trailing axis, so on images the `[C]` slope
 * is written `[C, 1, 1]`.
 */
import { md } from "./reference.js";
import { channelsOf } from "./torch-forms.js";
import { perSample } from "./dims.js";
import { savedBackward } from "./grad-activations.js";
import { inputsCall } from "./kernel-call.js";
import { channelShape } from "./onnx-shapes.js";
import { checkBatched, isFailure, staticDim } from "./rules.js";
import type { IrOperator, KernelEntry, LayerOperator } from "./types.js";

export const PRELU_LAYER: LayerOperator = {
  name: "prelu",
  reference: {
    shape: "Any shape of rank 2 or more, unchanged; the channel count (axis 1) must be static unless `shared`.",
    formula: md`$y = x$ where $x > 0$, else $a_c x$, with a learned slope $a_c$ (\`weight\`) per channel, or one $a$ for all channels with \`shared: true\`; the slopes start at 0.25.`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> prelu" },
  },
  doc: "leaky ReLU with a learned slope per channel (or one shared), as nn.PReLU; init 0.25",
  family: "activation",
  inputs: 1,
  args: [{ name: "shared", type: "bool", default: false, doc: "one slope for all channels instead of one per channel" }],
  infer: (attrs, [x]) => {
    const rank = checkBatched("prelu", x);
    if (rank) return rank;
    if (attrs.shared) return { shape: x, params: [{ leaf: "weight", shape: [1], buffer: false }], flops: perSample(x) };
    const c = staticDim("prelu", x, 1, "channel count");
    if (isFailure(c)) return c;
    return { shape: x, params: [{ leaf: "weight", shape: [c], buffer: false }], flops: perSample(x) };
  },
  lower: (ctx) => ctx.emit("PRelu", [ctx.inputs[0], ctx.required("weight")]),
  torch: {
    module: (t) => (t.attrs.shared ? "nn.PReLU()" : `nn.PReLU(${t.value(channelsOf(t), "channels")})`),
    call: (t) => `${t.self}(${t.inputs[0]})`,
  },
};

export const PRELU_KERNEL: KernelEntry = {
  op: "PRelu",
  kernel: () => inputsCall("prelu", 2),
};

export const PRELU: IrOperator = {
  ...PRELU_KERNEL,
  onnx: (e) => {
    const slope = e.constant(1);
    const rank = e.shape(0).length;
    if (slope.data.length === 1 || rank <= 2) return e.last("PRelu", [e.input(0), e.input(1)]);
    e.last("PRelu", [e.input(0), e.floatConstant("slope", channelShape(slope.data.length, rank), slope.data)]);
  },
  backward: savedBackward("PRelu", [0, 1]),
};

export const PRELU_OPERATORS = { layers: [PRELU_LAYER], ir: [PRELU] };
