/**
 * Small tools that passes share for building graphs: renaming a value's readers, dropping
 * nodes, and a builder that adds constant nodes and values under unique names.
 */
import type { Shape } from "../check/model.js";
import { freshName, Graph, type IrAttr, type IrNode, type IrValue } from "../ir/graph.js";

/** What a pass returns: the new graph, and whether it changed anything. */
export interface PassResult {
  readonly graph: Graph;
  readonly changed: boolean;
}

/** A named pass. */
export interface Pass {
  readonly name: string;
  run(graph: Graph): PassResult;
}

/** `graph` with every read of `from` (graph outputs included) reading `to` instead. */
export function replaceUses(graph: Graph, from: string, to: string, nodes: readonly IrNode[] = graph.nodes): Graph {
  const renamed = nodes.map((n) => (n.inputs.includes(from) ? { ...n, inputs: n.inputs.map((i) => (i === from ? to : i)) } : n));
  return graph.with({ nodes: renamed, outputs: graph.outputs.map((o) => (o === from ? to : o)) });
}

/**
 * Collects new nodes and values for a rewrite. Names derive from a base (`Basic0.batch0`)
 * plus a suffix, made unique against the graph, so rewrites stay deterministic.
 */
export class GraphBuilder {
  readonly values: Map<string, IrValue>;
  private readonly taken: Set<string>;

  constructor(graph: Graph) {
    this.values = new Map(graph.values);
    this.taken = new Set([...graph.values.keys(), ...graph.nodes.map((n) => n.name)]);
  }

  /** A fresh name `base.suffix` (or `base.suffix_2`, ...). */
  fresh(base: string, suffix: string): string {
    const name = freshName(this.taken, `${base}.${suffix}`);
    this.taken.add(name);
    return name;
  }

  /** A literal constant. */
  constant(base: string, suffix: string, shape: readonly number[], data: Float32Array): string {
    const name = this.fresh(base, suffix);
    this.values.set(name, { name, shape, kind: "const", data });
    return name;
  }

  /** A scalar constant, shape `[1]`, which ONNX broadcasting applies everywhere. */
  scalar(base: string, suffix: string, value: number): string {
    return this.constant(base, suffix, [1], Float32Array.of(value));
  }

  /** A node with a fresh output value of `shape`; `template` lends its origins. */
  node(
    template: Pick<IrNode, "name" | "origins">,
    suffix: string,
    op: string,
    inputs: string[],
    shape: Shape,
    attrs: Record<string, IrAttr> = {},
  ): IrNode {
    const name = this.fresh(template.name, suffix);
    this.values.set(name, { name, shape, kind: "node" });
    return { name, op, inputs, outputs: [name], attrs, origins: template.origins, notes: [] };
  }

  /**
   * A node `<base>.<name>` with several fresh outputs `<base>.<suffix>`, each with its shape (an
   * affine's scale and shift, a fold's weight and bias); `template` lends its origins.
   */
  multiNode(
    template: Pick<IrNode, "name" | "origins">,
    name: string,
    op: string,
    inputs: string[],
    outputs: readonly { readonly suffix: string; readonly shape: Shape }[],
    attrs: Record<string, IrAttr> = {},
  ): IrNode {
    const nodeName = this.fresh(template.name, name);
    const names = outputs.map(({ suffix, shape }) => {
      const value = this.fresh(template.name, suffix);
      this.values.set(value, { name: value, shape, kind: "node" });
      return value;
    });
    return { name: nodeName, op, inputs, outputs: names, attrs, origins: template.origins, notes: [] };
  }
}

/**
 * Drops values that no node or output refers to any more. Parameters always stay: `load()`
 * still checks every checkpoint tensor and `state()` returns them all.
 */
export function pruneValues(graph: Graph): Graph {
  const live = new Set<string>([...graph.inputs, ...graph.outputs]);
  for (const n of graph.nodes) {
    for (const o of n.outputs) live.add(o);
    for (const i of n.inputs) live.add(i);
  }
  const values = new Map([...graph.values].filter(([name, v]) => live.has(name) || v.kind === "param"));
  return values.size === graph.values.size ? graph : graph.with({ values });
}

/** Builds a graph from scratch (lowering and tests). */
export function makeGraph(name: string, inputs: string[], outputs: string[], values: IrValue[], nodes: IrNode[]): Graph {
  return new Graph(name, inputs, outputs, new Map(values.map((v) => [v.name, v])), nodes);
}

/**
 * Removes every node with operator `op`, sending its readers to its first input instead.
 * The pass for operators that are the identity at inference (`Dropout`, `Identity`).
 */
export function bypassPass(name: string, op: string): Pass {
  return {
    name,
    run(graph) {
      let g = graph;
      let changed = false;
      for (const { name: bypassed } of graph.nodes.filter((n) => n.op === op)) {
        // Look the node up again: an earlier bypass may have renamed its input.
        const node = g.nodes.find((n) => n.name === bypassed);
        if (!node) continue;
        g = replaceUses(g, node.outputs[0], node.inputs[0], g.nodes.filter((n) => n !== node));
        changed = true;
      }
      return { graph: changed ? pruneValues(g) : graph, changed };
    },
  };
}
