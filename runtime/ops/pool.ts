/**
 * The pools: `maxpool`, `avgpool` (padding excluded from the mean; both in floor or ceil mode),
 * `adaptive_avgpool`, `global_avgpool` and `global_maxpool`; the IR's `MaxPool`, `AveragePool`
 * (count_include_pad 0; `ceil_mode` 1 in ceil mode), nnc's `AdaptiveAveragePool`,
 * `GlobalAveragePool` and `GlobalMaxPool`.
 */
import { adaptiveBins } from "../window.js";
import { pyArgs, sameAs, type Keyword } from "./torch-forms.js";
import { perSample } from "./dims.js";
import { readsInputs } from "./grad-structure.js";
import { inputsCall, input, ints, literal, num } from "./kernel-call.js";
import { checkRank, fail, isFailure, pair, staticDim } from "./rules.js";
import type { Attrs, IrOperator, KernelEntry, LayerOperator, OnnxContext, RuleFailure, RuleResult, Shape } from "./types.js";
import { onnxPoolAttrs, slide2d, WINDOW_ARGS } from "./windows.js";

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
    const dims = slide2d(op, x, k, s, p, [1, 1], attrs.ceil_mode === true);
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
        const { kernel, stride, pad, ceil_mode } = t.attrs;
        const keywords: Keyword[] = [["stride", stride, kernel], ["padding", pad, 0], ["ceil_mode", ceil_mode, false]];
        // PyTorch's default divisor counts the padding (never what lies past it, so a ceil-mode pool
        // without padding would need no keyword); written wherever a window can leave the input.
        if (op === "AveragePool" && (!sameAs(pad, 0) || ceil_mode === true)) keywords.push(["count_include_pad", false, undefined]);
        return `F.${op === "MaxPool" ? "max_pool2d" : "avg_pool2d"}(${t.inputs[0]}, ${pyArgs(t, [[kernel, "kernel"]], keywords)})`;
      },
    },
    lower: (ctx) => {
      const kernel = ctx.attrs.kernel as readonly number[];
      const attrs = {
        kernel_shape: [kernel[0], kernel[1]],
        strides: ctx.attrs.stride as readonly number[],
        pads: ctx.attrs.pads as readonly number[],
        ...(ctx.attrs.ceil_mode === true ? { ceil_mode: 1 } : {}),
      };
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
      const attrs = {
        kernelShape: ints(node, "kernel_shape", []),
        strides: ints(node, "strides", [1, 1]),
        pads: ints(node, "pads", [0, 0, 0, 0]),
        ...(num(node, "ceil_mode", 0) === 1 ? { ceilMode: true } : {}),
      };
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
      const attrs = onnxPoolAttrs(e);
      if (op === "AveragePool") attrs.count_include_pad = { int: 0 };
      e.last(op, [e.input(0)], attrs);
    },
  };
}

/**
 * `adaptive_avgpool(size)`, PyTorch's `nn.AdaptiveAvgPool2d`: bins over a static H and W. Where
 * the bins are one window (H divisible by h, W by w) it lowers to `AveragePool`, else to
 * `AdaptiveAveragePool`.
 */
const ADAPTIVE_AVGPOOL: LayerOperator = {
  name: "adaptive_avgpool",
  doc: "mean over the h×w bins that split H and W, as nn.AdaptiveAvgPool2d: [N, C, H, W] -> [N, C, h, w] (AveragePool where the bins are uniform)",
  family: "pool",
  inputs: 1,
  args: [{ name: "size", type: "pair", min: 1, doc: "the output height and width: an int or a pair (h, w); needs a static H and W" }],
  infer: (attrs, [x]) => {
    const rank = checkRank("adaptive_avgpool", x, [4]);
    if (rank) return rank;
    const h = staticDim("adaptive_avgpool", x, 2, "height");
    if (isFailure(h)) return h;
    const w = staticDim("adaptive_avgpool", x, 3, "width");
    if (isFailure(w)) return w;
    const [oh, ow] = pair(attrs.size);
    const shape: Shape = [x[0], x[1], oh, ow];
    return { shape, params: [], flops: perSample([x[0], x[1]]) * binCover(h, oh) * binCover(w, ow) };
  },
  lower: (ctx) => {
    const [oh, ow] = pair(ctx.attrs.size);
    const h = ctx.inputShape[2] as number;
    const w = ctx.inputShape[3] as number;
    if (h % oh === 0 && w % ow === 0) {
      const kernel = [h / oh, w / ow];
      return ctx.emit("AveragePool", [ctx.inputs[0]], { kernel_shape: kernel, strides: kernel, pads: [0, 0, 0, 0], count_include_pad: 0 });
    }
    return ctx.emit("AdaptiveAveragePool", [ctx.inputs[0]], { output_size: [oh, ow] });
  },
  torch: { call: (t) => `F.adaptive_avg_pool2d(${t.inputs[0]}, ${t.value(t.attrs.size, "size")})` },
  example: { args: { size: 4 } },
};

/** The input positions the bins of one axis cover together, overlaps counted twice: the FLOPs' factor. */
function binCover(size: number, out: number): number {
  const { start, end } = adaptiveBins(size, out);
  let total = 0;
  for (let i = 0; i < out; i++) total += end[i] - start[i];
  return total;
}

const ADAPTIVE_AVERAGE_POOL_KERNEL: KernelEntry = {
  op: "AdaptiveAveragePool",
  kernel: (node) => ({ kernel: "adaptiveAveragePool", args: [input(0), literal({ outputSize: ints(node, "output_size", []) })] }),
};

/**
 * The pooling matrix of one axis, `[size, out]` (or `[out, size]` transposed): `1 / |bin j|` where
 * input position `i` lies in bin `j`, so that a product with it averages each bin.
 */
function binMatrix(size: number, out: number, transposed: boolean): Float32Array {
  const { start, end } = adaptiveBins(size, out);
  const m = new Float32Array(size * out);
  for (let j = 0; j < out; j++) {
    for (let i = start[j]; i < end[j]; i++) m[transposed ? j * size + i : i * out + j] = 1 / (end[j] - start[j]);
  }
  return m;
}

/**
 * ONNX has no adaptive pool. The mean over a bin of rows times a bin of columns is separable, so
 * it is two MatMuls with constant pooling matrices: `x [N, C, H, W] · Pw [W, w]` averages the
 * columns, then `Ph [h, H] · (…) [N, C, H, w]` (broadcast over N and C) the rows.
 */
function adaptiveOnnx(e: OnnxContext): void {
  const [, , h, w] = e.shape(0);
  const [oh, ow] = e.ints("output_size", []);
  if (typeof h !== "number" || typeof w !== "number") throw new Error(`IR: AdaptiveAveragePool ${e.node.name} over a symbolic height or width`);
  const cols = e.floatConstant("columns", [w, ow], binMatrix(w, ow, false));
  const rows = e.floatConstant("rows", [oh, h], binMatrix(h, oh, true));
  const pooledColumns = e.step("MatMul", [e.input(0), cols], {}, "pool_columns");
  e.last("MatMul", [rows, pooledColumns]);
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
  ADAPTIVE_AVERAGE_POOL_KERNEL,
  globalKernel("GlobalAveragePool", "globalAveragePool"),
  globalKernel("GlobalMaxPool", "globalMaxPool"),
];

export const POOL_OPERATORS = {
  layers: [
    windowLayer("maxpool", "MaxPool", "max over sliding windows, as nn.MaxPool2d"),
    windowLayer("avgpool", "AveragePool", "mean over sliding windows, padding excluded, as nn.AvgPool2d(count_include_pad=False)"),
    ADAPTIVE_AVGPOOL,
    globalLayer("global_avgpool", "GlobalAveragePool", "mean over H and W: [N, C, H, W] -> [N, C, 1, 1]"),
    globalLayer("global_maxpool", "GlobalMaxPool", "max over H and W: [N, C, H, W] -> [N, C, 1, 1]"),
  ],
  ir: [
    windowOperator(POOL_KERNELS[0]),
    windowOperator(POOL_KERNELS[1]),
    { ...ADAPTIVE_AVERAGE_POOL_KERNEL, backward: readsInputs("AdaptiveAveragePoolGrad"), onnx: adaptiveOnnx },
    globalOperator(POOL_KERNELS[3]),
    globalOperator(POOL_KERNELS[4]),
  ],
};
