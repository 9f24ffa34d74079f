/**
 * Fuses an activation into the `Conv` or `Gemm` before it, so the kernel applies it while
 * writing each output (`y = act(W·x + b)`) instead of in a second pass over memory. The fused
 * node keeps its operator and gains `activation` (the activation's IR operator) and the
 * activation's attributes under their own names (`alpha`, `min`, `max`); the ONNX emitter writes
 * the activation back out as its own node. Which activations fuse is their registry entry's
 * `epilogue.fuses`. It refuses when the layer's output has another reader, which needs the value
 * before the activation, or when an activation attribute would overwrite one of the layer's.
 */
import { IR_OPERATORS } from "../../runtime/ops/index.js";
import type { IrAttr, IrNode } from "../ir/graph.js";
import { pruneValues, type Pass } from "./rewrite.js";

export const fuseActivation: Pass = {
  name: "fuse-activation",
  run(graph) {
    const fused = new Map<string, IrNode>();
    const removed = new Set<string>();
    for (const act of graph.nodes) {
      const operator = IR_OPERATORS.get(act.op);
      if (!operator?.epilogue?.fuses || operator.activation === undefined) continue;
      const names = operator.activation.attrs;
      const layer = graph.producer(act.inputs[0]);
      if (!layer || (layer.op !== "Conv" && layer.op !== "Gemm") || layer.attrs.activation !== undefined) continue;
      if (graph.useCount(layer.outputs[0]) !== 1) continue;
      if (names.some((name) => name in layer.attrs)) continue;
      const attrs: Record<string, IrAttr> = { ...layer.attrs, activation: act.op };
      for (const name of names) {
        const value = act.attrs[name];
        if (value !== undefined) attrs[name] = value;
      }
      fused.set(act.name, { ...layer, attrs, outputs: act.outputs, origins: [...layer.origins, ...act.origins] });
      removed.add(layer.name);
    }
    if (fused.size === 0) return { graph, changed: false };
    const nodes = graph.nodes.flatMap((n) => (removed.has(n.name) ? [] : [fused.get(n.name) ?? n]));
    return { graph: pruneValues(graph.with({ nodes })), changed: true };
  },
};
