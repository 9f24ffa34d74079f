/**
 * Structural checks of a graph, run after every pass in the tests: every value a node reads
 * is defined before it (inputs, parameters, constants, or an earlier node's output), every
 * output is produced once, and every graph output exists. A failure is a compiler bug, so it
 * returns messages rather than diagnostics.
 */
import type { Graph } from "./graph.js";

/** The problems of `graph`; empty when it is well formed. */
export function verify(graph: Graph): string[] {
  const problems: string[] = [];
  const defined = new Set<string>();
  for (const [name, value] of graph.values) {
    if (value.name !== name) problems.push(`value ${name} is registered under another name (${value.name})`);
    if (value.kind !== "node") defined.add(name);
    if (value.kind === "const" && value.data?.length !== value.shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : NaN), 1)) {
      problems.push(`constant ${name} has ${value.data?.length} values for shape [${value.shape.join(",")}]`);
    }
  }
  for (const input of graph.inputs) {
    if (graph.values.get(input)?.kind !== "input") problems.push(`graph input ${input} is not an input value`);
  }
  const names = new Set<string>();
  for (const node of graph.nodes) {
    if (names.has(node.name)) problems.push(`node name ${node.name} is used twice`);
    names.add(node.name);
    for (const input of node.inputs) {
      if (input !== "" && !defined.has(input)) problems.push(`${node.name} (${node.op}) reads ${input} before it is defined`);
    }
    if (defined.has(node.output)) problems.push(`${node.name} redefines ${node.output}`);
    const value = graph.values.get(node.output);
    if (!value) problems.push(`${node.name} writes ${node.output}, which has no value entry`);
    else if (value.kind !== "node") problems.push(`${node.name} writes ${node.output}, a ${value.kind}`);
    defined.add(node.output);
  }
  for (const output of graph.outputs) {
    if (!defined.has(output)) problems.push(`graph output ${output} is never defined`);
  }
  return problems;
}
