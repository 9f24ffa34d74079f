/**
 * `group`: group normalization over H, W and the channels of a group, as `nn.GroupNorm(groups, C)`;
 * the IR's `GroupNormalization(X, scale[C], B[C])` num_groups, epsilon with opset-21 semantics
 * (a per-channel affine; rank-4 `layer` lowers to it with one group).
 *
 * ONNX: native at opset 21. Opset 18's GroupNormalization has a per-group affine and is
 * deprecated, so below 21 it is Reshape `[N, G, −1]` → InstanceNormalization (γ = 1, β = 0) →
 * Reshape back → Mul γ → Add β, as PyTorch exports it.
 */
import { md } from "./reference.js";
import { channelsOf, pyArgs } from "./torch-forms.js";
import { readsForwardInputs } from "./grad-norms.js";
import { input, literal, num } from "./kernel-call.js";
import { broadcastParam, epsArg, normalizer, STATISTICS_FLOPS, statsKeywords } from "./normalizer.js";
import { isExpressible, reshapeTarget } from "./onnx-shapes.js";
import { affineParams, epsilonOf, fail, perChannel } from "./rules.js";
import type { IrOperator, KernelEntry } from "./types.js";

export const GROUP_LAYER = normalizer({
  name: "group",
  doc: "group normalization over H, W and the channels of a group, as nn.GroupNorm(groups, C)",
  args: [{ name: "groups", type: "int", default: 32, min: 1, doc: "number of channel groups; must divide C" }, epsArg(1e-5)],
  ranks: [4],
  leaves: (_attrs, c) => [perChannel("weight", c), perChannel("bias", c)],
  flopsPerElement: STATISTICS_FLOPS,
  reference: {
    shape: "`[N, C, H, W]` to the same shape; C static and divisible by `groups`; rank 4 only.",
    formula: md`The C channels split into G = \`groups\` groups of C/G consecutive channels. Per sample $n$ and group $g$, the mean $\mu_{n,g}$ and the biased variance $\sigma^2_{n,g}$ over the group's channels and H, W; $y_{n,c} = \gamma_c \frac{x_{n,c} - \mu_{n,g(c)}}{\sqrt{\sigma^2_{n,g(c)} + \epsilon}} + \beta_c$, γ and β per channel. \`group(1)\` is \`layer\` on images; \`group(C)\` is \`instance\`. No running statistics.`,
    example: { inputs: "x: [N, 16, 8, 8]", returns: "x -> group(4)" },
  },
  extra: (attrs, c) => {
    const g = attrs.groups as number;
    return c % g === 0 ? undefined : fail("E0204", `group(groups: ${g}) needs channels divisible by ${g}, got ${c}`);
  },
  torch: {
    module: (t) => `nn.GroupNorm(${pyArgs(t, [[t.attrs.groups, "groups"], [channelsOf(t), "channels"]], statsKeywords(t.attrs))})`,
    call: (t) => `${t.self}(${t.inputs[0]})`,
  },
  lower: (ctx) => {
    const [w, b] = affineParams(ctx);
    return ctx.emit("GroupNormalization", [ctx.inputs[0], w, b], { num_groups: Number(ctx.attrs.groups), epsilon: epsilonOf(ctx) });
  },
  example: { args: { groups: 2 } },
});

export const GROUP_NORMALIZATION_KERNEL: KernelEntry = {
  op: "GroupNormalization",
  // On the plan: per-(sample, group) statistics, then a per-channel affine.
  plan: {
    kind: "norm",
    norm: (step, c, weight) => {
      const groups = step.attrs.num_groups;
      if (typeof groups !== "number" || groups < 1 || c % groups !== 0) return undefined;
      return { form: "group", groups, epsilon: num(step, "epsilon", 1e-5), scale: weight(1), bias: weight(2) };
    },
  },
  kernel: (node) => ({
    kernel: "groupNormalization",
    args: [input(0), input(1), input(2), literal({ groups: num(node, "num_groups"), epsilon: num(node, "epsilon", 1e-5) })],
  }),
};

export const GROUP_NORMALIZATION: IrOperator = {
  ...GROUP_NORMALIZATION_KERNEL,
  backward: readsForwardInputs("GroupNormalizationGrad"),
  onnx: (e) => {
    const groups = e.num("num_groups", 1);
    const epsilon = { float: e.num("epsilon", 1e-5) };
    if (e.opset >= 21) {
      return e.last("GroupNormalization", [e.input(0), e.input(1), e.input(2)], { num_groups: { int: groups }, epsilon });
    }
    const x = e.input(0);
    const shape = e.shape(0);
    const grouped = e.step("Reshape", [x, e.int64Constant("grouped_shape", [0, groups, -1])], {}, "grouped");
    const ones = e.floatConstant("group_scale", [groups], new Float32Array(groups).fill(1));
    const zeros = e.floatConstant("group_bias", [groups], new Float32Array(groups));
    const normed = e.step("InstanceNormalization", [grouped, ones, zeros], { epsilon }, "normalized");
    // Back to the input's shape: static where possible, else read from the input at run time.
    const back = isExpressible(shape) ? e.int64Constant("shape", reshapeTarget(e.node.name, shape)) : e.step("Shape", [x], {}, "shape");
    const restored = e.step("Reshape", [normed, back], {}, "ungrouped");
    const scaled = e.step("Mul", [restored, broadcastParam(e, 1, "gamma")], {}, "scaled");
    e.last("Add", [scaled, broadcastParam(e, 2, "beta")]);
  },
};

export const GROUP_NORM_OPERATORS = { layers: [GROUP_LAYER], ir: [GROUP_NORMALIZATION] };
