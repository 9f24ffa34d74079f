/**
 * The ONNX form of every IR operator that is not a normalizer (those are in `normalizers.ts`).
 * Most map one to one. The rest:
 *
 * - a `Conv`/`Gemm` carrying a fused `activation` is written back as the Conv (named after the
 *   layer) followed by the activation node (`conv0.relu`): ONNX has no fused form;
 * - `Silu(x)` = `x · Sigmoid(x)`; `Gelu` (erf form) is native from opset 20 and below that
 *   `x · (1 + Erf(x / √2)) · 0.5`, the form `torch.onnx.export` writes;
 * - `PRelu`'s per-channel slope `[C]` becomes `[C, 1, 1]` on images, since ONNX broadcasts from
 *   the trailing axis;
 * - `Maxout(pieces)` is `Reshape [N, C/p, p, ...]` then `ReduceMax` over the pieces axis;
 * - `Dropout` is the identity at inference.
 */
import { NodeEmitter, OnnxEmitError } from "./node-emitter.js";
import type { OnnxAttr } from "./graph-builder.js";
import { emitNormalizer, NORMALIZERS } from "./normalizers.js";
import { channelShape, reshapeTarget } from "./shapes.js";

/** Emits the ONNX nodes computing the emitter's IR node. */
export function emitOperator(e: NodeEmitter): void {
  const { node } = e;
  if (NORMALIZERS.has(node.op)) return emitNormalizer(e);
  switch (node.op) {
    case "Conv": {
      const attrs: Record<string, OnnxAttr> = {
        kernel_shape: { ints: e.ints("kernel_shape", []) },
        strides: { ints: e.ints("strides", [1, 1]) },
        pads: { ints: e.ints("pads", [0, 0, 0, 0]) },
        dilations: { ints: e.ints("dilations", [1, 1]) },
        group: { int: e.num("group", 1) },
      };
      return withActivation(e, "Conv", optionalInputs(e, 3), attrs);
    }
    case "Gemm":
      return withActivation(e, "Gemm", optionalInputs(e, 3), { transB: { int: 1 } });
    case "MaxPool":
    case "AveragePool": {
      const attrs: Record<string, OnnxAttr> = {
        kernel_shape: { ints: e.ints("kernel_shape", []) },
        strides: { ints: e.ints("strides", [1, 1]) },
        pads: { ints: e.ints("pads", [0, 0, 0, 0]) },
      };
      if (node.op === "AveragePool") attrs.count_include_pad = { int: 0 };
      return e.last(node.op, [e.input(0)], attrs);
    }
    case "Flatten":
      return e.last("Flatten", [e.input(0)], { axis: { int: e.num("axis", 1) } });
    case "Softmax":
    case "LogSoftmax":
      return e.last(node.op, [e.input(0)], { axis: { int: e.num("axis", 1) } });
    case "Concat":
      return e.last("Concat", node.inputs.map((_, i) => e.input(i)), { axis: { int: e.num("axis", 1) } });
    case "Add":
    case "Sub":
    case "Mul":
    case "Div":
      return e.last(node.op, [e.input(0), e.input(1)]);
    case "PRelu":
      return emitPRelu(e);
    case "Maxout":
      return emitMaxout(e);
    case "Reshape": {
      const target = e.ints("shape", []);
      // The IR's shape is static; a symbolic batch axis is copied (0) rather than baked in.
      const batch = e.shape(0)[0];
      const dims = target.map((d, axis) => (axis === 0 && typeof batch !== "number" ? 0 : d));
      return e.last("Reshape", [e.input(0), e.int64Constant("shape", dims)]);
    }
    case "Dropout":
      return e.last("Identity", [e.input(0)]);
    case "GlobalAveragePool":
    case "GlobalMaxPool":
    case "Sqrt":
    case "Identity":
      return e.last(node.op, [e.input(0)]);
    case "WeightStandardization":
    case "ScaledWeightStandardization":
      throw new OnnxEmitError(`${node.name}: weight standardization of a non-constant weight has no ONNX form`);
    default:
      if (ACTIVATIONS.has(node.op)) return emitActivation(e, node.op, e.input(0), e.num("alpha", node.op === "Elu" ? 1 : 0.01));
      throw new OnnxEmitError(`${node.name}: the IR operator ${node.op} has no ONNX form`);
  }
}

const ACTIVATIONS = new Set(["Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Silu", "Gelu"]);

function optionalInputs(e: NodeEmitter, count: number): string[] {
  const inputs: string[] = [];
  for (let i = 0; i < count && e.has(i); i++) inputs.push(e.input(i));
  return inputs;
}

/** A Conv or Gemm, followed by its fused activation as a node of its own. */
function withActivation(e: NodeEmitter, op: string, inputs: string[], attrs: Record<string, OnnxAttr>): void {
  const activation = e.node.attrs.activation;
  if (typeof activation !== "string") return e.last(op, inputs, attrs);
  const pre = e.step(op, inputs, attrs, "preact", true);
  const fallback = activation === "Elu" ? 1 : 0.01;
  emitActivation(e, activation, pre, e.num("alpha", fallback), activation.toLowerCase());
}

/** An activation of `x` writing the node's output; the final node is `<layer>.<suffix>` when given. */
function emitActivation(e: NodeEmitter, op: string, x: string, alpha: number, suffix?: string): void {
  switch (op) {
    case "Relu":
    case "Sigmoid":
    case "Tanh":
      return e.last(op, [x], {}, suffix);
    case "LeakyRelu":
    case "Elu":
      return e.last(op, [x], { alpha: { float: alpha } }, suffix);
    case "Silu": {
      const gate = e.step("Sigmoid", [x], {}, "sigmoid");
      return e.last("Mul", [x, gate], {}, suffix);
    }
    case "Gelu": {
      if (e.opset >= 20) return e.last("Gelu", [x], {}, suffix);
      const scaled = e.step("Div", [x, e.builder.scalar("gelu.sqrt2", Math.SQRT2)], {}, "gelu_div");
      const erf = e.step("Erf", [scaled], {}, "gelu_erf");
      const shifted = e.step("Add", [erf, e.builder.scalar("gelu.one", 1)], {}, "gelu_add");
      const gated = e.step("Mul", [x, shifted], {}, "gelu_mul");
      return e.last("Mul", [gated, e.builder.scalar("gelu.half", 0.5)], {}, suffix);
    }
    default:
      throw new OnnxEmitError(`${e.node.name}: the activation ${op} has no ONNX form`);
  }
}

function emitPRelu(e: NodeEmitter): void {
  const slope = e.constant(1);
  const rank = e.shape(0).length;
  if (slope.data.length === 1 || rank <= 2) return e.last("PRelu", [e.input(0), e.input(1)]);
  return e.last("PRelu", [e.input(0), e.floatConstant("slope", channelShape(slope.data.length, rank), slope.data)]);
}

function emitMaxout(e: NodeEmitter): void {
  const pieces = e.num("pieces", 2);
  const [batch, channels, ...rest] = e.shape(0);
  if (typeof channels !== "number") throw new OnnxEmitError(`${e.node.name}: maxout needs a static channel count for ONNX`);
  const target = reshapeTarget(e.node.name, [batch, channels / pieces, pieces, ...rest]);
  const grouped = e.step("Reshape", [e.input(0), e.int64Constant("pieces_shape", target)], {}, "pieces");
  e.reduce("ReduceMax", grouped, [2], false);
}
