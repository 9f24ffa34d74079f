/**
 * Reverse mode over the IR: given a graph and the gradients of some of its values (the seeds, a
 * loss node's outputs), appends the backward nodes that compute the gradient of every learnable
 * parameter, as ordinary IR nodes, so that `--dump-ir`, the executor and the TypeScript emitter
 * treat them like any other node.
 *
 * The walk visits the forward nodes in reverse order. A node whose output has a gradient and some
 * of whose inputs want one hands both to its operator's backward rule (`runtime/ops/`, the
 * `backward` field of its registry entry), which adds the nodes computing the inputs' gradients.
 * A value read by several nodes gets the sum of their contributions (`Add` nodes), formed just
 * before its producer is visited, when every reader has been. An input wants a gradient when it
 * is a learnable parameter (not a running statistic) or depends on one, or, with
 * `inputGradients`, when it is a model input or depends on one.
 */
import { irOperator } from "../../runtime/ops/index.js";
import type { GradientContext, IrAttr, Shape } from "../../runtime/ops/types.js";
import { freshName, Graph, type IrNode, type IrValue } from "../ir/graph.js";

/** What to differentiate. */
export interface GradientRequest {
  /** The gradient of each seeded value, by value name (a loss node's outputs). */
  readonly seeds: ReadonlyMap<string, string>;
  /** Also compute the gradients of the model inputs (the per-operator checks against autograd). */
  readonly inputGradients?: boolean;
}

/** The graph with its backward nodes, and where each gradient is. */
export interface Gradients {
  readonly graph: Graph;
  /** The gradient of each learnable parameter (and input, when asked) that a seed depends on, by value name. */
  readonly gradients: ReadonlyMap<string, string>;
  /** Learnable parameters no seed depends on: they get no gradient (and an optimizer leaves them alone). */
  readonly unreached: readonly string[];
}

/** Appends the backward nodes of `graph` for `request`. */
export function differentiate(graph: Graph, request: GradientRequest): Gradients {
  return new ReverseMode(graph, request).run();
}

class ReverseMode {
  private readonly values: Map<string, IrValue>;
  private readonly nodes: IrNode[];
  /** Contributions to each value's gradient, not yet summed. */
  private readonly parts = new Map<string, string[]>();
  /** Each value's summed gradient, once formed. */
  private readonly sums = new Map<string, string>();
  private readonly requires = new Map<string, boolean>();

  constructor(
    private readonly graph: Graph,
    private readonly request: GradientRequest,
  ) {
    this.values = new Map(graph.values);
    this.nodes = [...graph.nodes];
    for (const [value, grad] of request.seeds) this.parts.set(value, [grad]);
  }

  run(): Gradients {
    const forward = this.withSavedTensors();
    for (let i = forward.length - 1; i >= 0; i--) this.visit(forward[i]);
    const gradients = new Map<string, string>();
    const unreached: string[] = [];
    for (const value of this.graph.values.values()) {
      const learnable = value.kind === "param" && !value.buffer;
      if (!learnable && !(this.request.inputGradients && value.kind === "input")) continue;
      const grad = this.gradient(value.name);
      if (grad !== undefined) gradients.set(value.name, grad);
      else if (learnable) unreached.push(value.name);
    }
    return { graph: new Graph(this.graph.name, this.graph.inputs, this.graph.outputs, this.values, this.nodes), gradients, unreached };
  }

  /**
   * Gives every forward node whose rule saves tensors (dropout's mask) those outputs; returns the
   * forward nodes as they now are.
   */
  private withSavedTensors(): IrNode[] {
    for (let i = 0; i < this.nodes.length; i++) {
      const node = this.nodes[i];
      const saves = irOperator(node.op, node.name).backward?.saves ?? [];
      if (saves.length === 0 || !this.requiresGrad(node.outputs[0])) continue;
      const shape = this.shape(node.outputs[0]);
      const extra = saves.map((suffix) => this.fresh(`${node.name}.${suffix}`, shape));
      this.nodes[i] = { ...node, outputs: [...node.outputs, ...extra], attrs: { ...node.attrs, saved: 1 } };
    }
    return [...this.nodes];
  }

  /** Whether `value` depends on a learnable parameter (or a model input, when input gradients are asked). */
  private requiresGrad(value: string): boolean {
    const known = this.requires.get(value);
    if (known !== undefined) return known;
    const v = this.values.get(value);
    let requires = false;
    if (v?.kind === "param") requires = !v.buffer;
    else if (v?.kind === "input") requires = this.request.inputGradients === true && !v.target;
    else if (v?.kind === "node") {
      const producer = this.graph.producer(value);
      // Only a node's first output carries a gradient; the others are running statistics or saved tensors.
      requires = producer !== undefined && producer.outputs[0] === value && producer.inputs.some((i) => i !== "" && this.requiresGrad(i));
    }
    this.requires.set(value, requires);
    return requires;
  }

  private visit(node: IrNode): void {
    const outputGrad = this.gradient(node.outputs[0]);
    if (outputGrad === undefined) return;
    const wants = node.inputs.map((input) => input !== "" && this.requiresGrad(input));
    if (!wants.some(Boolean)) return;
    const rule = irOperator(node.op, node.name).backward;
    if (rule === undefined) throw new Error(`IR: ${node.op} (${node.name}) has no backward rule`);
    const context = this.context(node, wants);
    const grads = rule.gradients(context);
    node.inputs.forEach((input, i) => {
      const grad = grads[i];
      if (!wants[i] || grad === undefined) return;
      const list = this.parts.get(input);
      if (list) list.push(grad);
      else this.parts.set(input, [grad]);
    });
  }

  private context(node: IrNode, wants: readonly boolean[]): GradientContext {
    const flags = wants.map((w) => (w ? 1 : 0));
    const emit = (op: string, inputs: readonly string[], attrs: Readonly<Record<string, IrAttr>>, outputs: readonly { suffix: string; shape: Shape }[]) => {
      const names = outputs.map((o) => this.fresh(`${node.name}.${o.suffix}`, o.shape));
      this.nodes.push({ name: names[0] ?? `${node.name}.backward`, op, inputs: [...inputs], outputs: names, attrs, origins: node.origins, notes: [] });
      return names;
    };
    return {
      node,
      grad: (k = 0) => this.gradient(node.outputs[k]),
      wants: (i) => wants[i] ?? false,
      shape: (name) => this.shape(name),
      emit,
      backward: (op, inputs, attrs = {}) => {
        const outputs = node.inputs.flatMap((input, i) => (wants[i] ? [{ suffix: `grad_${i}`, shape: this.shape(input) }] : []));
        const names = emit(op, inputs, { ...node.attrs, ...attrs, wants: flags }, outputs);
        let k = 0;
        return wants.map((w) => (w ? names[k++] : undefined));
      },
    };
  }

  /** The gradient of `value`, summing its contributions the first time it is asked for. */
  private gradient(value: string): string | undefined {
    const done = this.sums.get(value);
    if (done !== undefined) return done;
    const parts = this.parts.get(value);
    if (parts === undefined || parts.length === 0) return undefined;
    let sum = parts[0];
    for (let k = 1; k < parts.length; k++) {
      const name = this.fresh(`${value}.grad_sum`, this.shape(value));
      this.nodes.push({ name, op: "Add", inputs: [sum, parts[k]], outputs: [name], attrs: {}, origins: [], notes: [] });
      sum = name;
    }
    this.sums.set(value, sum);
    return sum;
  }

  private shape(name: string): Shape {
    const v = this.values.get(name);
    if (!v) throw new Error(`IR: no value named ${name}`);
    return v.shape;
  }

  /** A new node value named `base` (or `base_2`, ...). */
  private fresh(base: string, shape: Shape): string {
    const name = freshName(this.values, base);
    this.values.set(name, { name, shape, kind: "node" });
    return name;
  }
}
