/**
 * The classic activations: `relu`, `sigmoid`, `tanh`, `gelu`, `silu`, `leaky_relu`, `elu`. Each
 * runs fused in a conv's or dense layer's write-back (gelu only on the plan: the `fuse-activation`
 * pass leaves it a node of its own), and each has a specialized form there and in WebAssembly.
 * Every operator is two declarations: its runtime part (`*_KERNEL`) and its layer and IR operator.
 */
import { functionForm, sameAs } from "./torch-forms.js";
import { ELU_ALPHA } from "../kernels/elu.js";
import { geluScalar } from "../kernels/gelu.js";
import { LEAKY_RELU_ALPHA } from "../kernels/leaky-relu.js";
import { sigmoidScalar } from "../kernels/sigmoid.js";
import { savedBackward } from "./grad-activations.js";
import { num } from "./kernel-call.js";
import { pointwise, pointwiseKernel, sameOnnx } from "./pointwise.js";
import { elementwise, md } from "./reference.js";
import type { KernelEntry, LayerReference } from "./types.js";

export const RELU_KERNEL = pointwiseKernel({ op: "Relu", kernel: "relu", scalar: () => (x) => (x > 0 ? x : 0), fusedForm: () => ({ kind: "relu" }) });
export const RELU = pointwise(RELU_KERNEL, {
  layer: "relu",
  reference: elementwise(md`$y = \max(x, 0)$.`, "x -> relu"),
  doc: "max(x, 0)", onnx: sameOnnx("Relu"), torch: functionForm("F.relu"), backward: savedBackward("Relu", ["output"]) });

export const SIGMOID_KERNEL = pointwiseKernel({ op: "Sigmoid", kernel: "sigmoid", scalar: () => sigmoidScalar, fusedForm: () => ({ kind: "sigmoid" }) });
export const SIGMOID = pointwise(SIGMOID_KERNEL, {
  layer: "sigmoid",
  reference: elementwise(md`$y = \sigma(x) = \frac{1}{1 + e^{-x}}$.`, "x -> sigmoid"),
  doc: "1 / (1 + exp(-x))", onnx: sameOnnx("Sigmoid"), torch: functionForm("torch.sigmoid"), backward: savedBackward("Sigmoid", ["output"]) });

export const TANH_KERNEL = pointwiseKernel({ op: "Tanh", kernel: "tanh", scalar: () => Math.tanh, fusedForm: () => ({ kind: "tanh" }) });
export const TANH = pointwise(TANH_KERNEL, {
  layer: "tanh",
  reference: elementwise(md`$y = \tanh x = \frac{e^x - e^{-x}}{e^x + e^{-x}}$.`, "x -> tanh"),
  doc: "hyperbolic tangent", onnx: sameOnnx("Tanh"), torch: functionForm("torch.tanh"), backward: savedBackward("Tanh", ["output"]) });

export const GELU_KERNEL = pointwiseKernel({ op: "Gelu", kernel: "gelu", scalar: () => geluScalar, fusedForm: () => ({ kind: "gelu" }) });
export const GELU = pointwise(GELU_KERNEL, {
  layer: "gelu",
  reference: elementwise(md`$y = x \ \Phi(x) = \frac{x}{2} \left(1 + \mathrm{erf}(x / \sqrt{2})\right)$, $\Phi$ the standard normal CDF: the exact form, PyTorch's default (\`approximate="none"\`), not the tanh approximation.`, "x -> gelu"),
  doc: "x * Phi(x), the exact (erf) form",
  // Native from opset 20; below, `x · (1 + Erf(x / √2)) · 0.5`, the form `torch.onnx.export` writes.
  onnx: (e, x, suffix) => {
    if (e.opset >= 20) return e.last("Gelu", [x], {}, suffix);
    const scaled = e.step("Div", [x, e.scalar("gelu.sqrt2", Math.SQRT2)], {}, "gelu_div");
    const erf = e.step("Erf", [scaled], {}, "gelu_erf");
    const shifted = e.step("Add", [erf, e.scalar("gelu.one", 1)], {}, "gelu_add");
    const gated = e.step("Mul", [x, shifted], {}, "gelu_mul");
    e.last("Mul", [gated, e.scalar("gelu.half", 0.5)], {}, suffix);
  },
  fuses: false,
  torch: functionForm("F.gelu"),
  backward: savedBackward("Gelu", [0]),
});

export const SILU_KERNEL = pointwiseKernel({ op: "Silu", kernel: "silu", scalar: () => (x) => x * sigmoidScalar(x), fusedForm: () => ({ kind: "silu" }) });
export const SILU = pointwise(SILU_KERNEL, {
  layer: "silu",
  reference: elementwise(md`$y = x \ \sigma(x) = \frac{x}{1 + e^{-x}}$ (swish).`, "x -> silu"),
  doc: "x * sigmoid(x) (swish)",
  // `x · Sigmoid(x)`: ONNX has no Silu.
  onnx: (e, x, suffix) => {
    const gate = e.step("Sigmoid", [x], {}, "sigmoid");
    e.last("Mul", [x, gate], {}, suffix);
  },
  backward: savedBackward("Silu", [0]),
  torch: functionForm("F.silu"),
});

/**
 * The runtime part of an activation with one `alpha` attribute (LeakyRelu, Elu): its kernel takes
 * `{ alpha }`, and its write-back form is `{ kind, alpha }` over `f(x, alpha)`.
 */
function alphaKernel(op: string, kernel: string, kind: "leaky_relu" | "elu", fallback: number, f: (x: number, alpha: number) => number) {
  return pointwiseKernel({
    op,
    kernel,
    kernelAttrs: { alpha: { attr: "alpha", fallback } },
    irAttrs: ["alpha"],
    scalar: (node) => {
      const alpha = num(node, "alpha", fallback);
      return (x) => f(x, alpha);
    },
    fusedForm: (node) => ({ kind, alpha: num(node, "alpha", fallback) }),
  });
}

/** The layer and IR operator of an `alpha` activation: `alpha` is an argument and an ONNX attribute of the same name. */
function alphaActivation(kernel: KernelEntry, layer: string, doc: string, fallback: number, alphaDoc: string, reference: LayerReference) {
  return pointwise(kernel, {
    layer,
    doc,
    reference,
    args: [{ name: "alpha", type: "float", default: fallback, doc: alphaDoc }],
    attrs: (a) => ({ alpha: Number(a.alpha) }),
    onnx: (e, x, suffix) => e.last(kernel.op, [x], { alpha: { float: e.num("alpha", fallback) } }, suffix),
    // Both read the input, as PyTorch does: for Elu, the output plus alpha would lose the
    // precision of exp(x) where the output nears -alpha.
    backward: savedBackward(kernel.op, [0]),
    // F.leaky_relu(x, negative_slope) and F.elu(x, alpha).
    torch: functionForm(`F.${layer}`, (t) => (sameAs(t.attrs.alpha, fallback) ? "" : t.value(t.attrs.alpha, "alpha", "float"))),
  });
}

export const LEAKY_RELU_KERNEL = alphaKernel("LeakyRelu", "leakyRelu", "leaky_relu", LEAKY_RELU_ALPHA, (x, alpha) => (x > 0 ? x : alpha * x));
export const LEAKY_RELU = alphaActivation(LEAKY_RELU_KERNEL, "leaky_relu", "x if x > 0 else alpha * x, as nn.LeakyReLU", LEAKY_RELU_ALPHA, "slope for negative inputs",
  elementwise(md`$y = x$ where $x > 0$, else $\alpha x$, with $\alpha$ = \`alpha\`.`, "x -> leaky_relu(0.2)"),
);

export const ELU_KERNEL = alphaKernel("Elu", "elu", "elu", ELU_ALPHA, (x, alpha) => (x > 0 ? x : alpha * Math.expm1(x)));
export const ELU = alphaActivation(ELU_KERNEL, "elu", "x if x > 0 else alpha * (exp(x) - 1), as nn.ELU", ELU_ALPHA, "scale of the negative part",
  elementwise(md`$y = x$ where $x > 0$, else $\alpha (e^x - 1)$, with $\alpha$ = \`alpha\`.`, "x -> elu"),
);
