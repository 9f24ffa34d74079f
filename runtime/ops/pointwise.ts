/**
 * The builders of element-wise operators: `pointwiseKernel` makes the runtime's part (the kernel
 * call and, for an activation, its form in a write-back), `pointwise` the layer and the IR
 * operator around it (one node of the same attributes, its ONNX form, whether it fuses).
 */
import type { FusedActivation } from "../linalg/epilogue.js";
import { outputTensor, type Tensor } from "../tensor.js";
import { perSample } from "./dims.js";
import { input, literal, type KernelCall } from "./kernel-call.js";
import { checkBatched } from "./rules.js";
import type { ArgSpec, Attrs, BackwardRule, Family, IrAttr, IrOperator, KernelEntry, LayerOperator, LayerReference, NodeView, OnnxContext, OperatorModule, TorchForm } from "./types.js";

/** The runtime's part of an element-wise operator. */
export interface PointwiseKernelSpec {
  /** The IR operator (`LeakyRelu`). */
  readonly op: string;
  /**
   * The runtime kernel (an export of `nnc/runtime`) and, when it takes an attributes object,
   * which numeric IR attributes go into it under which names; or a function for the whole call.
   */
  readonly kernel: string | ((node: NodeView, training: boolean) => KernelCall);
  readonly kernelAttrs?: Readonly<Record<string, { readonly attr: string; readonly fallback: number }>>;
  /** The names of its IR attributes (what a conv or dense node it fuses into carries). */
  readonly irAttrs?: readonly string[];
  /**
   * The activation as a function of one number, given the node: what a conv's or dense layer's
   * write-back applies when the activation is fused. Absent for layers that cannot run there.
   */
  readonly scalar?: (node: NodeView) => (x: number) => number;
  /**
   * The runtime's form in a write-back, when it has a specialized one (`{ kind: "relu" }`);
   * default `{ kind: "pointwise", op, attrs }`, which runs {@link scalar}.
   */
  readonly fusedForm?: (node: NodeView) => FusedActivation;
  /** The plan shares the input's buffer (dropout and identity at inference). */
  readonly alias?: boolean;
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

/** The runtime's part of an element-wise operator. */
export function pointwiseKernel(spec: PointwiseKernelSpec): KernelEntry {
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
  const { scalar } = spec;
  const attrs = spec.irAttrs ?? [];
  return {
    op: spec.op,
    kernel,
    activation:
      scalar === undefined
        ? undefined
        : { attrs, scalar, form: spec.fusedForm ?? ((node) => ({ kind: "pointwise", op: spec.op, attrs: numericAttrs(node, attrs) })) },
    plan: spec.alias ? { kind: "alias" } : undefined,
  };
}

/** The compiler's part of an element-wise operator. */
export interface PointwiseSpec {
  /** The layer's name in the language (`leaky_relu`). */
  readonly layer: string;
  readonly doc: string;
  readonly args?: readonly ArgSpec[];
  readonly family?: Family;
  /** FLOPs per element (default 1). */
  readonly flops?: number;
  /** The IR node's attributes from the layer's (default none). */
  readonly attrs?: (a: Attrs) => Record<string, IrAttr>;
  /** The ONNX nodes of the activation of `x` (written as the node's output). */
  readonly onnx: (e: OnnxContext, x: string, suffix?: string) => void;
  /** Whether the `fuse-activation` pass folds it into the conv or dense layer before it (default: when it has a write-back form). */
  readonly fuses?: boolean;
  /** How gradients flow back through the node (the IR operator's `backward`). */
  readonly backward?: BackwardRule;
  /** How a generated PyTorch module writes the layer. */
  readonly torch: TorchForm;
  /** Its entry in the layer reference. */
  readonly reference: LayerReference;
}

/** An element-wise registry entry: its layer and its IR operator. */
export interface PointwiseEntry extends OperatorModule {
  readonly layer: LayerOperator;
  readonly operator: IrOperator;
}

/** The layer and IR operator of an element-wise operator whose runtime part is `kernel`. */
export function pointwise(kernel: KernelEntry, spec: PointwiseSpec): PointwiseEntry {
  const flops = spec.flops ?? 1;
  const layer: LayerOperator = {
    name: spec.layer,
    doc: spec.doc,
    family: spec.family ?? "activation",
    inputs: 1,
    args: spec.args ?? [],
    infer: (_attrs, [x]) => checkBatched(spec.layer, x) ?? { shape: x, params: [], flops: flops * perSample(x) },
    lower: (ctx) => ctx.emit(kernel.op, [ctx.inputs[0]], spec.attrs?.(ctx.attrs) ?? {}),
    torch: spec.torch,
    reference: spec.reference,
  };
  const operator: IrOperator = {
    ...kernel,
    onnx: (e) => spec.onnx(e, e.input(0)),
    epilogue: kernel.activation === undefined ? undefined : { fuses: spec.fuses ?? true, onnx: spec.onnx },
    backward: spec.backward,
  };
  return { layer, operator, layers: [layer], ir: [operator] };
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
