/**
 * Element-wise arithmetic: the layers `add`, `sub`, `mul` and `div` (also written `a + b`,
 * `a - b`, `a * b`, `a / b`), the IR's broadcasting `Add`, `Sub`, `Mul` and `Div`.
 *
 * Two tensors broadcast as NumPy and ONNX do, within the language's rule that every tensor has
 * its batch on axis 0: the operands have one rank, their batch axes agree, and on every other
 * axis the sizes are equal or one of them is 1 and stretches (`[N, C, H, W] * [N, C, 1, 1]`).
 * A tensor with a compile-time number (`x * 0.2`, `1 - x`) is the same layer on one tensor, the
 * number held in its attributes (`scalar`, and `scalar_left` when the number is the left
 * operand); it lowers to the node with a rank-0 literal constant as that operand.
 *
 * Gradients reduce over the axes an operand was broadcast along; an `Add` of equal shapes passes
 * the output's gradient on to both operands without a node.
 */
import { md } from "./reference.js";
import { formatShape, perSample } from "./dims.js";
import { readsInputs, sumRule } from "./grad-structure.js";
import { inputsCall } from "./kernel-call.js";
import { fail } from "./rules.js";
import type { Attrs, IrOperator, KernelEntry, LayerOperator, Shape } from "./types.js";

/** The arithmetic layers by the operator the language writes between two operands. */
export const ARITHMETIC_SYMBOLS: Readonly<Record<string, string>> = { "+": "add", "-": "sub", "*": "mul", "/": "div" };

/** The number operand of arithmetic with a compile-time number, from the layer's attributes. */
export interface ScalarOperand {
  readonly value: number;
  /** The number is the left operand (`1 - x`). */
  readonly left: boolean;
}

/** The attributes of arithmetic with the number `value` on the given side. */
export function scalarAttrs(value: number, left: boolean): Attrs {
  return left ? { scalar: value, scalar_left: true } : { scalar: value };
}

/** The number operand of an arithmetic layer, or undefined for one over two tensors. */
export function scalarOperand(attrs: Attrs): ScalarOperand | undefined {
  return typeof attrs.scalar === "number" ? { value: attrs.scalar, left: attrs.scalar_left === true } : undefined;
}

/**
 * Why `a` and `b` do not broadcast (ranks, the batch axis, or the first other axis where the sizes
 * differ and neither is 1), or undefined when they do.
 */
export function broadcastProblem(a: Shape, b: Shape): string | undefined {
  if (a.length !== b.length) return `ranks ${a.length} and ${b.length} differ`;
  for (let axis = 0; axis < a.length; axis++) {
    const [da, db] = [a[axis], b[axis]];
    if (da === db || (axis > 0 && (da === 1 || db === 1))) continue;
    return `${axis === 0 ? "the batch axis" : `axis ${axis}`} is ${da} against ${db}`;
  }
  return undefined;
}

/** The broadcast shape of two shapes that broadcast: on each axis the size that is not a stretched 1. */
export function broadcastDims(a: Shape, b: Shape): Shape {
  return a.map((d, axis) => (d === 1 ? b[axis] : d));
}

function arithmeticLayer(name: string, op: string, symbol: string, what: string, python: string): LayerOperator {
  return {
    name,
    reference: {
      shape: md`Two tensors of one rank with the same batch axis; on every other axis the sizes are equal, or one is 1 and stretches (\`[N, C, H, W] ${symbol} [N, C, 1, 1]\`, as NumPy broadcasts). The output takes the larger size on each axis. With a number (\`x ${symbol} 2\`, \`2 ${symbol} x\`), the tensor's shape.`,
      formula: md`$y = a ${symbol === "*" ? "\\cdot" : symbol} b$, element by element after broadcasting. Its gradient sums over the axes an operand was stretched along.`,
      example: { inputs: "x: [N, 8, 16, 16], y: [N, 8, 1, 1]", returns: `x ${symbol} y` },
    },
    doc: `element-wise ${what} of two tensors that broadcast, or of a tensor and a number (also written a ${symbol} b)`,
    family: "structure",
    inputs: 2,
    args: [],
    infer: (attrs, shapes) => {
      if (scalarOperand(attrs) !== undefined) return { shape: shapes[0], params: [], flops: perSample(shapes[0]) };
      const [a, b] = shapes;
      const problem = broadcastProblem(a, b);
      if (problem !== undefined) return fail("E0202", `${name} needs operands that broadcast, got ${formatShape(a)} and ${formatShape(b)}: ${problem}`);
      const shape = broadcastDims(a, b);
      return { shape, params: [], flops: perSample(shape) };
    },
    lower: (ctx) => {
      const scalar = scalarOperand(ctx.attrs);
      if (scalar === undefined) return ctx.emit(op, [...ctx.inputs]);
      const constant = ctx.constant("scalar", [], Float32Array.of(scalar.value));
      return ctx.emit(op, scalar.left ? [constant, ctx.inputs[0]] : [ctx.inputs[0], constant]);
    },
    torch: {
      call: (t) => {
        const scalar = scalarOperand(t.attrs);
        if (scalar === undefined) return `${t.inputs[0]} ${python} ${t.inputs[1]}`;
        const number = t.value(scalar.value, "scalar", "float");
        return scalar.left ? `${number} ${python} ${t.inputs[0]}` : `${t.inputs[0]} ${python} ${number}`;
      },
    },
    example: { inputs: 2 },
  };
}

export const ADD_LAYER = arithmeticLayer("add", "Add", "+", "sum", "+");
export const SUB_LAYER = arithmeticLayer("sub", "Sub", "-", "difference", "-");
export const MUL_LAYER = arithmeticLayer("mul", "Mul", "*", "product", "*");
export const DIV_LAYER = arithmeticLayer("div", "Div", "/", "quotient", "/");

/**
 * The runtime's part of `Add`, `Sub`, `Mul` and `Div`. The plan runs an `Add` of equal shapes
 * itself, and a `Mul` of an image by a per-(sample, channel) scale (`[N, C, H, W]` by
 * `[N | 1, C | 1, 1, 1]`: a squeeze-and-excitation gate) as a per-channel affine.
 */
export const ARITHMETIC_KERNELS: readonly KernelEntry[] = ["Add", "Sub", "Mul", "Div"].map((op) => ({
  op,
  // An `Add` with `activation: "Relu"` is a training graph's residual sum with its relu fused (`compiler/train/fuse-relu.ts`).
  kernel: (node) => inputsCall(op === "Add" && node.attrs.activation === "Relu" ? "addRelu" : op.toLowerCase(), 2),
  plan: op === "Add" ? { kind: "add" } : op === "Mul" ? { kind: "scale" } : undefined,
}));

export const ARITHMETIC_OPERATORS = {
  layers: [ADD_LAYER, SUB_LAYER, MUL_LAYER, DIV_LAYER],
  ir: ARITHMETIC_KERNELS.map(
    (kernel): IrOperator => ({
      ...kernel,
      backward: kernel.op === "Add" || kernel.op === "Sub" ? sumRule(kernel.op) : readsInputs(`${kernel.op}Grad`),
      onnx: (e) => e.last(kernel.op, [e.input(0), e.input(1)]),
    }),
  ),
};
