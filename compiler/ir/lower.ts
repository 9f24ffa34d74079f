/**
 * Lowering: a checked model becomes an IR graph, one node per layer instance (two or three
 * for the few layers that need helper nodes), in ONNX vocabulary. Each layer's registry entry
 * (`runtime/ops/`) says which nodes it becomes; this file only names values and keeps the graph.
 * Where ONNX has the exact operator its name and attribute names are used; where it has none,
 * or one with other semantics, the node uses an nnc operator whose registry entry writes its
 * ONNX form.
 *
 * Value names: model inputs keep their names, parameters their dotted names (docs/operators.md, "Parameter names"), and each layer's
 * output is named after the layer's path (`Basic0.conv0`), so IR dumps, emitted code and ONNX
 * node names read like `nnc summary`. A normalizer with running statistics also outputs their
 * new values, `<path>.new_running_mean` and so on, each marked as updating its buffer: the
 * graph keeps training semantics intact, and the inference passes drop those outputs.
 */
import type { CheckedModel, LayerInstance } from "../check/model.js";
import { IR_OPERATORS, LAYERS } from "../../runtime/ops/index.js";
import type { LoweringContext } from "../../runtime/ops/types.js";
import { freshName, Graph, type IrNode, type IrValue } from "./graph.js";

/** Lowers `model` to a graph with inference and training semantics intact (no pass has run). */
export function lowerModel(model: CheckedModel): Graph {
  return new Lowering(model).run();
}

class Lowering {
  private readonly values = new Map<string, IrValue>();
  private readonly nodes: IrNode[] = [];
  /** The IR value name of each checked tensor value id. */
  private readonly names = new Map<number, string>();

  constructor(private readonly model: CheckedModel) {}

  run(): Graph {
    const { model } = this;
    for (const input of model.inputs) {
      this.values.set(input.name, { name: input.name, shape: model.values[input.value].shape, kind: "input" });
      this.names.set(input.value, input.name);
    }
    for (const p of model.params) this.values.set(p.name, { name: p.name, shape: p.shape, kind: "param", buffer: p.buffer });
    for (const layer of model.layers) this.layer(layer);
    const outputs = model.outputs.map((id) => this.name(id));
    return new Graph(model.name, model.inputs.map((i) => i.name), outputs, this.values, this.nodes);
  }

  private name(id: number): string {
    const name = this.names.get(id);
    if (name === undefined) throw new Error(`lowering: tensor value ${id} is read before it is produced`);
    return name;
  }

  /** A name not yet used by a value (a layer may be labelled like a model input). */
  private fresh(base: string): string {
    return freshName(this.values, base);
  }

  /** The output `<node>.new_<leaf>` holding the new value of the buffer `buffer` (a running statistic). */
  private update(node: string, buffer: string): string {
    const name = this.fresh(`${node}.new_${buffer.slice(buffer.lastIndexOf(".") + 1)}`);
    this.values.set(name, { name, shape: this.values.get(buffer)!.shape, kind: "node", updates: buffer });
    return name;
  }

  /** Lowers one layer through its registry entry, which adds its nodes through a {@link LoweringContext}. */
  private layer(layer: LayerInstance): void {
    const entry = LAYERS.get(layer.kind);
    if (!entry) throw new Error(`lowering: no registered layer ${layer.kind}`);
    const inputShape = this.model.values[layer.inputs[0]].shape;
    const param = (leaf: string): string | undefined => {
      const name = `${layer.path}.${leaf}`;
      return layer.params.some((p) => p.name === name) ? name : undefined;
    };
    const ctx: LoweringContext = {
      path: layer.path,
      attrs: layer.attrs,
      inputs: layer.inputs.map((id) => this.name(id)),
      inputShape,
      channels: typeof inputShape[1] === "number" ? inputShape[1] : 0,
      inputShapeOf: (name) => this.values.get(name)?.shape ?? [],
      param,
      required: (leaf) => {
        const name = param(leaf);
        if (!name) throw new Error(`lowering: ${layer.path} has no parameter ${leaf}`);
        return name;
      },
      constant: (suffix, shape, data) => {
        const name = this.fresh(`${layer.path}.${suffix}`);
        this.values.set(name, { name, shape, kind: "const", data });
        return name;
      },
      emit: (op, inputs, attrs = {}, suffix, shape) => {
        const output = this.fresh(suffix ? `${layer.path}.${suffix}` : layer.path);
        const outShape = shape ?? this.model.values[layer.output].shape;
        this.values.set(output, { name: output, shape: outShape, kind: "node" });
        const updates = (IR_OPERATORS.get(op)?.updates ?? []).map((index) => this.update(output, inputs[index]));
        this.nodes.push({ name: output, op, inputs: [...inputs], outputs: [output, ...updates], attrs, origins: [layer.origin], notes: [] });
        return output;
      },
    };
    this.names.set(layer.output, entry.lower(ctx));
  }
}
