/**
 * How each IR operator runs: the runtime kernel it calls and how the node's inputs and
 * attributes become that kernel's arguments. This one table drives both the IR executor
 * (`execute.ts`, used by tests and constant folding) and the TypeScript emitter, so the
 * generated module computes exactly what the executor computes.
 *
 * The IR vocabulary (ONNX names and attributes unless marked nnc):
 * - `Conv(X, W, B?)` kernel_shape, strides, pads [t,l,b,r], dilations, group; `Gemm(A, B, C?)`
 *   transB = 1. Both may carry `activation` (an ONNX activation op name) and `alpha` after
 *   `fuse-activation`.
 * - `MaxPool`, `AveragePool` (count_include_pad 0), `GlobalAveragePool`, `GlobalMaxPool`,
 *   `Flatten` (axis 1), `Relu`, `Sigmoid`, `Tanh`, `Gelu` (erf form), `LeakyRelu`, `Elu`,
 *   `PRelu(X, slope[C or 1])`, `Softmax`/`LogSoftmax` (axis 1), `Dropout` (ratio), `Add`,
 *   `Sub`, `Mul`, `Div` (broadcasting), `Sqrt`, `Reshape` (static `shape` attribute),
 *   `Concat`, `Identity`.
 * - Normalizers: `BatchNormalization(X, scale, B, mean, var)` epsilon, momentum (PyTorch's
 *   convention: the weight of the batch statistic; the ONNX emitter converts);
 *   `InstanceNormalization`; `LayerNormalization` (rank 2, axis -1); `GroupNormalization(X,
 *   scale[C], B[C])` num_groups, with opset-21 semantics (per-channel affine; rank-4 `layer` is
 *   num_groups 1).
 * - nnc operators: `Silu`, `Maxout` (pieces), `BatchRenormalization(X, scale, B, mean, std)`,
 *   `FilterResponseNormalization(X, scale, B, tau)`, `SwitchableNormalization(X, scale, B,
 *   mean_weight, var_weight, mean, var)`, `WeightStandardization(W)`,
 *   `ScaledWeightStandardization(W, gain)`.
 */
import type { IrAttr, IrNode } from "./graph.js";

/** One argument of a kernel call. */
export type KernelArg =
  /** Tensor input `index` of the node. */
  | { readonly kind: "input"; readonly index: number }
  /** Tensor input `index`, or `undefined` when the node has no such input. */
  | { readonly kind: "optional"; readonly index: number }
  /** Every tensor input, as an array. */
  | { readonly kind: "inputs" }
  /** An object of tensor inputs by field name (`{ scale: input 1, ... }`). */
  | { readonly kind: "object"; readonly fields: Readonly<Record<string, number>> }
  /** A literal value (an attributes object, a shape). */
  | { readonly kind: "literal"; readonly value: LiteralValue }
  /** The module's random source (dropout). */
  | { readonly kind: "random" };

/** What a literal argument may hold: JSON-like values. */
export type LiteralValue = number | string | boolean | readonly LiteralValue[] | { readonly [key: string]: LiteralValue };

/** A call of a runtime kernel for one node. */
export interface KernelCall {
  /** The runtime export (`conv`, `batchNormalizationTraining`, ...). */
  readonly kernel: string;
  readonly args: readonly KernelArg[];
  /**
   * Training kernels return `{ y, running }`; this maps each key of `running` to the index of
   * the node input (a buffer) that it replaces after the call.
   */
  readonly running?: Readonly<Record<string, number>>;
}

const input = (index: number): KernelArg => ({ kind: "input", index });
const optional = (index: number): KernelArg => ({ kind: "optional", index });
const literal = (value: LiteralValue): KernelArg => ({ kind: "literal", value });

function num(node: IrNode, name: string, fallback?: number): number {
  const v = node.attrs[name];
  if (typeof v === "number") return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`IR: ${node.op} ${node.name} has no numeric attribute ${name}`);
}

function ints(node: IrNode, name: string, fallback: readonly number[]): number[] {
  const v: IrAttr | undefined = node.attrs[name];
  return Array.isArray(v) ? [...(v as readonly number[])] : [...fallback];
}

/** The runtime's name for a fused activation, from the IR's ONNX op name. */
function fusedActivation(node: IrNode): { [key: string]: LiteralValue } | undefined {
  const act = node.attrs.activation;
  if (act === undefined) return undefined;
  switch (act) {
    case "Relu":
      return { kind: "relu" };
    case "LeakyRelu":
      return { kind: "leaky_relu", alpha: num(node, "alpha", 0.01) };
    case "Elu":
      return { kind: "elu", alpha: num(node, "alpha", 1) };
    case "Sigmoid":
      return { kind: "sigmoid" };
    case "Tanh":
      return { kind: "tanh" };
    case "Silu":
      return { kind: "silu" };
    default:
      throw new Error(`IR: ${node.name} fuses an activation the runtime lacks: ${String(act)}`);
  }
}

function withActivation(node: IrNode, attrs: { [key: string]: LiteralValue }): { [key: string]: LiteralValue } {
  const activation = fusedActivation(node);
  return activation ? { ...attrs, activation } : attrs;
}

/** The kernel call for `node`; `training` picks the training forms of normalizers and dropout. */
export function kernelCall(node: IrNode, training: boolean): KernelCall {
  const eps = (fallback = 1e-5) => num(node, "epsilon", fallback);
  switch (node.op) {
    case "Conv": {
      const attrs = {
        strides: ints(node, "strides", [1, 1]),
        pads: ints(node, "pads", [0, 0, 0, 0]),
        dilations: ints(node, "dilations", [1, 1]),
        group: num(node, "group", 1),
      };
      return { kernel: "conv", args: [input(0), input(1), optional(2), literal(withActivation(node, attrs))] };
    }
    case "Gemm":
      return { kernel: "gemm", args: [input(0), input(1), optional(2), literal(withActivation(node, {}))] };
    case "MaxPool":
    case "AveragePool": {
      const attrs = { kernelShape: ints(node, "kernel_shape", []), strides: ints(node, "strides", [1, 1]), pads: ints(node, "pads", [0, 0, 0, 0]) };
      return { kernel: node.op === "MaxPool" ? "maxPool" : "averagePool", args: [input(0), literal(attrs)] };
    }
    case "LeakyRelu":
    case "Elu":
      return { kernel: node.op === "Elu" ? "elu" : "leakyRelu", args: [input(0), literal({ alpha: num(node, "alpha") })] };
    case "Maxout":
      return { kernel: "maxout", args: [input(0), literal({ pieces: num(node, "pieces") })] };
    case "PRelu":
      return { kernel: "prelu", args: [input(0), input(1)] };
    case "Dropout":
      return { kernel: "dropout", args: [input(0), literal({ p: num(node, "ratio", 0.5), training }), { kind: "random" }] };
    case "Concat":
      return { kernel: "concat", args: [{ kind: "inputs" }, literal({ axis: num(node, "axis", 1) })] };
    case "Reshape":
      return { kernel: "reshape", args: [input(0), literal(ints(node, "shape", []))] };
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
      return { kernel: node.op.toLowerCase(), args: [input(0), input(1)] };
    case "BatchNormalization":
      return training
        ? {
            kernel: "batchNormalizationTraining",
            args: [input(0), input(1), input(2), input(3), input(4), literal({ epsilon: eps(), momentum: num(node, "momentum", 0.1) })],
            running: { running_mean: 3, running_var: 4 },
          }
        : { kernel: "batchNormalization", args: [input(0), input(1), input(2), input(3), input(4), literal({ epsilon: eps() })] };
    case "BatchRenormalization":
      return training
        ? {
            kernel: "batchRenormTraining",
            args: [
              input(0), input(1), input(2), input(3), input(4),
              literal({ epsilon: eps(), momentum: num(node, "momentum", 0.01), rmax: num(node, "rmax", 3), dmax: num(node, "dmax", 5) }),
            ],
            running: { running_mean: 3, running_std: 4 },
          }
        : { kernel: "batchRenorm", args: [input(0), input(1), input(2), input(3), input(4)] };
    case "SwitchableNormalization": {
      const parameters: KernelArg = { kind: "object", fields: { scale: 1, bias: 2, meanWeight: 3, varWeight: 4 } };
      return training
        ? {
            kernel: "switchableNormalizationTraining",
            args: [input(0), parameters, input(5), input(6), literal({ epsilon: eps(), momentum: num(node, "momentum", 0.1) })],
            running: { running_mean: 5, running_var: 6 },
          }
        : { kernel: "switchableNormalization", args: [input(0), parameters, input(5), input(6), literal({ epsilon: eps() })] };
    }
    case "InstanceNormalization":
    case "LayerNormalization":
      return { kernel: node.op === "LayerNormalization" ? "layerNormalization" : "instanceNormalization", args: [input(0), input(1), input(2), literal({ epsilon: eps() })] };
    case "GroupNormalization":
      return { kernel: "groupNormalization", args: [input(0), input(1), input(2), literal({ groups: num(node, "num_groups"), epsilon: eps() })] };
    case "FilterResponseNormalization":
      return { kernel: "filterResponseNormalization", args: [input(0), input(1), input(2), input(3), literal({ epsilon: eps(1e-6) })] };
    case "WeightStandardization":
      return { kernel: "weightStandardization", args: [input(0), literal({ epsilon: eps() })] };
    case "ScaledWeightStandardization":
      return { kernel: "scaledWeightStandardization", args: [input(0), input(1)] };
    default: {
      const kernel = UNARY_KERNELS[node.op];
      if (!kernel) throw new Error(`IR: no runtime kernel for ${node.op} (${node.name})`);
      return { kernel, args: [input(0)] };
    }
  }
}

/** Operators whose kernel takes just the input tensor. */
const UNARY_KERNELS: Readonly<Record<string, string>> = {
  GlobalAveragePool: "globalAveragePool",
  GlobalMaxPool: "globalMaxPool",
  Flatten: "flatten",
  Relu: "relu",
  Sigmoid: "sigmoid",
  Tanh: "tanh",
  Gelu: "gelu",
  Silu: "silu",
  Softmax: "softmax",
  LogSoftmax: "logSoftmax",
  Sqrt: "sqrt",
  Identity: "identity",
};
