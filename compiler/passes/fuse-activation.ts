/**
 * Fuses an activation into the `Conv` or `Gemm` before it, so the kernel applies it while
 * writing each output (`y = act(W·x + b)`) instead of in a second pass over memory. The fused
 * node keeps its operator and gains `activation` (and `alpha` for `LeakyRelu` and `Elu`); the ONNX
 * emitter writes the activation back out as its own node. It refuses when the layer's output
 * has another reader, which needs the value before the activation.
 */
import type { IrAttr, IrNode } from "../ir/graph.js";
import { pruneValues, type Pass } from "./rewrite.js";

/** The activations the runtime's GEMM epilogue implements. */
export const FUSABLE_ACTIVATIONS: ReadonlySet<string> = new Set(["Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Silu"]);

export const fuseActivation: Pass = {
  name: "fuse-activation",
  run(graph) {
    const fused = new Map<string, IrNode>();
    const removed = new Set<string>();
    for (const act of graph.nodes) {
      if (!FUSABLE_ACTIVATIONS.has(act.op)) continue;
      const layer = graph.producer(act.inputs[0]);
      if (!layer || (layer.op !== "Conv" && layer.op !== "Gemm") || layer.attrs.activation !== undefined) continue;
      if (graph.useCount(layer.output) !== 1) continue;
      const attrs: Record<string, IrAttr> = { ...layer.attrs, activation: act.op };
      if (act.op === "LeakyRelu" || act.op === "Elu") attrs.alpha = Number(act.attrs.alpha ?? (act.op === "Elu" ? 1 : 0.01));
      fused.set(act.name, { ...layer, attrs, output: act.output, origins: [...layer.origins, ...act.origins] });
      removed.add(layer.name);
    }
    if (fused.size === 0) return { graph, changed: false };
    const nodes = graph.nodes.flatMap((n) => (removed.has(n.name) ? [] : [fused.get(n.name) ?? n]));
    return { graph: pruneValues(graph.with({ nodes })), changed: true };
  },
};
