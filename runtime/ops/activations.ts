/**
 * The classic activations: `relu`, `sigmoid`, `tanh`, `gelu`, `silu`, `leaky_relu`, `elu`. Each
 * runs fused in a conv's or dense layer's write-back (gelu only on the plan: the `fuse-activation`
 * pass leaves it a node of its own), and each has a specialized form there and in WebAssembly.
 */
import { ELU_ALPHA } from "../kernels/elu.js";
import { geluScalar } from "../kernels/gelu.js";
import { LEAKY_RELU_ALPHA } from "../kernels/leaky-relu.js";
import { sigmoidScalar } from "../kernels/sigmoid.js";
import { num } from "./kernel-call.js";
import { pointwise, sameOnnx } from "./pointwise.js";
import type { ArgSpec } from "./types.js";

const alphaArg = (value: number, doc: string): ArgSpec => ({ name: "alpha", type: "float", default: value, doc });

export const RELU = pointwise({
  layer: "relu",
  op: "Relu",
  doc: "max(x, 0)",
  kernel: "relu",
  onnx: sameOnnx("Relu"),
  scalar: () => (x) => (x > 0 ? x : 0),
  fusedForm: () => ({ kind: "relu" }),
});

export const SIGMOID = pointwise({
  layer: "sigmoid",
  op: "Sigmoid",
  doc: "1 / (1 + exp(-x))",
  kernel: "sigmoid",
  onnx: sameOnnx("Sigmoid"),
  scalar: () => sigmoidScalar,
  fusedForm: () => ({ kind: "sigmoid" }),
});

export const TANH = pointwise({
  layer: "tanh",
  op: "Tanh",
  doc: "hyperbolic tangent",
  kernel: "tanh",
  onnx: sameOnnx("Tanh"),
  scalar: () => Math.tanh,
  fusedForm: () => ({ kind: "tanh" }),
});

export const GELU = pointwise({
  layer: "gelu",
  op: "Gelu",
  doc: "x * Phi(x), the exact (erf) form",
  kernel: "gelu",
  // Native from opset 20; below, `x · (1 + Erf(x / √2)) · 0.5`, the form `torch.onnx.export` writes.
  onnx: (e, x, suffix) => {
    if (e.opset >= 20) return e.last("Gelu", [x], {}, suffix);
    const scaled = e.step("Div", [x, e.scalar("gelu.sqrt2", Math.SQRT2)], {}, "gelu_div");
    const erf = e.step("Erf", [scaled], {}, "gelu_erf");
    const shifted = e.step("Add", [erf, e.scalar("gelu.one", 1)], {}, "gelu_add");
    const gated = e.step("Mul", [x, shifted], {}, "gelu_mul");
    e.last("Mul", [gated, e.scalar("gelu.half", 0.5)], {}, suffix);
  },
  scalar: () => geluScalar,
  fusedForm: () => ({ kind: "gelu" }),
  fuses: false,
});

export const SILU = pointwise({
  layer: "silu",
  op: "Silu",
  doc: "x * sigmoid(x) (swish)",
  kernel: "silu",
  // `x · Sigmoid(x)`: ONNX has no Silu.
  onnx: (e, x, suffix) => {
    const gate = e.step("Sigmoid", [x], {}, "sigmoid");
    e.last("Mul", [x, gate], {}, suffix);
  },
  scalar: () => (x) => x * sigmoidScalar(x),
  fusedForm: () => ({ kind: "silu" }),
});

export const LEAKY_RELU = pointwise({
  layer: "leaky_relu",
  op: "LeakyRelu",
  doc: "x if x > 0 else alpha * x, as nn.LeakyReLU",
  args: [alphaArg(LEAKY_RELU_ALPHA, "slope for negative inputs")],
  attrs: (a) => ({ alpha: Number(a.alpha) }),
  irAttrs: ["alpha"],
  kernel: "leakyRelu",
  kernelAttrs: { alpha: { attr: "alpha", fallback: LEAKY_RELU_ALPHA } },
  onnx: (e, x, suffix) => e.last("LeakyRelu", [x], { alpha: { float: e.num("alpha", LEAKY_RELU_ALPHA) } }, suffix),
  scalar: (node) => {
    const alpha = num(node, "alpha", LEAKY_RELU_ALPHA);
    return (x) => (x > 0 ? x : alpha * x);
  },
  fusedForm: (node) => ({ kind: "leaky_relu", alpha: num(node, "alpha", LEAKY_RELU_ALPHA) }),
});

export const ELU = pointwise({
  layer: "elu",
  op: "Elu",
  doc: "x if x > 0 else alpha * (exp(x) - 1), as nn.ELU",
  args: [alphaArg(ELU_ALPHA, "scale of the negative part")],
  attrs: (a) => ({ alpha: Number(a.alpha) }),
  irAttrs: ["alpha"],
  kernel: "elu",
  kernelAttrs: { alpha: { attr: "alpha", fallback: ELU_ALPHA } },
  onnx: (e, x, suffix) => e.last("Elu", [x], { alpha: { float: e.num("alpha", ELU_ALPHA) } }, suffix),
  scalar: (node) => {
    const alpha = num(node, "alpha", ELU_ALPHA);
    return (x) => (x > 0 ? x : alpha * Math.expm1(x));
  },
  fusedForm: (node) => ({ kind: "elu", alpha: num(node, "alpha", ELU_ALPHA) }),
});
