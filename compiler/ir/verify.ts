/**
 * Structural checks of a graph, run after every pass in the tests: every value a node reads
 * is defined before it (inputs, parameters, constants, or an earlier node's output), every
 * node has an output and every output is produced once, a value that updates a buffer is the
 * output of a node reading that buffer, and every graph output exists. A failure is a compiler
 * bug, so it returns messages rather than diagnostics.
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
    if (node.outputs.length === 0) problems.push(`${node.name} (${node.op}) has no output`);
    for (const output of node.outputs) {
      if (defined.has(output)) problems.push(`${node.name} redefines ${output}`);
      const value = graph.values.get(output);
      if (!value) problems.push(`${node.name} writes ${output}, which has no value entry`);
      else if (value.kind !== "node") problems.push(`${node.name} writes ${output}, a ${value.kind}`);
      else if (value.updates !== undefined) {
        const buffer = graph.values.get(value.updates);
        if (buffer?.kind !== "param" || !buffer.buffer) problems.push(`${output} updates ${value.updates}, which is not a buffer`);
        if (!node.inputs.includes(value.updates)) problems.push(`${output} updates ${value.updates}, which ${node.name} does not read`);
      }
      defined.add(output);
    }
  }
  for (const output of graph.outputs) {
    if (!defined.has(output)) problems.push(`graph output ${output} is never defined`);
  }
  return problems;
}
