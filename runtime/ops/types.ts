/**
 * The shape of the operator registry: what one entry says about an operator, for every stage
 * that reads it. An operator is written once, in one file of `runtime/ops/`, and the checker,
 * lowering, the IR executor, the TypeScript and ONNX emitters, the plan, the language server and
 * the generated docs all read that entry (see `docs/ARCHITECTURE.md`, "Adding an operator").
 *
 * Two kinds of entry:
 *
 * - a {@link LayerOperator} is a layer of the language (`conv`, `relu`, `group`): its signature
 *   and defaults, its one-line doc, its shape rule, and its lowering to IR nodes;
 * - an {@link IrOperator} is a node of the IR, in ONNX vocabulary (`Conv`, `Relu`,
 *   `GroupNormalization`), or one of nnc's own (`FilterResponseNormalization`): the runtime
 *   kernel call that runs it, its ONNX form per opset, whether it fuses into a conv's or dense
 *   layer's write-back, and a slot for its backward rule.
 *
 * Most files hold one of each (`relu` lowers to `Relu`); some layers lower to several nodes
 * (`standardize` to `Sub` and `Div`), and some nodes have no layer of their own (`Reshape`).
 *
 * The runtime owns these types so that generated modules and the plan can read the same table;
 * the compiler implements the two contexts an entry is handed ({@link LoweringContext} and
 * {@link OnnxContext}) and never the reverse.
 */
import type { Tensor } from "../tensor.js";
import type { KernelCall } from "./kernel-call.js";
import type { FusedActivation } from "../linalg/epilogue.js";
import type { ChannelNorm } from "../fast/plan-graph.js";

/** A dimension: a static size, or a symbolic one (`"N"`, or a derived form such as `"H/2"`). */
export type Dim = number | string;

export type Shape = readonly Dim[];

/** A resolved attribute value of a layer (defaults filled in, pairs expanded). */
export type AttrValue = number | boolean | string | readonly number[];

/** A layer's resolved attributes by argument name. */
export type Attrs = Readonly<Record<string, AttrValue>>;

/**
 * Argument types: `pair` is an int or a `(h, w)` pair, `padding` a pair or `same`, `floats` a
 * list of numbers (`standardize`'s mean and std).
 */
export type ArgType = "int" | "float" | "bool" | "string" | "pair" | "padding" | "floats";

/** One argument of a layer. */
export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** Absent for a required argument (unless `defaultFrom` is given). */
  readonly default?: AttrValue;
  /** The default is another argument's value (a pool's `stride` defaults to its `kernel`). */
  readonly defaultFrom?: string;
  /** Smallest allowed value (for `pair` and `floats`, of every element). */
  readonly min?: number;
  readonly minExclusive?: boolean;
  readonly max?: number;
  readonly maxExclusive?: boolean;
  /** The allowed strings of an enum-valued `string` argument. */
  readonly oneOf?: readonly string[];
  readonly doc: string;
}

/** A parameter or buffer of one layer instance, before its path is prefixed. */
export interface LeafParam {
  readonly leaf: string;
  readonly shape: readonly number[];
  readonly buffer: boolean;
}

/** What a shape rule makes of a well-formed application. */
export interface RuleResult {
  readonly shape: Shape;
  readonly params: readonly LeafParam[];
  readonly flops: number;
  /** Attributes derived from the shapes (explicit `pads` of `pad: same`). */
  readonly derived?: Readonly<Record<string, AttrValue>>;
}

/**
 * The diagnostic codes a shape rule may refuse with (the compiler's catalogue holds their
 * titles; a compile-time check there keeps this list inside it).
 */
export type RuleCode = "E0201" | "E0202" | "E0203" | "E0204" | "E0205" | "E0206" | "E0207" | "E0208";

/** Why a rule refuses its inputs; `arg` points the squiggle at that argument when given. */
export interface RuleFailure {
  readonly failure: true;
  readonly code: RuleCode;
  readonly message: string;
  readonly arg?: string;
}

/** How many tensors a layer takes: exactly one, exactly two, or two or more. */
export type InputArity = 1 | 2 | "many";

/** The families of the reference docs and of completion. */
export type Family = "linear" | "pool" | "activation" | "normalizer" | "structure";

/** An attribute value of an IR node, as ONNX attributes are: numbers, strings, and lists of numbers. */
export type IrAttr = number | string | readonly number[];

/** What lowering offers a layer entry: its inputs, parameters and a way to add IR nodes. */
export interface LoweringContext {
  /** The layer's dotted path (`Basic0.conv0`). */
  readonly path: string;
  readonly attrs: Attrs;
  /** The IR value names of the layer's tensor inputs. */
  readonly inputs: readonly string[];
  /** The shape of tensor input 0. */
  readonly inputShape: Shape;
  /** The static size of input 0's axis 1 (channels or features), or 0 when it is symbolic. */
  readonly channels: number;
  /** The shape of IR value `name` (an input, a parameter or a node's output). */
  inputShapeOf(name: string): Shape;
  /** The parameter `<path>.<leaf>`, or undefined when the layer has none of that name. */
  param(leaf: string): string | undefined;
  /** The parameter `<path>.<leaf>`; throws (a bug in the entry) when the layer has none. */
  required(leaf: string): string;
  /** A literal constant `<path>.<suffix>`. */
  constant(suffix: string, shape: readonly number[], data: Float32Array): string;
  /**
   * Adds a node and returns its output's name: the layer's path, or `<path>.<suffix>` for a
   * helper node; `shape` defaults to the layer's output shape.
   */
  emit(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, IrAttr>>, suffix?: string, shape?: Shape): string;
}

/**
 * What the PyTorch emitter (`compiler/emit/torch/`) offers a layer's torch form while it writes
 * one instance into a generated `nn.Module`.
 */
export interface TorchContext {
  /** The instance's attributes, derived ones included (`pads` as `[t, l, b, r]`). */
  readonly attrs: Attrs;
  readonly inputShapes: readonly Shape[];
  readonly outputShape: Shape;
  /** The Python expressions of the tensor inputs. */
  readonly inputs: readonly string[];
  /** The Python expression of the instance's module (`self.conv0`), for a form with `module`. */
  readonly self: string;
  /**
   * A number, bool, string or list as Python source: a literal, or the name of the class's
   * constructor parameter when the value differs between the instances one class serves.
   * `what` names it (`out`, `in_channels`); a pair `(h, w)` with h = w is written as one int.
   * `type` "float" writes whole numbers as floats (`0.0`), as PyTorch's float arguments need
   * under TorchScript.
   */
  value(v: AttrValue, what: string, type?: "float"): string;
  /** Marks a support class or function of the generated file as used, by name. */
  use(name: string): void;
}

/** How a layer is written in a generated PyTorch module. */
export interface TorchForm {
  /** The module that holds the layer's parameters and buffers, as a constructor call; absent for a function of the inputs. */
  readonly module?: (ctx: TorchContext) => string;
  /** The layer's output as a Python expression of its inputs (and `ctx.self`). */
  readonly call: (ctx: TorchContext) => string;
}

/**
 * What the layer reference (`docs/operators.md`) says of a layer beyond its signature, in
 * Markdown with math between `$…$`. The reference derives the rest from the entry itself: the
 * parameters' names, shapes and initial values (by checking the example), the PyTorch form (from
 * `torch`) and the ONNX nodes (from the IR operators' `onnx`).
 */
export interface LayerReference {
  /** The shape rule: the input shape(s) to the output shape, and what the rule requires. */
  readonly shape: string;
  /**
   * The output as a formula: one for both modes, or the training and the inference forms where
   * they differ (batch statistics against running ones, dropout).
   */
  readonly formula: string | { readonly train: string; readonly eval: string };
  /** What the inference passes make of the layer (folding into the conv before it, removal), where they change it. */
  readonly inference?: string;
  /**
   * A tiny model that uses the layer: the inputs of its `model` line (`x: [N, 3, 32, 32]`) and the
   * expression it returns (`x -> conv(16, 3, pad: 1)`). It must check (a test compiles it).
   */
  readonly example: { readonly inputs: string; readonly returns: string };
}

/** A layer of the language. */
export interface LayerOperator {
  readonly name: string;
  readonly doc: string;
  readonly family: Family;
  readonly inputs: InputArity;
  readonly args: readonly ArgSpec[];
  /** The shape rule: resolved attributes and input shapes to the output shape, parameters and FLOPs. */
  readonly infer: (attrs: Attrs, shapes: readonly Shape[]) => RuleResult | RuleFailure;
  /** Adds the layer's IR nodes; returns the IR value holding its output. */
  readonly lower: (ctx: LoweringContext) => string;
  /** How a generated PyTorch module writes the layer (`nnc compile --target torch`). */
  readonly torch?: TorchForm;
  /** Its entry in the layer reference: shape rule, formulas, example (`test/ops/reference.test.ts` checks them). */
  readonly reference: LayerReference;
  /**
   * Arguments the registry's completeness test sets when the defaults alone do not make a
   * valid layer (a conv's `out` and `kernel`), the dimensions of its input after the batch
   * (default `[4, 6, 6]`), and how many tensors it applies the layer to (default 1).
   */
  readonly example?: { readonly args?: Attrs; readonly input?: readonly number[]; readonly inputs?: number };
}

/** The IR node an operator entry reads: `IrNode` of the compiler fits, and so does a plan step. */
export interface NodeView {
  readonly name?: string;
  readonly op: string;
  readonly inputs: readonly string[];
  readonly attrs: Readonly<Record<string, IrAttr>>;
}

/** An ONNX attribute value, as the graph builder takes it. */
export type OnnxAttr =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly string: string };

/**
 * What an ONNX form sees while it turns one IR node into ONNX nodes: the node's inputs as
 * tensor names, their shapes and constant values, and helpers that name every emitted node
 * and tensor after the layer (`Basic0.conv0`, `Basic0.conv0.relu`).
 */
export interface OnnxContext {
  readonly node: NodeView & { readonly name: string };
  /** The opset being written. */
  readonly opset: number;
  /** The tensor name of input `index` (a constant becomes an initializer). */
  input(index: number): string;
  /** Whether the node has input `index`. */
  has(index: number): boolean;
  /** The IR shape of input `index`. */
  shape(index: number): Shape;
  /** The constant value of input `index`; throws when it is not a constant. */
  constant(index: number): Tensor;
  /** A numeric attribute of the IR node. */
  num(name: string, fallback: number): number;
  /** An integer-list attribute of the IR node. */
  ints(name: string, fallback: readonly number[]): number[];
  /** A helper node writing the new tensor `<output>.<suffix>`; `primary` names it after the layer. */
  step(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, OnnxAttr>>, suffix: string, primary?: boolean): string;
  /** The node that writes the IR node's output; named after the layer, or `<layer>.<suffix>`. */
  last(opType: string, inputs: readonly string[], attrs?: Readonly<Record<string, OnnxAttr>>, suffix?: string): void;
  /** A new float32 initializer `<layer>.<suffix>`. */
  floatConstant(suffix: string, shape: readonly number[], data: Float32Array): string;
  /** A new int64 initializer `<layer>.<suffix>`. */
  int64Constant(suffix: string, values: readonly number[]): string;
  /** A float32 scalar shared by every node that needs the same label and value. */
  scalar(label: string, value: number): string;
  /** A reduction over `axes` (an attribute before opset 18, an input from it on). */
  reduce(opType: "ReduceMean" | "ReduceMax", x: string, axes: readonly number[], keepdims: boolean, suffix?: string): string;
}

/** An error the user can act on: a graph that ONNX cannot express at the requested opset. */
export class OnnxFormError extends Error {
  override readonly name: string = "OnnxEmitError";
}

/**
 * How an element-wise activation runs in the write-back of a conv or dense layer (the runtime's
 * part: what a fused kernel call and the plan read).
 */
export interface ActivationForm {
  /** The activation's IR attributes, which a fused conv or dense node carries under the same names. */
  readonly attrs: readonly string[];
  /** The runtime form, from the activation node's attributes. */
  readonly form: (node: NodeView) => FusedActivation;
  /** The activation as a function of one number, given the node. */
  readonly scalar: (node: NodeView) => (x: number) => number;
}

/** The compiler's part of a fusable activation. */
export interface Epilogue {
  /**
   * Whether the `fuse-activation` pass folds the node into the `Conv` or `Gemm` before it (the
   * plan applies every activation with an {@link ActivationForm} in the blocked layout either way).
   */
  readonly fuses: boolean;
  /** The ONNX nodes of the activation of `x`, written as the node's output (a fused node writes it back out). */
  readonly onnx: (e: OnnxContext, x: string, suffix?: string) => void;
}

/**
 * How the plan (`runtime/fast`) runs an operator in its own memory, when it has a kernel for it:
 * the kind of plan step; a normalization also says how it becomes a per-channel affine. Every
 * other operator runs on the plan's fallback, the TypeScript kernel of its kernel call.
 */
export type PlanKernel =
  | { readonly kind: "conv" | "gemm" | "pool" | "add" | "scale" | "concat" | "flatten" | "alias" }
  | {
      readonly kind: "norm";
      /** The step as a per-channel normalization over `channels`, or undefined to leave it to the fallback. */
      readonly norm: (step: NodeView, channels: number, weight: (index: number) => Tensor | undefined) => ChannelNorm | undefined;
    }
  | {
      readonly kind: "gather";
      /**
       * The input channel of each output channel of the step over a rank-4 input of `shape`
       * (every other axis whole), or undefined to leave it to the fallback.
       */
      readonly channels: (step: NodeView, shape: readonly number[]) => readonly number[] | undefined;
    };

/**
 * What the runtime reads of an IR operator — generated modules, their `--standalone` copies and
 * the plan: its kernel call, its form in a write-back, its plan kernel. Each registry file
 * declares it apart from the compiler's part ({@link IrOperator}), so that a standalone module
 * copies only this.
 */
export interface KernelEntry {
  readonly op: string;
  /** The runtime kernel call; `training` picks the training forms of normalizers and dropout. */
  readonly kernel: (node: NodeView, training: boolean) => KernelCall;
  /** Present for element-wise activations that can run in a conv's or dense layer's write-back. */
  readonly activation?: ActivationForm;
  /** Present where the plan has a kernel of its own for the operator. */
  readonly plan?: PlanKernel;
}

/**
 * What a backward rule sees while it writes the gradient of one forward node (the reverse-mode
 * pass of `compiler/train/gradients.ts` implements it). Gradients are ordinary IR values; the
 * nodes a rule adds are ordinary IR nodes of backward operators, which have registry entries of
 * their own (kernel call, no ONNX form).
 */
export interface GradientContext {
  /** The forward node, its outputs included. */
  readonly node: NodeView & { readonly name: string; readonly outputs: readonly string[] };
  /** The gradient of the node's output `k` (default 0), or undefined when no loss depends on it. */
  grad(k?: number): string | undefined;
  /** Whether the gradient of input `i` is wanted (it leads to a learnable parameter, or is asked for). */
  wants(i: number): boolean;
  /** The shape of IR value `name`. */
  shape(name: string): Shape;
  /**
   * The usual rule in one node: `op(inputs)` with the forward node's attributes, `attrs` and
   * `wants` (a 0/1 flag per forward input), whose outputs are the gradients of the wanted forward
   * inputs, in input order, each shaped like its input. Returns them by forward input index.
   */
  backward(op: string, inputs: readonly string[], attrs?: Readonly<Record<string, IrAttr>>): (string | undefined)[];
  /** Adds any backward node; returns its outputs `<node>.<suffix>`, shaped as given. */
  emit(op: string, inputs: readonly string[], attrs: Readonly<Record<string, IrAttr>>, outputs: readonly { readonly suffix: string; readonly shape: Shape }[]): string[];
}

/**
 * An operator's backward rule: the IR nodes that turn the gradient of its output into the
 * gradients of its inputs, as PyTorch's autograd computes them.
 */
export interface BackwardRule {
  /**
   * Tensors the training forward must keep for the backward (dropout's mask), by suffix: the
   * gradient pass gives the forward node one more output `<node>.<suffix>` each, shaped like its
   * output, and the attribute `saved: 1`, and its training kernel call then returns them.
   */
  readonly saves?: readonly string[];
  /** The gradient of each forward input, by input index; undefined where none flows or none is wanted. */
  readonly gradients: (g: GradientContext) => readonly (string | undefined)[];
}

/** A node of the IR: its runtime part and the compiler's (lowering's outputs, ONNX, fusion, gradient). */
export interface IrOperator extends KernelEntry {
  /**
   * The node inputs (buffers: running statistics) whose new values a training forward computes,
   * in order. Lowering gives the node one more output per entry, after its result, which the
   * training kernel returns (`KernelCall.outputs`) and the executor and the generated module
   * write back into the buffer; the inference passes drop them.
   */
  readonly updates?: readonly number[];
  /** The ONNX nodes of the node at `e.opset`; throws {@link OnnxFormError} where there are none. */
  readonly onnx: (e: OnnxContext) => void;
  /** Present for activations the `fuse-activation` pass may fold (with {@link KernelEntry.activation}). */
  readonly epilogue?: Epilogue;
  /** How gradients flow back through the node; absent for backward operators and inference-only nodes. */
  readonly backward?: BackwardRule;
  /**
   * True for helper nodes that only ever compute constants (folded weights) or that the ONNX
   * emitter cannot write with a non-constant input; the completeness test runs them through
   * constant folding instead of a model.
   */
  readonly constantOnly?: boolean;
}

/** One registry file's contribution: layers, IR operators, or both. */
export interface OperatorModule {
  readonly layers?: readonly LayerOperator[];
  readonly ir?: readonly IrOperator[];
}
