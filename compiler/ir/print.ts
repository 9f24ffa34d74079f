/**
 * A stable text form of the IR, for `--dump-ir` and golden tests:
 *
 *   graph ResNet20(x: [N,3,32,32]) -> (dense0)
 *     param stem.conv0.weight [16,3,3,3]
 *     stem.conv0 = Conv(x, stem.conv0.weight) {kernel_shape: [3,3], pads: [1,1,1,1]} : [N,16,32,32]  # resnet20.nn:13
 *       note: ...
 *
 * Constant nodes (computed once at load time) are marked `const`; an absent optional input
 * prints as `_`. A node with several outputs
 * lists them, and their shapes, in parentheses; outputs that update a buffer say which:
 *
 *     (b0, b0.new_running_mean, b0.new_running_var) = BatchNormalization(...) {...} : ([N,8], [8], [8])
 *       writes back: b0.new_running_mean -> b0.running_mean, b0.new_running_var -> b0.running_var
 */
import type { Graph, IrAttr, IrNode } from "./graph.js";
import type { SourceFile } from "../syntax/span.js";

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(",")}]`;
}

function attrText(value: IrAttr): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return String(value);
  return `[${value.join(",")}]`;
}

/** Prints `graph`; with `sources`, each node names the source line it came from. */
export function printGraph(graph: Graph, sources?: (path: string) => SourceFile | undefined): string {
  const inputs = graph.inputs.map((i) => `${i}: ${shapeText(graph.value(i).shape)}`).join(", ");
  const lines = [`graph ${graph.name}(${inputs}) -> (${graph.outputs.join(", ")})`];
  for (const value of graph.values.values()) {
    if (value.kind === "param") lines.push(`  ${value.buffer ? "buffer" : "param"} ${value.name} ${shapeText(value.shape)}`);
    if (value.kind === "const") lines.push(`  const ${value.name} ${shapeText(value.shape)} = [${Array.from(value.data ?? []).slice(0, 8).join(", ")}${(value.data?.length ?? 0) > 8 ? ", ..." : ""}]`);
  }
  for (const node of graph.nodes) lines.push(...nodeLines(graph, node, sources));
  return lines.join("\n") + "\n";
}

function nodeLines(graph: Graph, node: IrNode, sources?: (path: string) => SourceFile | undefined): string[] {
  const attrs = Object.keys(node.attrs)
    .sort()
    .map((k) => `${k}: ${attrText(node.attrs[k])}`)
    .join(", ");
  const where = node.origins
    .map((o) => {
      const line = sources?.(o.file)?.lineCol(o.span.start).line;
      return line === undefined ? undefined : `${o.file}:${line + 1}`;
    })
    .filter((w): w is string => w !== undefined);
  const kind = graph.isConstantNode(node) ? "const " : "";
  const several = (texts: string[]) => (texts.length === 1 ? texts[0] : `(${texts.join(", ")})`);
  const head =
    `  ${kind}${several([...node.outputs])} = ${node.op}(${node.inputs.map((i) => i || "_").join(", ")})` +
    (attrs ? ` {${attrs}}` : "") +
    ` : ${several(node.outputs.map((o) => shapeText(graph.value(o).shape)))}` +
    (where.length > 0 ? `  # ${where.join(", ")}` : "");
  const updates = node.outputs.flatMap((o) => {
    const buffer = graph.value(o).updates;
    return buffer === undefined ? [] : [`${o} -> ${buffer}`];
  });
  const writes = updates.length > 0 ? [`    writes back: ${updates.join(", ")}`] : [];
  return [head, ...writes, ...node.notes.map((n) => `    note: ${n}`)];
}
