/**
 * Fuses a relu into the training batch norm or residual sum before it, after reverse mode has
 * built the step: the producer keeps its operator and gains `activation: "Relu"`, and writes
 * relu of its result in the same pass over memory (`batchNormalizationTraining` with `relu`,
 * `addRelu`), instead of a second pass that reads and writes the whole activation again. The
 * relu's gradient is unchanged: `ReluGrad` reads the relu's output, which the fused node now
 * writes, and a batch norm's gradient reads its input, not its output. It refuses when anything
 * else reads the value before the relu (a graph output, another layer, a backward node).
 */
import type { Graph, IrNode } from "../ir/graph.js";
import { pruneValues } from "../passes/rewrite.js";

/** The operators a relu fuses into. */
const FUSES_RELU = new Set(["BatchNormalization", "Add"]);

/** `graph` (a training step) with each relu that can fuse into its producer fused. */
export function fuseTrainingRelu(graph: Graph): Graph {
  const fused = new Map<string, IrNode>();
  const removed = new Set<string>();
  for (const relu of graph.nodes) {
    if (relu.op !== "Relu") continue;
    const producer = graph.producer(relu.inputs[0]);
    if (producer === undefined || !FUSES_RELU.has(producer.op) || producer.attrs.activation !== undefined) continue;
    if (producer.outputs[0] !== relu.inputs[0] || graph.useCount(relu.inputs[0]) !== 1) continue;
    fused.set(producer.name, {
      ...producer,
      attrs: { ...producer.attrs, activation: "Relu" },
      outputs: [relu.outputs[0], ...producer.outputs.slice(1)],
      origins: [...producer.origins, ...relu.origins],
    });
    removed.add(relu.name);
  }
  if (fused.size === 0) return graph;
  const nodes = graph.nodes.flatMap((n) => (removed.has(n.name) ? [] : [fused.get(n.name) ?? n]));
  return pruneValues(graph.with({ nodes }));
}
