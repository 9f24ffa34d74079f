/**
 * Inference-time batch normalizations become a per-channel affine `y = x·s + t`:
 *
 *   BatchNormalization:    s = γ / sqrt(running_var + eps),  t = β − running_mean·s
 *   BatchRenormalization:  s = γ / running_std,              t = β − running_mean·s
 *
 * `s` and `t` are the two outputs of one constant `NormalizationAffine` node (computed once, at
 * load, by the runtime's `normalizationAffine`), shaped `[1, C, 1, 1]` (or `[1, C]` for features)
 * so that the affine is a plain ONNX `Mul` and `Add`, which `fold-affine-into-conv` then folds
 * into the preceding convolution.
 *
 * A normalization that cannot fold (it follows a concat, an addition or the input, as in DenseNet
 * and pre-activation networks; or its conv's output has other readers) stays as it is, with a note
 * saying why: the plan runs it as one per-channel affine kernel in its own layout, and ONNX
 * writes it as BatchNormalization, where a lone `Mul` and `Add` would cost two passes and, in the
 * plan, layout conversions.
 */
import type { IrAttr, IrNode } from "../ir/graph.js";
import { foldRefusal } from "./fold-affine-into-conv.js";
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
      const kept = foldRefusal(graph, x);
      if (kept) {
        const note = `${normalizationToAffine.name}: ${kept.replace("the affine follows", "it follows")}; kept as one per-channel affine`;
        nodes.push(node.notes.includes(note) ? node : { ...node, notes: [...node.notes, note] });
        continue;
      }
      const shape = graph.value(node.outputs[0]).shape;
      const broadcast = shape.map((_, axis) => (axis === 1 ? graph.value(gamma).shape[0] : 1));
      // Batch renormalization keeps a standard deviation, which takes no epsilon.
      const attrs: Record<string, IrAttr> = node.op === "BatchNormalization" ? { epsilon: Number(node.attrs.epsilon ?? 1e-5), rank: shape.length } : { rank: shape.length };
      const parts = [
        { suffix: "scale", shape: broadcast },
        { suffix: "shift", shape: broadcast },
      ];
      const affine = b.multiNode(node, "affine", "NormalizationAffine", [gamma, beta, mean, varOrStd], parts, attrs);
      const [scale, shift] = affine.outputs;
      const scaled = b.node(node, "scaled", "Mul", [x, scale], shape);
      const add: IrNode = { ...node, op: "Add", inputs: [scaled.outputs[0], shift], outputs: [node.outputs[0]], attrs: {}, notes: [] };
      nodes.push(affine, scaled, add);
    }
    return { graph: pruneValues(graph.with({ nodes, values: b.values })), changed: true };
  },
};
