/**
 * Lowering: a checked model becomes an IR graph, one node per layer instance (two or three
 * for the few layers that need helper nodes), in ONNX vocabulary. Where ONNX has the exact
 * operator its name and attribute names are used; where it has none, or one with other
 * semantics, the node uses an nnc operator that the ONNX emitter decomposes (`ops.ts` lists
 * them all).
 *
 * Value names: model inputs keep their names, parameters their SPEC §4 names, and each layer's
 * output is named after the layer's path (`Basic0.conv0`), so IR dumps, emitted code and ONNX
 * node names read like `nnc summary`.
 */
import type { CheckedModel, LayerInstance, Shape } from "../check/model.js";
import { Graph, type IrAttr, type IrNode, type IrValue } from "./graph.js";

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
    let name = base;
    for (let k = 2; this.values.has(name); k++) name = `${base}_${k}`;
    return name;
  }

  private emit(layer: LayerInstance, op: string, inputs: string[], attrs: Record<string, IrAttr> = {}, suffix?: string, shape?: Shape): string {
    const output = this.fresh(suffix ? `${layer.path}.${suffix}` : layer.path);
    const outShape = shape ?? this.model.values[layer.output].shape;
    this.values.set(output, { name: output, shape: outShape, kind: "node" });
    this.nodes.push({ name: output, op, inputs, output, attrs, origins: [layer.origin], notes: [] });
    return output;
  }

  private constant(layer: LayerInstance, suffix: string, shape: number[], data: Float32Array): string {
    const name = this.fresh(`${layer.path}.${suffix}`);
    this.values.set(name, { name, shape, kind: "const", data });
    return name;
  }

  /** The parameter `<path>.<leaf>` of the layer, or undefined when it has none of that name. */
  private param(layer: LayerInstance, leaf: string): string | undefined {
    const name = `${layer.path}.${leaf}`;
    return layer.params.some((p) => p.name === name) ? name : undefined;
  }

  private required(layer: LayerInstance, leaf: string): string {
    const name = this.param(layer, leaf);
    if (!name) throw new Error(`lowering: ${layer.path} has no parameter ${leaf}`);
    return name;
  }

  /** γ and β of a normalizer, or constant ones and zeros for `affine: false`. */
  private affineParams(layer: LayerInstance, channels: number): [string, string] {
    const weight = this.param(layer, "weight") ?? this.constant(layer, "ones", [channels], new Float32Array(channels).fill(1));
    const bias = this.param(layer, "bias") ?? this.constant(layer, "zeros", [channels], new Float32Array(channels));
    return [weight, bias];
  }

  private layer(layer: LayerInstance): void {
    const a = layer.attrs;
    const x = layer.inputs.map((id) => this.name(id));
    const inShape = this.model.values[layer.inputs[0]].shape;
    const channels = typeof inShape[1] === "number" ? inShape[1] : 0;
    const eps = Number(a.eps ?? 1e-5);
    let out: string;
    switch (layer.kind) {
      case "conv":
      case "dense": {
        const weight = this.standardizedWeight(layer);
        const bias = this.param(layer, "bias");
        const inputs = bias ? [x[0], weight, bias] : [x[0], weight];
        if (layer.kind === "dense") {
          out = this.emit(layer, "Gemm", inputs, { transB: 1 });
        } else {
          const kernel = a.kernel as readonly number[];
          out = this.emit(layer, "Conv", inputs, {
            kernel_shape: [kernel[0], kernel[1]],
            strides: a.stride as readonly number[],
            pads: a.pads as readonly number[],
            dilations: a.dilation as readonly number[],
            group: Number(a.groups),
          });
        }
        break;
      }
      case "maxpool":
      case "avgpool": {
        const kernel = a.kernel as readonly number[];
        const attrs: Record<string, IrAttr> = { kernel_shape: [kernel[0], kernel[1]], strides: a.stride as readonly number[], pads: a.pads as readonly number[] };
        out = layer.kind === "maxpool" ? this.emit(layer, "MaxPool", x, attrs) : this.emit(layer, "AveragePool", x, { ...attrs, count_include_pad: 0 });
        break;
      }
      case "standardize": {
        const shape = inShape.map((_, axis) => (axis === 1 ? channels : 1));
        const mean = this.constant(layer, "mean", shape, Float32Array.from(a.mean as readonly number[]));
        const std = this.constant(layer, "std", shape, Float32Array.from(a.std as readonly number[]));
        const centred = this.emit(layer, "Sub", [x[0], mean], {}, "centred");
        out = this.emit(layer, "Div", [centred, std]);
        break;
      }
      case "batch": {
        const [w, b] = this.affineParams(layer, channels);
        const stats = [this.required(layer, "running_mean"), this.required(layer, "running_var")];
        out = this.emit(layer, "BatchNormalization", [x[0], w, b, ...stats], { epsilon: eps, momentum: Number(a.momentum) });
        break;
      }
      case "batch_renorm": {
        const [w, b] = this.affineParams(layer, channels);
        const stats = [this.required(layer, "running_mean"), this.required(layer, "running_std")];
        const attrs = { epsilon: eps, momentum: Number(a.momentum), rmax: Number(a.rmax), dmax: Number(a.dmax) };
        out = this.emit(layer, "BatchRenormalization", [x[0], w, b, ...stats], attrs);
        break;
      }
      case "layer": {
        const [w, b] = this.affineParams(layer, channels);
        // Rank 4 is GroupNorm(1, C) with a per-channel affine, not ONNX LayerNormalization.
        out =
          inShape.length === 2
            ? this.emit(layer, "LayerNormalization", [x[0], w, b], { axis: -1, epsilon: eps })
            : this.emit(layer, "GroupNormalization", [x[0], w, b], { num_groups: 1, epsilon: eps });
        break;
      }
      case "instance": {
        const [w, b] = this.affineParams(layer, channels);
        out = this.emit(layer, "InstanceNormalization", [x[0], w, b], { epsilon: eps });
        break;
      }
      case "group": {
        const [w, b] = this.affineParams(layer, channels);
        out = this.emit(layer, "GroupNormalization", [x[0], w, b], { num_groups: Number(a.groups), epsilon: eps });
        break;
      }
      case "frn": {
        const params = ["weight", "bias", "tau"].map((leaf) => this.required(layer, leaf));
        out = this.emit(layer, "FilterResponseNormalization", [x[0], ...params], { epsilon: Number(a.eps ?? 1e-6) });
        break;
      }
      case "switchable": {
        const leaves = ["weight", "bias", "mean_weight", "var_weight", "running_mean", "running_var"];
        out = this.emit(layer, "SwitchableNormalization", [x[0], ...leaves.map((leaf) => this.required(layer, leaf))], {
          epsilon: eps,
          momentum: Number(a.momentum),
        });
        break;
      }
      case "prelu":
        out = this.emit(layer, "PRelu", [x[0], this.required(layer, "weight")]);
        break;
      default: {
        const simple = SIMPLE_OPS[layer.kind];
        if (!simple) throw new Error(`lowering: no IR form for layer kind ${layer.kind}`);
        out = this.emit(layer, simple.op, x, simple.attrs?.(a) ?? {});
      }
    }
    this.names.set(layer.output, out);
  }

  /** The weight a conv or dense layer multiplies with: the parameter, or its standardization. */
  private standardizedWeight(layer: LayerInstance): string {
    const weight = this.required(layer, "weight");
    const shape = this.values.get(weight)!.shape;
    switch (layer.attrs.ws) {
      case "standard":
        return this.emit(layer, "WeightStandardization", [weight], { epsilon: 1e-5 }, "weight_standardized", shape);
      case "scaled":
        return this.emit(layer, "ScaledWeightStandardization", [weight, this.required(layer, "gain")], {}, "weight_standardized", shape);
      default:
        return weight;
    }
  }
}

type Attrs = LayerInstance["attrs"];

/** Layers that are one ONNX node with at most simple attributes. */
const SIMPLE_OPS: Readonly<Record<string, { op: string; attrs?: (a: Attrs) => Record<string, IrAttr> }>> = {
  global_avgpool: { op: "GlobalAveragePool" },
  global_maxpool: { op: "GlobalMaxPool" },
  flatten: { op: "Flatten", attrs: () => ({ axis: 1 }) },
  relu: { op: "Relu" },
  sigmoid: { op: "Sigmoid" },
  tanh: { op: "Tanh" },
  gelu: { op: "Gelu" },
  silu: { op: "Silu" },
  leaky_relu: { op: "LeakyRelu", attrs: (a) => ({ alpha: Number(a.alpha) }) },
  elu: { op: "Elu", attrs: (a) => ({ alpha: Number(a.alpha) }) },
  maxout: { op: "Maxout", attrs: (a) => ({ pieces: Number(a.pieces) }) },
  softmax: { op: "Softmax", attrs: () => ({ axis: 1 }) },
  log_softmax: { op: "LogSoftmax", attrs: () => ({ axis: 1 }) },
  dropout: { op: "Dropout", attrs: (a) => ({ ratio: Number(a.p) }) },
  add: { op: "Add" },
  concat: { op: "Concat", attrs: (a) => ({ axis: Number(a.axis) }) },
  identity: { op: "Identity" },
  none: { op: "Identity" },
};
