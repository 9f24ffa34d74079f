/**
 * The IR: one node type in ONNX vocabulary over named tensor values.
 *
 * A value is a model input, a parameter (a checkpoint tensor, by its dotted name: docs/operators.md, "Parameter names"), a literal
 * constant, or one output of exactly one node. Most nodes have one output; a fold has two (the
 * folded weight and bias), and a training normalizer has its result followed by the new value
 * of each running statistic, which a training forward writes back into that buffer
 * (`IrValue.updates`). A node whose inputs are all parameters or constants is itself constant:
 * the TypeScript module computes such nodes once in `load()`, and the ONNX emitter evaluates
 * them into initializers. That is how inference folding stays a graph rewrite (`W' = W·γ/σ` is a
 * node) while `load()` still takes the original, unfolded checkpoint.
 *
 * Graphs are immutable: passes build new ones with `withNodes`.
 */
import type { Origin, Shape } from "../check/model.js";

export type ValueKind = "input" | "param" | "const" | "node";

/** `base`, or else `base_2`, `base_3`, ...: the first of them that `taken` does not hold. */
export function freshName(taken: { has(name: string): boolean }, base: string): string {
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
  return name;
}

/** A tensor of the graph. */
export interface IrValue {
  readonly name: string;
  readonly shape: Shape;
  readonly kind: ValueKind;
  /**
   * For inputs: the target of a training graph (class labels or regression targets), whose shape
   * depends on the loss; the loss kernel checks it.
   */
  readonly target?: boolean;
  /** For params: a running statistic rather than a learnable parameter. */
  readonly buffer?: boolean;
  /** For consts: the literal values, row-major. */
  readonly data?: Float32Array;
  /**
   * For node outputs: the buffer (a running statistic) whose new value this is. A training
   * forward writes it back into that buffer; an inference forward leaves it equal to the buffer.
   */
  readonly updates?: string;
}

/** An attribute value, as ONNX attributes are: numbers, strings, and lists of numbers. */
export type IrAttr = number | string | readonly number[];

/** One operation. */
export interface IrNode {
  /** Unique within the graph; taken from the layer's path (`Basic0.conv0`). */
  readonly name: string;
  /** The ONNX operator (`Conv`, `BatchNormalization`, ...) or an nnc operator with no ONNX form. */
  readonly op: string;
  /** Input value names in the operator's order; `""` for an absent optional input. */
  readonly inputs: readonly string[];
  /** Output value names: one for most nodes; several for a fold or a training normalizer. */
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, IrAttr>>;
  /** Where the node came from; a fused node keeps the origins of everything fused into it. */
  readonly origins: readonly Origin[];
  /** Remarks of passes, such as why a fold was refused, shown by `--dump-ir`. */
  readonly notes: readonly string[];
}

/** A model as a graph. */
export class Graph {
  private readonly producers = new Map<string, IrNode>();
  private readonly users = new Map<string, IrNode[]>();
  private readonly constants = new Map<string, boolean>();

  constructor(
    readonly name: string,
    readonly inputs: readonly string[],
    readonly outputs: readonly string[],
    readonly values: ReadonlyMap<string, IrValue>,
    readonly nodes: readonly IrNode[],
  ) {
    for (const node of nodes) {
      for (const output of node.outputs) this.producers.set(output, node);
      for (const input of node.inputs) {
        const list = this.users.get(input);
        if (list) list.push(node);
        else this.users.set(input, [node]);
      }
    }
  }

  /** The value named `name`; throws for an unknown name, which is a bug in a pass. */
  value(name: string): IrValue {
    const v = this.values.get(name);
    if (!v) throw new Error(`IR: no value named ${name}`);
    return v;
  }

  /** The node producing `value`, if a node does. */
  producer(value: string): IrNode | undefined {
    return this.producers.get(value);
  }

  /** The nodes reading `value`, in graph order (a node reading it twice appears once per read). */
  uses(value: string): readonly IrNode[] {
    return this.users.get(value) ?? [];
  }

  /** How many places read `value`, graph outputs included. */
  useCount(value: string): number {
    let n = 0;
    for (const node of this.uses(value)) n += node.inputs.filter((i) => i === value).length;
    return n + this.outputs.filter((o) => o === value).length;
  }

  /**
   * True when `value` is known before any input arrives: a parameter, a constant, or an output of
   * a node whose inputs all are (every output of such a node is constant).
   */
  isConstant(value: string): boolean {
    const known = this.constants.get(value);
    if (known !== undefined) return known;
    const v = this.values.get(value);
    if (v?.kind === "node") {
      // One pass over the nodes in topological order answers for every node output at once,
      // each from its inputs' cached answers: no recursion, however long the graph.
      for (const node of this.nodes) {
        if (this.constants.has(node.outputs[0])) continue;
        const constant = node.inputs.every((i) => i === "" || this.isConstant(i));
        for (const output of node.outputs) this.constants.set(output, constant);
      }
      return this.constants.get(value) ?? false;
    }
    const constant = v !== undefined && (v.kind === "param" || v.kind === "const");
    this.constants.set(value, constant);
    return constant;
  }

  /** True when `node` computes constants: its inputs are all known before any input arrives. */
  isConstantNode(node: IrNode): boolean {
    return node.outputs.length > 0 && this.isConstant(node.outputs[0]);
  }

  /** A graph with other nodes and values (and outputs, when renamed). */
  with(changes: { nodes?: readonly IrNode[]; values?: ReadonlyMap<string, IrValue>; outputs?: readonly string[] }): Graph {
    return new Graph(this.name, this.inputs, changes.outputs ?? this.outputs, changes.values ?? this.values, changes.nodes ?? this.nodes);
  }
}
