/**
 * Removes nodes whose outputs nothing reads: no later node and no graph output, and none of them
 * updates a buffer (a training normalizer's new running statistics are written back, so they
 * count as read). One sweep from the end finds them all, since a node can only be read by nodes
 * after it.
 */
import { pruneValues, type Pass } from "./rewrite.js";

export const deadCode: Pass = {
  name: "dead-code",
  run(graph) {
    const live = new Set(graph.outputs);
    const kept = [];
    for (let i = graph.nodes.length - 1; i >= 0; i--) {
      const node = graph.nodes[i];
      if (!node.outputs.some((o) => live.has(o) || graph.value(o).updates !== undefined)) continue;
      kept.push(node);
      for (const input of node.inputs) live.add(input);
    }
    if (kept.length === graph.nodes.length) return { graph, changed: false };
    return { graph: pruneValues(graph.with({ nodes: kept.reverse() })), changed: true };
  },
};
