/**
 * `channel_shuffle(groups)`: ShuffleNet's channel shuffle, torchvision's `channel_shuffle(x,
 * groups)`: `[N, C, H, W]` reshaped to `[N, groups, C/groups, H, W]`, axes 1 and 2 swapped, and
 * reshaped back, so output channel `j·groups + i` is input channel `i·(C/groups) + j`. nnc's
 * `ChannelShuffle` (groups), whose gradient is the inverse permutation, a shuffle of C/groups.
 *
 * The plan runs it as a channel gather (a permutation of each pixel's channels). ONNX: `Reshape [0, g, C/g, −1] → Transpose [0, 2, 1, 3] → Reshape [0, C, H, W]`, the
 * reshape targets constants (0 copies the batch, −1 infers the one symbolic spatial size);
 * where H and W are both symbolic the last target is the input's own `Shape`.
 */
import { md } from "./reference.js";
import { input, literal, num } from "./kernel-call.js";
import { checkRank, fail, isFailure, staticDim } from "./rules.js";
import { outputGradient } from "./grad-structure.js";
import { OnnxFormError, type IrOperator, type KernelEntry, type LayerOperator } from "./types.js";

export const CHANNEL_SHUFFLE_LAYER: LayerOperator = {
  name: "channel_shuffle",
  reference: {
    shape: "`[N, C, H, W]` to the same shape; C static and divisible by `groups`.",
    formula: md`With $g$ = \`groups\`, the channels read as a $g \times C/g$ grid, row by row, and are written column by column: output channel $j g + i$ is input channel $i \ C/g + j$ ($0 \le i < g$, $0 \le j < C/g$), as ShuffleNet's reshape to \`[N, g, C/g, H, W]\`, transpose of axes 1 and 2, and reshape back.`,
    example: { inputs: "x: [N, 8, 16, 16]", returns: "x -> channel_shuffle(2)" },
  },
  doc: "ShuffleNet's channel shuffle: channels as a groups x C/groups grid, read by columns",
  family: "structure",
  inputs: 1,
  args: [{ name: "groups", type: "int", min: 1, doc: "the rows of the grid; must divide the channels" }],
  infer: (attrs, [x]) => {
    const rank = checkRank("channel_shuffle", x, [4]);
    if (rank) return rank;
    const c = staticDim("channel_shuffle", x, 1, "channel count");
    if (isFailure(c)) return c;
    const groups = attrs.groups as number;
    if (c % groups !== 0) return fail("E0204", `channel_shuffle(groups: ${groups}) needs channels divisible by ${groups}, got ${c}`, "groups");
    return { shape: x, params: [], flops: 0 };
  },
  lower: (ctx) => ctx.emit("ChannelShuffle", [ctx.inputs[0]], { groups: Number(ctx.attrs.groups) }),
  torch: {
    call: (t) => {
      t.use("channel_shuffle");
      return `channel_shuffle(${t.inputs[0]}, ${t.value(t.attrs.groups, "groups")})`;
    },
  },
  example: { args: { groups: 2 } },
};

export const CHANNEL_SHUFFLE_KERNEL: KernelEntry = {
  op: "ChannelShuffle",
  // On the plan: output channel j·groups + i gathers input channel i·(C/groups) + j.
  plan: {
    kind: "gather",
    channels: (step, shape) => {
      const [groups, c] = [num(step, "groups"), shape[1]];
      if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0) return undefined;
      return Array.from({ length: c }, (_, k) => (k % groups) * (c / groups) + Math.floor(k / groups));
    },
  },
  kernel: (node) => ({ kernel: "channelShuffle", args: [input(0), literal({ groups: num(node, "groups") })] }),
};

export const CHANNEL_SHUFFLE: IrOperator = {
  ...CHANNEL_SHUFFLE_KERNEL,
  // The inverse permutation, which needs only the output's gradient.
  backward: { gradients: (g) => g.backward("ChannelShuffleGrad", [outputGradient(g)]) },
  onnx: (e) => {
    const groups = e.num("groups", 1);
    const [, channels, ...spatial] = e.shape(0);
    if (typeof channels !== "number") throw new OnnxFormError(`${e.node.name}: channel_shuffle needs a static channel count for ONNX`);
    const grid = e.step("Reshape", [e.input(0), e.int64Constant("grid_shape", [0, groups, channels / groups, -1])], {}, "grid");
    const swapped = e.step("Transpose", [grid], { perm: { ints: [0, 2, 1, 3] } }, "swapped");
    const symbolic = spatial.filter((d) => typeof d !== "number").length;
    const back =
      symbolic <= 1
        ? e.int64Constant("shape", [0, channels, ...spatial.map((d) => (typeof d === "number" ? d : -1))])
        : e.step("Shape", [e.input(0)], {}, "input_shape");
    e.last("Reshape", [swapped, back]);
  },
};

export const CHANNEL_SHUFFLE_OPERATORS = { layers: [CHANNEL_SHUFFLE_LAYER], ir: [CHANNEL_SHUFFLE] };
