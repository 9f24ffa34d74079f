/**
 * `maxout`: output channel c is the max of input channels `c·pieces … c·pieces + pieces − 1`;
 * nnc's `Maxout` (pieces), written to ONNX as `Reshape [N, C/p, p, ...]` then `ReduceMax` over
 * the pieces axis.
 */
import { md } from "./reference.js";
import { perSample } from "./dims.js";
import { savedBackward } from "./grad-activations.js";
import { input, literal, num } from "./kernel-call.js";
import { reshapeTarget } from "./onnx-shapes.js";
import { checkBatched, fail, isFailure, staticDim } from "./rules.js";
import { OnnxFormError, type IrOperator, type KernelEntry, type LayerOperator } from "./types.js";

export const MAXOUT_LAYER: LayerOperator = {
  name: "maxout",
  reference: {
    shape: "`[N, C, ...]` to `[N, C/pieces, ...]`: C static and divisible by `pieces`; rank 2 or more.",
    formula: md`$y_{n,c} = \max_{0 \le j < p} x_{n,\ c p + j}$ with $p$ = \`pieces\`: each output channel is the largest of $p$ consecutive input channels.`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> maxout(2)" },
  },
  doc: "output channel c is the max of input channels c*pieces ... c*pieces+pieces-1",
  family: "activation",
  inputs: 1,
  args: [{ name: "pieces", type: "int", default: 2, min: 1, doc: "input channels per output channel" }],
  infer: (attrs, [x]) => {
    const rank = checkBatched("maxout", x);
    if (rank) return rank;
    const c = staticDim("maxout", x, 1, "channel count");
    if (isFailure(c)) return c;
    const pieces = attrs.pieces as number;
    if (c % pieces !== 0) return fail("E0204", `maxout(pieces: ${pieces}) needs channels divisible by ${pieces}, got ${c}`);
    const shape = [x[0], c / pieces, ...x.slice(2)];
    return { shape, params: [], flops: (pieces - 1) * perSample(shape) };
  },
  lower: (ctx) => ctx.emit("Maxout", [ctx.inputs[0]], { pieces: Number(ctx.attrs.pieces) }),
  torch: {
    call: (t) => {
      t.use("maxout");
      return `maxout(${t.inputs[0]}, ${t.value(t.attrs.pieces, "pieces")})`;
    },
  },
};

export const MAXOUT_KERNEL: KernelEntry = {
  op: "Maxout",
  kernel: (node) => ({ kernel: "maxout", args: [input(0), literal({ pieces: num(node, "pieces") })] }),
};

export const MAXOUT: IrOperator = {
  ...MAXOUT_KERNEL,
  onnx: (e) => {
    const pieces = e.num("pieces", 2);
    const [batch, channels, ...rest] = e.shape(0);
    if (typeof channels !== "number") throw new OnnxFormError(`${e.node.name}: maxout needs a static channel count for ONNX`);
    const target = reshapeTarget(e.node.name, [batch, channels / pieces, pieces, ...rest]);
    const grouped = e.step("Reshape", [e.input(0), e.int64Constant("pieces_shape", target)], {}, "pieces");
    e.reduce("ReduceMax", grouped, [2], false);
  },
  // Ties share the gradient evenly, as PyTorch's `amax` over the pieces axis.
  backward: savedBackward("Maxout", [0, "output"]),
};

export const MAXOUT_OPERATORS = { layers: [MAXOUT_LAYER], ir: [MAXOUT] };
