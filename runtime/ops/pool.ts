/**
 * The pools: `maxpool`, `avgpool` (padding excluded from the mean; both in floor or ceil mode),
 * `adaptive_avgpool`, `global_avgpool` and `global_maxpool`; the IR's `MaxPool`, `AveragePool`
 * (count_include_pad 0; `ceil_mode` 1 in ceil mode), nnc's `AdaptiveAveragePool`,
 * `GlobalAveragePool` and `GlobalMaxPool`.
 */
import { md } from "./reference.js";
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

/** The shape rule of `maxpool` and `avgpool`, as the reference states it. */
const WINDOW_SHAPE = md`\`[N, C, H, W]\` to \`[N, C, H', W']\` with $H' = \lfloor (H + 2p_h - k_h) / s_h \rfloor + 1$ (k = \`kernel\`, s = \`stride\`, p = \`pad\`), and likewise W'. With \`ceil_mode: true\`, $\lceil (H + 2p_h - k_h) / s_h \rceil + 1$, less one where the last window would start in the bottom (or right) padding, as PyTorch's \`ceil_mode=True\`; symbolic sizes work in both modes. The pad is at most half the kernel, and a window must start inside the input.`;

function windowLayer(name: string, op: "MaxPool" | "AveragePool", doc: string, formula: string, returns: string): LayerOperator {
  return {
    name,
    doc,
    reference: { shape: WINDOW_SHAPE, formula, example: { inputs: "x: [N, 8, 16, 16]", returns } },
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
  reference: {
    shape: "`[N, C, H, W]` to `[N, C, h, w]` with (h, w) = `size`; H and W must be static (the bins depend on them).",
    formula: md`Output row $i$ of $h$ averages input rows $\lfloor i H / h \rfloor$ up to $\lceil (i + 1) H / h \rceil$ (exclusive), and likewise for columns: $y_{n,c,i,j}$ is the mean of $x_{n,c}$ over that block of rows and columns. Bins overlap where $h$ does not divide $H$, and $h$ may exceed $H$. Where $h$ divides $H$ and $w$ divides $W$ the bins are one window, and it is an \`AveragePool\` with kernel and stride $(H/h, W/w)$.`,
    example: { inputs: "x: [N, 8, 14, 14]", returns: "x -> adaptive_avgpool(3)" },
  },
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

function globalLayer(name: string, op: string, doc: string, formula: string): LayerOperator {
  return {
    name,
    doc,
    reference: { shape: "`[N, C, H, W]` to `[N, C, 1, 1]` (`flatten` then gives `[N, C]`).", formula, example: { inputs: "x: [N, 8, 7, 7]", returns: `x -> ${name}` } },
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
    windowLayer(
      "maxpool",
      "MaxPool",
      "max over sliding windows, as nn.MaxPool2d",
      md`$y_{n,c,i,j} = \max_{a, b} x_{n,c,\ s_h i + a - p_h,\ s_w j + b - p_w}$ over $0 \le a < k_h$, $0 \le b < k_w$ and only the positions inside the input: the padding never wins, even where every value is negative.`,
      "x -> maxpool(3, stride: 2, pad: 1)",
    ),
    windowLayer(
      "avgpool",
      "AveragePool",
      "mean over sliding windows, padding excluded, as nn.AvgPool2d(count_include_pad=False)",
      md`The mean of the window's positions that lie inside the input: $y_{n,c,i,j} = \frac{1}{|W_{ij}|} \sum_{(h, w) \in W_{ij}} x_{n,c,h,w}$, where $W_{ij}$ is window $(i, j)$ clipped to the input, so the padding is never counted (PyTorch's \`count_include_pad=False\`).`,
      "x -> avgpool(2)",
    ),
    ADAPTIVE_AVGPOOL,
    globalLayer("global_avgpool", "GlobalAveragePool", "mean over H and W: [N, C, H, W] -> [N, C, 1, 1]", md`$y_{n,c} = \frac{1}{HW} \sum_{h,w} x_{n,c,h,w}$.`),
    globalLayer("global_maxpool", "GlobalMaxPool", "max over H and W: [N, C, H, W] -> [N, C, 1, 1]", md`$y_{n,c} = \max_{h,w} x_{n,c,h,w}$.`),
  ],
  ir: [
    windowOperator(POOL_KERNELS[0]),
    windowOperator(POOL_KERNELS[1]),
    { ...ADAPTIVE_AVERAGE_POOL_KERNEL, backward: readsInputs("AdaptiveAveragePoolGrad"), onnx: adaptiveOnnx },
    globalOperator(POOL_KERNELS[3]),
    globalOperator(POOL_KERNELS[4]),
  ],
};
