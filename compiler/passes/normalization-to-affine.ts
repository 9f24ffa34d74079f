/**
 * Inference-time batch normalizations become a per-channel affine `y = x·s + t`:
 *
 *   BatchNormalization:    s = γ / sqrt(running_var + eps),  t = β − running_mean·s
 *   BatchRenormalization:  s = γ / running_std,              t = β − running_mean·s
 *
 * `s` and `t` are computed by constant nodes (once, at load time), reshaped to `[1, C, 1, 1]`
 * (or `[1, C]` for features) so that the affine is a plain ONNX `Mul` and `Add`, which
 * `fold-affine-into-conv` can then fold into the preceding convolution.
 */
import type { IrNode } from "../ir/graph.js";
import { GraphBuilder, pruneValues, type Pass } from "./rewrite.js";

const NORMALIZATIONS = new Set(["BatchNormalization", "BatchRenormalization"]);

export const normalizationToAffine: Pass = {
  name: "normalization-to-affine",
  run(graph) {
    if (!graph.nodes.some((n) => NORMALIZATIONS.has(n.op))) return { graph, changed: false };
    const b = new GraphBuilder(graph);
    const nodes: IrNode[] = [];
    for (const node of graph.nodes) {
      if (!NORMALIZATIONS.has(node.op)) {
        nodes.push(node);
        continue;
      }
      const [x, gamma, beta, mean, varOrStd] = node.inputs;
      const shape = graph.value(node.outputs[0]).shape;
      const channels = graph.value(gamma).shape;
      let std = varOrStd;
      if (node.op === "BatchNormalization") {
        const eps = b.scalar(node.name, "eps", Number(node.attrs.epsilon ?? 1e-5));
        const shifted = b.node(node, "var_eps", "Add", [varOrStd, eps], channels);
        const root = b.node(node, "std", "Sqrt", [shifted.outputs[0]], channels);
        nodes.push(shifted, root);
        std = root.outputs[0];
      }
      const scale = b.node(node, "scale", "Div", [gamma, std], channels);
      const meanScaled = b.node(node, "mean_scale", "Mul", [mean, scale.outputs[0]], channels);
      const shift = b.node(node, "shift", "Sub", [beta, meanScaled.outputs[0]], channels);
      const broadcast = shape.map((_, axis) => (axis === 1 ? channels[0] : 1)) as number[];
      const scaleB = b.node(node, "scale_b", "Reshape", [scale.outputs[0]], broadcast, { shape: broadcast });
      const shiftB = b.node(node, "shift_b", "Reshape", [shift.outputs[0]], broadcast, { shape: broadcast });
      const mul = b.node(node, "mul", "Mul", [x, scaleB.outputs[0]], shape);
      const add: IrNode = { ...node, op: "Add", inputs: [mul.outputs[0], shiftB.outputs[0]], outputs: [node.outputs[0]], attrs: {}, notes: [] };
      nodes.push(scale, meanScaled, shift, scaleB, shiftB, mul, add);
    }
    return { graph: pruneValues(graph.with({ nodes, values: b.values })), changed: true };
  },
};
