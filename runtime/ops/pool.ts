/**
 * The pools: `maxpool`, `avgpool` (padding excluded from the mean), `global_avgpool` and
 * `global_maxpool`; the IR's `MaxPool`, `AveragePool` (count_include_pad 0), `GlobalAveragePool`
 * and `GlobalMaxPool`.
 */
import { pyArgs, sameAs, type Keyword } from "./torch-forms.js";
import { perSample } from "./dims.js";
import { readsInputs } from "./grad-structure.js";
import { inputsCall, input, ints, literal } from "./kernel-call.js";
import { checkRank, fail, isFailure, pair } from "./rules.js";
import type { Attrs, IrOperator, KernelEntry, LayerOperator, RuleFailure, RuleResult, Shape } from "./types.js";
import { onnxWindowAttrs, slide2d, WINDOW_ARGS } from "./windows.js";

function windowInfer(op: string) {
  return (attrs: Attrs, [x]: readonly Shape[]): RuleResult | RuleFailure => {
    const rank = checkRank(op, x, [4]);
    if (rank) return rank;
    const k = pair(attrs.kernel);
    const s = pair(attrs.stride);
    const p = pair(attrs.pad);
    if (p[0] * 2 > k[0] || p[1] * 2 > k[1]) {
      return fail("E0207", `${op} pad must be at most half the kernel, got pad ${p[0] === p[1] ? p[0] : `(${p.join(", ")})`} for kernel ${k[0] === k[1] ? k[0] : `(${k.join(", ")})`}`, "pad");
    }
    const dims = slide2d(op, x, k, s, p, [1, 1]);
    if (isFailure(dims)) return dims;
    const shape: Shape = [x[0], x[1], dims[0], dims[1]];
    return { shape, params: [], flops: k[0] * k[1] * perSample(shape), derived: { pads: [p[0], p[1], p[0], p[1]] } };
  };
}

function windowLayer(name: string, op: "MaxPool" | "AveragePool", doc: string): LayerOperator {
  return {
    name,
    doc,
    family: "pool",
    inputs: 1,
    args: WINDOW_ARGS,
    infer: windowInfer(name),
    torch: {
      call: (t) => {
        const { kernel, stride, pad } = t.attrs;
        const keywords: Keyword[] = [["stride", stride, kernel], ["padding", pad, 0]];
        if (op === "AveragePool" && !sameAs(pad, 0)) keywords.push(["count_include_pad", false, undefined]);
        return `F.${op === "MaxPool" ? "max_pool2d" : "avg_pool2d"}(${t.inputs[0]}, ${pyArgs(t, [[kernel, "kernel"]], keywords)})`;
      },
    },
    lower: (ctx) => {
      const kernel = ctx.attrs.kernel as readonly number[];
      const attrs = { kernel_shape: [kernel[0], kernel[1]], strides: ctx.attrs.stride as readonly number[], pads: ctx.attrs.pads as readonly number[] };
      return ctx.emit(op, [ctx.inputs[0]], op === "AveragePool" ? { ...attrs, count_include_pad: 0 } : attrs);
    },
    example: { args: { kernel: 2 } },
  };
}

function windowKernel(op: "MaxPool" | "AveragePool"): KernelEntry {
  return {
    op,
    plan: { kind: "pool" },
    kernel: (node) => {
      const attrs = { kernelShape: ints(node, "kernel_shape", []), strides: ints(node, "strides", [1, 1]), pads: ints(node, "pads", [0, 0, 0, 0]) };
      return { kernel: op === "MaxPool" ? "maxPool" : "averagePool", args: [input(0), literal(attrs)] };
    },
  };
}

function windowOperator(kernel: KernelEntry): IrOperator {
  const op = kernel.op;
  return {
    ...kernel,
    backward: readsInputs(`${op}Grad`),
    onnx: (e) => {
      const attrs = onnxWindowAttrs(e);
      if (op === "AveragePool") attrs.count_include_pad = { int: 0 };
      e.last(op, [e.input(0)], attrs);
    },
  };
}

function globalLayer(name: string, op: string, doc: string): LayerOperator {
  return {
    name,
    doc,
    family: "pool",
    inputs: 1,
    args: [],
    infer: (_attrs, [x]) => checkRank(name, x, [4]) ?? { shape: [x[0], x[1], 1, 1], params: [], flops: perSample(x) },
    lower: (ctx) => ctx.emit(op, [ctx.inputs[0]]),
    torch: { call: (t) => `${t.inputs[0]}.${op === "GlobalAveragePool" ? "mean" : "amax"}((2, 3), keepdim=True)` },
  };
}

function globalKernel(op: string, kernel: string): KernelEntry {
  return { op, plan: { kind: "pool" }, kernel: () => inputsCall(kernel) };
}

function globalOperator(kernel: KernelEntry): IrOperator {
  return { ...kernel, backward: readsInputs(`${kernel.op}Grad`), onnx: (e) => e.last(kernel.op, [e.input(0)]) };
}

export const POOL_KERNELS: readonly KernelEntry[] = [
  windowKernel("MaxPool"),
  windowKernel("AveragePool"),
  globalKernel("GlobalAveragePool", "globalAveragePool"),
  globalKernel("GlobalMaxPool", "globalMaxPool"),
];

export const POOL_OPERATORS = {
  layers: [
    windowLayer("maxpool", "MaxPool", "max over sliding windows, as nn.MaxPool2d"),
    windowLayer("avgpool", "AveragePool", "mean over sliding windows, padding excluded, as nn.AvgPool2d(count_include_pad=False)"),
    globalLayer("global_avgpool", "GlobalAveragePool", "mean over H and W: [N, C, H, W] -> [N, C, 1, 1]"),
    globalLayer("global_maxpool", "GlobalMaxPool", "max over H and W: [N, C, H, W] -> [N, C, 1, 1]"),
  ],
  ir: [
    windowOperator(POOL_KERNELS[0]),
    windowOperator(POOL_KERNELS[1]),
    globalOperator(POOL_KERNELS[2]),
    globalOperator(POOL_KERNELS[3]),
  ],
};
