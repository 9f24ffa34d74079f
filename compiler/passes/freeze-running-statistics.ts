/**
 * At inference a normalizer reads its running statistics and never updates them: each new
 * running statistic it would compute in training equals the buffer it updates. So every output
 * that updates a buffer (`IrValue.updates`, which lowering gives BatchNormalization and the other
 * normalizers with running statistics) goes, and every node is left with its result alone, as
 * ONNX, the plan and the inference passes after this one expect. Nothing reads those outputs:
 * they exist only to be written back by a training forward.
 */
import { pruneValues, type Pass } from "./rewrite.js";

export const freezeRunningStatistics: Pass = {
  name: "freeze-running-statistics",
  run(graph) {
    const updates = (output: string) => graph.value(output).updates !== undefined;
    if (!graph.nodes.some((n) => n.outputs.some(updates))) return { graph, changed: false };
    const nodes = graph.nodes.map((n) => (n.outputs.some(updates) ? { ...n, outputs: n.outputs.filter((o) => !updates(o)) } : n));
    return { graph: pruneValues(graph.with({ nodes })), changed: true };
  },
};
