/**
 * The operators that look at space or features as a whole: `conv`, `dense`, the pools,
 * the global pools and `flatten` (SPEC §3). Output sizes follow PyTorch (floor mode);
 * `pad: same` gives `ceil(H / stride)` with the odd padding pixel at the bottom and right, as
 * ONNX's `SAME_UPPER` does.
 */
import type { AttrValue, Dim, Shape } from "./model.js";
import { addDim, ceilDivDim, floorDivDim, perSample, productDims } from "./dims.js";
import {
  checkRank,
  fail,
  isFailure,
  pair,
  staticDim,
  type ArgSpec,
  type LeafParam,
  type OperatorDef,
  type RuleFailure,
} from "./operator-def.js";

const WS: ArgSpec = {
  name: "ws",
  type: "string",
  default: "none",
  oneOf: ["none", "standard", "scaled"],
  doc: 'weight standardization: "none", "standard" (Qiao 2019) or "scaled" (NF-Nets, adds a gain)',
};
const BIAS: ArgSpec = { name: "bias", type: "bool", default: true, doc: "add a learnable bias per output" };

/**
 * The output size of one spatial axis of a sliding window: `floor((H + 2p - d(k-1) - 1) / s) + 1`,
 * or a failure when the window does not fit.
 */
function slide(op: string, axis: string, h: Dim, k: number, s: number, p: number, d: number): Dim | RuleFailure {
  const span = d * (k - 1) + 1;
  if (typeof h === "number") {
    if (h + 2 * p < span) {
      const what = d === 1 ? `kernel ${k}` : `kernel ${k} with dilation ${d} (spanning ${span})`;
      return fail("E0205", `${op} ${what} does not fit the ${axis} ${h}${p > 0 ? ` padded by ${p} on each side` : ""}`);
    }
    return Math.floor((h + 2 * p - span) / s) + 1;
  }
  return s === 1 ? addDim(h, 2 * p - span + 1) : addDim(floorDivDim(addDim(h, 2 * p - span), s), 1);
}

/** Explicit `[top, left, bottom, right]` pads for `pad: same` where the input size is static. */
function samePads(shape: Shape, k: readonly number[], s: readonly number[], d: readonly number[]): number[] | undefined {
  const pads: number[] = [];
  for (let i = 0; i < 2; i++) {
    const h = shape[2 + i];
    if (typeof h !== "number") return undefined;
    const out = Math.ceil(h / s[i]);
    pads.push(Math.max((out - 1) * s[i] + d[i] * (k[i] - 1) + 1 - h, 0));
  }
  return [Math.floor(pads[0] / 2), Math.floor(pads[1] / 2), pads[0] - Math.floor(pads[0] / 2), pads[1] - Math.floor(pads[1] / 2)];
}

function convInfer(attrs: Readonly<Record<string, AttrValue>>, [x]: readonly Shape[]) {
  const rank = checkRank("conv", x, [4]);
  if (rank) return rank;
  const cin = staticDim("conv", x, 1, "input channel count");
  if (isFailure(cin)) return cin;
  const out = attrs.out as number;
  const groups = attrs.groups as number;
  if (cin % groups !== 0) return fail("E0204", `conv(groups: ${groups}) needs input channels divisible by ${groups}, got ${cin}`, "groups");
  if (out % groups !== 0) return fail("E0204", `conv(groups: ${groups}) needs out divisible by ${groups}, got ${out}`, "out");
  const k = pair(attrs.kernel);
  const s = pair(attrs.stride);
  const d = pair(attrs.dilation);
  const dims: Dim[] = [];
  let derived: Record<string, AttrValue> | undefined;
  if (attrs.pad === "same") {
    dims.push(ceilDivDim(x[2], s[0]), ceilDivDim(x[3], s[1]));
    const pads = samePads(x, k, s, d);
    if (pads) derived = { pads };
  } else {
    const p = pair(attrs.pad);
    for (let i = 0; i < 2; i++) {
      const size = slide("conv", i === 0 ? "height" : "width", x[2 + i], k[i], s[i], p[i], d[i]);
      if (isFailure(size)) return size;
      dims.push(size);
    }
    derived = { pads: [p[0], p[1], p[0], p[1]] };
  }
  const shape: Shape = [x[0], out, dims[0], dims[1]];
  const fanIn = (cin / groups) * k[0] * k[1];
  const params: LeafParam[] = [{ leaf: "weight", shape: [out, cin / groups, k[0], k[1]], buffer: false }];
  if (attrs.bias) params.push({ leaf: "bias", shape: [out], buffer: false });
  if (attrs.ws === "scaled") params.push({ leaf: "gain", shape: [out], buffer: false });
  return { shape, params, flops: 2 * fanIn * perSample(shape), derived };
}

function denseInfer(attrs: Readonly<Record<string, AttrValue>>, [x]: readonly Shape[]) {
  const rank = checkRank("dense", x, [2]);
  if (rank) return rank;
  const fin = staticDim("dense", x, 1, "input feature count");
  if (isFailure(fin)) return fin;
  const out = attrs.out as number;
  const params: LeafParam[] = [{ leaf: "weight", shape: [out, fin], buffer: false }];
  if (attrs.bias) params.push({ leaf: "bias", shape: [out], buffer: false });
  if (attrs.ws === "scaled") params.push({ leaf: "gain", shape: [out], buffer: false });
  return { shape: [x[0], out], params, flops: 2 * fin * out };
}

function poolInfer(op: string) {
  return (attrs: Readonly<Record<string, AttrValue>>, [x]: readonly Shape[]) => {
    const rank = checkRank(op, x, [4]);
    if (rank) return rank;
    const k = pair(attrs.kernel);
    const s = pair(attrs.stride);
    const p = pair(attrs.pad);
    if (p[0] * 2 > k[0] || p[1] * 2 > k[1]) {
      return fail("E0207", `${op} pad must be at most half the kernel, got pad ${p[0] === p[1] ? p[0] : `(${p.join(", ")})`} for kernel ${k[0] === k[1] ? k[0] : `(${k.join(", ")})`}`, "pad");
    }
    const dims: Dim[] = [];
    for (let i = 0; i < 2; i++) {
      const size = slide(op, i === 0 ? "height" : "width", x[2 + i], k[i], s[i], p[i], 1);
      if (isFailure(size)) return size;
      dims.push(size);
    }
    const shape: Shape = [x[0], x[1], dims[0], dims[1]];
    return { shape, params: [], flops: k[0] * k[1] * perSample(shape), derived: { pads: [p[0], p[1], p[0], p[1]] } };
  };
}

function globalPoolInfer(op: string) {
  return (_attrs: Readonly<Record<string, AttrValue>>, [x]: readonly Shape[]) => {
    const rank = checkRank(op, x, [4]);
    if (rank) return rank;
    return { shape: [x[0], x[1], 1, 1], params: [], flops: perSample(x) };
  };
}

function flattenInfer(_attrs: Readonly<Record<string, AttrValue>>, [x]: readonly Shape[]) {
  if (x.length < 2) return fail("E0201", `flatten needs an input of rank 2 or more, got rank ${x.length}`);
  return { shape: [x[0], productDims(x.slice(1))], params: [], flops: 0 };
}

const WINDOW_ARGS: readonly ArgSpec[] = [
  { name: "kernel", type: "pair", min: 1, doc: "window size: an int or a pair (h, w)" },
  { name: "stride", type: "pair", min: 1, defaultFrom: "kernel", doc: "step between windows (default: the kernel)" },
  { name: "pad", type: "pair", default: 0, min: 0, doc: "implicit padding on each side (at most half the kernel)" },
];

/** `conv`, `dense`, `maxpool`, `avgpool`, `global_avgpool`, `global_maxpool`, `flatten`. */
export const SPATIAL_OPERATORS: readonly OperatorDef[] = [
  {
    name: "conv",
    doc: "2-D convolution (cross-correlation), as nn.Conv2d",
    family: "linear",
    inputs: 1,
    args: [
      { name: "out", type: "int", min: 1, doc: "output channels" },
      { name: "kernel", type: "pair", min: 1, doc: "kernel size: an int or a pair (h, w)" },
      { name: "stride", type: "pair", default: 1, min: 1, doc: "stride: an int or a pair (h, w)" },
      { name: "pad", type: "padding", default: 0, min: 0, doc: "zero padding on each side: an int, a pair (h, w) or `same` (output size ceil(H / stride))" },
      { name: "dilation", type: "pair", default: 1, min: 1, doc: "spacing between kernel elements" },
      { name: "groups", type: "int", default: 1, min: 1, doc: "grouped convolution: input and output channels split into this many groups" },
      BIAS,
      WS,
    ],
    infer: convInfer,
  },
  {
    name: "dense",
    doc: "fully connected layer on [N, F], as nn.Linear",
    family: "linear",
    inputs: 1,
    args: [{ name: "out", type: "int", min: 1, doc: "output features" }, BIAS, WS],
    infer: denseInfer,
  },
  {
    name: "maxpool",
    doc: "max over sliding windows, as nn.MaxPool2d",
    family: "pool",
    inputs: 1,
    args: WINDOW_ARGS,
    infer: poolInfer("maxpool"),
  },
  {
    name: "avgpool",
    doc: "mean over sliding windows, padding excluded, as nn.AvgPool2d(count_include_pad=False)",
    family: "pool",
    inputs: 1,
    args: WINDOW_ARGS,
    infer: poolInfer("avgpool"),
  },
  {
    name: "global_avgpool",
    doc: "mean over H and W: [N, C, H, W] -> [N, C, 1, 1]",
    family: "pool",
    inputs: 1,
    args: [],
    infer: globalPoolInfer("global_avgpool"),
  },
  {
    name: "global_maxpool",
    doc: "max over H and W: [N, C, H, W] -> [N, C, 1, 1]",
    family: "pool",
    inputs: 1,
    args: [],
    infer: globalPoolInfer("global_maxpool"),
  },
  {
    name: "flatten",
    doc: "[N, ...] -> [N, product of the rest]",
    family: "structure",
    inputs: 1,
    args: [],
    infer: flattenInfer,
  },
];
