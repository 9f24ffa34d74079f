/**
 * Collects the nodes and initializers of one ONNX graph under unique, stable names.
 *
 * Names: a constant value of the IR (a parameter by its dotted name, docs/operators.md "Parameter names", or a folded weight such as
 * `conv0.folded_weight`) keeps its IR name as an initializer, and becomes one only when a node
 * reads it, so parameters that folding made unused are dropped. Helper tensors of a
 * decomposition are named after the layer (`group0.scale_b`, `group0.grouped`), made unique
 * against every IR value name so that nothing an IR dump shows is ever reused for another tensor.
 */
import type { Tensor } from "../../../runtime/index.js";
import { floatInitializer, int64Initializer } from "./initializers.js";
import { ATTRIBUTE_TYPE, type IAttributeProto, type INodeProto, type ITensorProto } from "./proto.js";

/** An attribute of an emitted node, with its ONNX type spelled out. */
export type { OnnxAttr } from "../../../runtime/ops/types.js";
import type { OnnxAttr } from "../../../runtime/ops/types.js";

/** Builds one graph's nodes and initializers. */
export class OnnxGraphBuilder {
  readonly nodes: INodeProto[] = [];
  private readonly initializers = new Map<string, ITensorProto>();
  private readonly taken: Set<string>;
  private readonly nodeNames = new Set<string>();
  /** Shared constants by label and value. */
  private readonly scalars = new Map<string, string>();

  /**
   * @param constants the value of every constant IR value (parameters and folded nodes) by name
   * @param reserved every IR value name, which helper tensors must not take
   */
  constructor(
    private readonly constants: ReadonlyMap<string, Tensor>,
    reserved: Iterable<string>,
  ) {
    this.taken = new Set(reserved);
  }

  /** True when the IR value `name` is known before any input arrives. */
  isConstant(name: string): boolean {
    return this.constants.has(name);
  }

  /** The value of the constant IR value `name`; throws when it is not constant. */
  constant(name: string): Tensor {
    const value = this.constants.get(name);
    if (!value) throw new Error(`ONNX: ${name} is not a constant`);
    return value;
  }

  /** The tensor name for reading IR value `name`: a constant becomes an initializer on first read. */
  read(name: string): string {
    const value = this.constants.get(name);
    if (value && !this.initializers.has(name)) this.initializers.set(name, floatInitializer(name, value.shape, value.data));
    return name;
  }

  /** A name derived from `base` that no IR value and no emitted tensor has. */
  fresh(base: string): string {
    let name = base;
    for (let k = 2; this.taken.has(name); k++) name = `${base}_${k}`;
    this.taken.add(name);
    return name;
  }

  /** A new float32 initializer named after `base`; returns its name. */
  floatConstant(base: string, shape: readonly number[], data: Float32Array): string {
    const name = this.fresh(base);
    this.initializers.set(name, floatInitializer(name, shape, data));
    return name;
  }

  /** A new int64 initializer (a Reshape shape, reduction axes) named after `base`. */
  int64Constant(base: string, values: readonly number[]): string {
    const name = this.fresh(base);
    this.initializers.set(name, int64Initializer(name, values));
    return name;
  }

  /** A float32 scalar shared by every node that needs the same `label` and value (`gelu.sqrt2`). */
  scalar(label: string, value: number): string {
    const key = `${label}=${value}`;
    let name = this.scalars.get(key);
    if (!name) {
      name = this.floatConstant(label, [], Float32Array.of(value));
      this.scalars.set(key, name);
    }
    return name;
  }

  /** An int64 initializer shared by every node that needs the same `label` and values (`axes_2_3`). */
  sharedInt64(label: string, values: readonly number[]): string {
    const key = `${label}=${values.join(",")}`;
    let name = this.scalars.get(key);
    if (!name) {
      name = this.int64Constant(label, values);
      this.scalars.set(key, name);
    }
    return name;
  }

  /** Appends a node; `name` is made unique among node names. */
  node(opType: string, inputs: readonly string[], output: string, attrs: Readonly<Record<string, OnnxAttr>>, name: string, docString: string): void {
    let nodeName = name;
    for (let k = 2; this.nodeNames.has(nodeName); k++) nodeName = `${name}_${k}`;
    this.nodeNames.add(nodeName);
    const attribute = Object.entries(attrs).map(([key, value]) => attributeProto(key, value));
    this.nodes.push({ name: nodeName, opType, input: [...inputs], output: [output], attribute, docString });
  }

  /** Every initializer, sorted by name so that emission is deterministic. */
  sortedInitializers(): ITensorProto[] {
    return [...this.initializers.values()].sort((a, b) => (a.name! < b.name! ? -1 : a.name! > b.name! ? 1 : 0));
  }
}

function attributeProto(name: string, value: OnnxAttr): IAttributeProto {
  if ("int" in value) return { name, type: ATTRIBUTE_TYPE.INT, i: value.int };
  if ("float" in value) return { name, type: ATTRIBUTE_TYPE.FLOAT, f: value.float };
  if ("ints" in value) return { name, type: ATTRIBUTE_TYPE.INTS, ints: [...value.ints] };
  return { name, type: ATTRIBUTE_TYPE.STRING, s: new TextEncoder().encode(value.string) };
}
