/**
 * The builder of element-wise layers: one layer that lowers to one IR node of the same
 * attributes, with its kernel, its ONNX form and (for activations) its epilogue, from one spec.
 */
import type { FusedActivation } from "../linalg/epilogue.js";
import { outputTensor, type Tensor } from "../tensor.js";
import { perSample } from "./dims.js";
import { input, literal, type KernelCall } from "./kernel-call.js";
import { checkBatched } from "./rules.js";
import type { ArgSpec, Attrs, Family, IrAttr, IrOperator, LayerOperator, NodeView, OnnxContext, OperatorModule } from "./types.js";

/** What one element-wise layer says about itself. */
export interface PointwiseSpec {
  /** The layer's name in the language (`leaky_relu`). */
  readonly layer: string;
  /** The IR operator (`LeakyRelu`). */
  readonly op: string;
  readonly doc: string;
  readonly args?: readonly ArgSpec[];
  readonly family?: Family;
  /** FLOPs per element (default 1). */
  readonly flops?: number;
  /** The IR node's attributes from the layer's (default none). */
  readonly attrs?: (a: Attrs) => Record<string, IrAttr>;
  /** The names of the IR attributes that {@link attrs} sets (what a fused node carries). */
  readonly irAttrs?: readonly string[];
  /**
   * The runtime kernel (an export of `nnc/runtime`) and, when it takes an attributes object,
   * which numeric IR attributes go into it under which names.
   */
  readonly kernel: string | ((node: NodeView, training: boolean) => KernelCall);
  readonly kernelAttrs?: Readonly<Record<string, { readonly attr: string; readonly fallback: number }>>;
  /** The ONNX nodes of the activation of `x` (written as the node's output). */
  readonly onnx: (e: OnnxContext, x: string, suffix?: string) => void;
  /**
   * The activation as a function of one number, given the node: what a conv's or dense layer's
   * write-back applies when the activation is fused. Absent for layers that cannot fuse.
   */
  readonly scalar?: (node: NodeView) => (x: number) => number;
  /**
   * The runtime's form in a write-back, when it has a specialized one (`{ kind: "relu" }`);
   * default `{ kind: "pointwise", op, attrs }`, which runs {@link scalar}.
   */
  readonly fusedForm?: (node: NodeView) => FusedActivation;
  /** Whether the `fuse-activation` pass folds it into the conv or dense layer before it (default true when it has a scalar form). */
  readonly fuses?: boolean;
}

/** An element-wise registry entry: its layer, its IR operator, and its scalar function when it fuses. */
export interface PointwiseEntry extends OperatorModule {
  readonly layer: LayerOperator;
  readonly operator: IrOperator;
  readonly scalar?: (node: NodeView) => (x: number) => number;
}

/** The numeric attributes `names` of `node`, for a generic fused form. */
function numericAttrs(node: NodeView, names: readonly string[]): { [name: string]: number } {
  const attrs: { [name: string]: number } = {};
  for (const name of names) {
    const value = node.attrs[name];
    if (typeof value === "number") attrs[name] = value;
  }
  return attrs;
}

/** The layer and IR operator of an element-wise spec. */
export function pointwise(spec: PointwiseSpec): PointwiseEntry {
  const flops = spec.flops ?? 1;
  const layer: LayerOperator = {
    name: spec.layer,
    doc: spec.doc,
    family: spec.family ?? "activation",
    inputs: 1,
    args: spec.args ?? [],
    infer: (_attrs, [x]) => checkBatched(spec.layer, x) ?? { shape: x, params: [], flops: flops * perSample(x) },
    lower: (ctx) => ctx.emit(spec.op, [ctx.inputs[0]], spec.attrs?.(ctx.attrs) ?? {}),
  };
  const kernel = (node: NodeView, training: boolean): KernelCall => {
    if (typeof spec.kernel !== "string") return spec.kernel(node, training);
    if (spec.kernelAttrs === undefined) return { kernel: spec.kernel, args: [input(0)] };
    const attrs: { [name: string]: number } = {};
    for (const [field, { attr, fallback }] of Object.entries(spec.kernelAttrs)) {
      const v = node.attrs[attr];
      attrs[field] = typeof v === "number" ? v : fallback;
    }
    return { kernel: spec.kernel, args: [input(0), literal(attrs)] };
  };
  const scalar = spec.scalar;
  const operator: IrOperator = {
    op: spec.op,
    kernel,
    onnx: (e) => spec.onnx(e, e.input(0)),
    epilogue:
      scalar === undefined
        ? undefined
        : {
            form: spec.fusedForm ?? ((node) => ({ kind: "pointwise", op: spec.op, attrs: numericAttrs(node, spec.irAttrs ?? []) })),
            fuses: spec.fuses ?? true,
            attrs: spec.irAttrs ?? [],
            onnx: spec.onnx,
          },
  };
  return { layer, operator, scalar, layers: [layer], ir: [operator] };
}

/** An ONNX form that is the ONNX operator of the same name with no attributes. */
export function sameOnnx(opType: string): (e: OnnxContext, x: string, suffix?: string) => void {
  return (e, x, suffix) => e.last(opType, [x], {}, suffix);
}

/** A kernel over `x` that applies `f` to every element, in `out` when a buffer is passed. */
export function mapElements(x: Tensor, f: (v: number) => number, out: Float32Array | undefined, what: string): Tensor {
  const y = outputTensor(x.shape, out, what);
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = f(src[i]);
  return y;
}
