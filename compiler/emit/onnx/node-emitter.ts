/**
 * What an operator's ONNX form sees while it turns one IR node into ONNX nodes: the node's inputs as
 * tensor names, their shapes and constant values, and helpers that name every emitted node and
 * tensor after the layer (`Basic0.conv0`, `Basic0.conv0.relu`), each with the layer's source
 * lines as its `doc_string`.
 */
import type { Shape } from "../../check/model.js";
import type { Graph, IrNode } from "../../ir/graph.js";
import type { Tensor } from "../../../runtime/index.js";
import type { OnnxAttr, OnnxGraphBuilder } from "./graph-builder.js";
import { OnnxFormError, type OnnxContext } from "../../../runtime/ops/types.js";

/** An error the user can act on (an unsupported opset, a graph ONNX cannot express). */
export { OnnxFormError as OnnxEmitError } from "../../../runtime/ops/types.js";

/**
 * Emits the ONNX nodes of one IR node: the context an operator's ONNX form (its registry entry's
 * `onnx`) writes through.
 */
export class NodeEmitter implements OnnxContext {
  /** The IR node's one output (an inference node that runs per forward has one). */
  private readonly output: string;

  constructor(
    readonly builder: OnnxGraphBuilder,
    readonly graph: Graph,
    readonly node: IrNode,
    readonly opset: number,
    private readonly doc: string,
  ) {
    if (node.outputs.length !== 1) throw new OnnxFormError(`${node.op} ${node.name}: ${node.outputs.length} outputs in an inference graph (ONNX export is inference only)`);
    this.output = node.outputs[0];
  }

  /** The tensor name of input `index` (a constant becomes an initializer). */
  input(index: number): string {
    return this.builder.read(this.node.inputs[index]);
  }

  /** Whether the node has input `index`. */
  has(index: number): boolean {
    return (this.node.inputs[index] ?? "") !== "";
  }

  /** The IR shape of input `index`. */
  shape(index: number): Shape {
    return this.graph.value(this.node.inputs[index]).shape;
  }

  /** The constant value of input `index` (a parameter or folded weight). */
  constant(index: number): Tensor {
    const name = this.node.inputs[index];
    if (!this.builder.isConstant(name)) {
      throw new OnnxFormError(`${this.node.op} ${this.node.name}: input ${name} must be a constant to export to ONNX`);
    }
    return this.builder.constant(name);
  }

  /** A numeric attribute of the IR node. */
  num(name: string, fallback: number): number {
    const v = this.node.attrs[name];
    return typeof v === "number" ? v : fallback;
  }

  /** An integer-list attribute of the IR node. */
  ints(name: string, fallback: readonly number[]): number[] {
    const v = this.node.attrs[name];
    return Array.isArray(v) ? [...(v as readonly number[])] : [...fallback];
  }

  /**
   * A helper node: writes a new tensor `<output>.<suffix>` and returns its name. The node is
   * named after the tensor; a `primary` node (the Conv of a Conv + Relu) and its output are named
   * after the layer itself.
   */
  step(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, OnnxAttr>>, suffix: string, primary = false): string {
    const output = this.builder.fresh(primary ? this.node.name : `${this.output}.${suffix}`);
    this.builder.node(opType, inputs, output, attrs, primary ? this.node.name : `${this.node.name}.${suffix}`, this.doc);
    return output;
  }

  /** The node that writes the IR node's output; named after the layer, or `<layer>.<suffix>`. */
  last(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, OnnxAttr>> = {}, suffix?: string): void {
    this.builder.node(opType, inputs, this.output, attrs, suffix ? `${this.node.name}.${suffix}` : this.node.name, this.doc);
  }

  /** A new float32 initializer `<layer>.<suffix>`. */
  floatConstant(suffix: string, shape: readonly number[], data: Float32Array): string {
    return this.builder.floatConstant(`${this.node.name}.${suffix}`, shape, data);
  }

  /** A float32 scalar shared by every node that needs the same `label` and value (`gelu.sqrt2`). */
  scalar(label: string, value: number): string {
    return this.builder.scalar(label, value);
  }

  /** A new int64 initializer `<layer>.<suffix>`. */
  int64Constant(suffix: string, values: readonly number[]): string {
    return this.builder.int64Constant(`${this.node.name}.${suffix}`, values);
  }

  /**
   * A reduction (`ReduceMean`, `ReduceMax`) over `axes`. Opset 18 moved the axes of these
   * operators from an attribute to a second input.
   */
  reduce(opType: "ReduceMean" | "ReduceMax", x: string, axes: readonly number[], keepdims: boolean, suffix?: string): string {
    const attrs: Record<string, OnnxAttr> = { keepdims: { int: keepdims ? 1 : 0 } };
    const inputs = [x];
    if (this.opset >= 18) inputs.push(this.builder.sharedInt64(`axes_${axes.join("_")}`, axes));
    else attrs.axes = { ints: axes };
    if (suffix === undefined) {
      this.last(opType, inputs, attrs);
      return this.output;
    }
    return this.step(opType, inputs, attrs, suffix);
  }
}
