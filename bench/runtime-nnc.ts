/**
 * nnc's forward pass of a benchmark model over the runtime's kernels, as generated code runs it:
 * the TypeScript kernels (`nnc/runtime`), or the fast ones (`runtime/fast`, WebAssembly SIMD)
 * with every weight pre-packed at load. Activations live in one arena laid out by the static
 * memory plan, so after the first call a forward allocates no tensor buffer.
 */
import * as ts from "../runtime/index.js";
import { convPacked, gemmPacked, planBuffers, prepackConv, prepackGemm } from "../runtime/fast/index.js";
import type { BenchModel } from "./runtime-models.js";
import { randomWeights } from "./runtime-models.js";

type Tensor = ts.Tensor;
type Forward = (x: Tensor) => Tensor;

/** The kernels a forward calls for its conv and dense layers. */
interface HeavyKernels {
  conv(index: number, x: Tensor, activation: ts.FusedActivation | undefined, stride: number, pad: number, out: Float32Array): Tensor;
  dense(index: number, x: Tensor, activation: ts.FusedActivation | undefined, out: Float32Array): Tensor;
}

function fused(kind: "relu" | "tanh" | undefined): ts.FusedActivation | undefined {
  return kind === undefined ? undefined : { kind };
}

/**
 * Builds the forward pass of `model` for batch `n` with the TypeScript (`"ts"`) or WebAssembly
 * (`"wasm"`) kernels, and returns it with the arena's length in floats.
 */
export function nncForward(model: BenchModel, n: number, engine: "ts" | "wasm"): { forward: Forward; arenaFloats: number } {
  const weights = randomWeights(model);
  const tensorOf = (index: number): { weight: Tensor; bias: Tensor } => {
    const w = weights.get(index);
    if (w === undefined) throw new Error(`no weight for node ${index}`);
    return { weight: { shape: w.wshape, data: w.weight }, bias: { shape: [w.bias.length], data: w.bias } };
  };
  let kernels: HeavyKernels;
  if (engine === "ts") {
    kernels = {
      conv: (i, x, activation, stride, pad, out) => {
        const { weight, bias } = tensorOf(i);
        return ts.conv(x, weight, bias, { strides: stride, pads: pad, activation }, out);
      },
      dense: (i, x, activation, out) => {
        const { weight, bias } = tensorOf(i);
        return ts.gemm(x, weight, bias, { activation }, out);
      },
    };
  } else {
    const packedConvs = new Map<number, ReturnType<typeof prepackConv>>();
    const packedDense = new Map<number, ReturnType<typeof prepackGemm>>();
    model.nodes.forEach((node, i) => {
      if (node.op === "conv") packedConvs.set(i, prepackConv(tensorOf(i).weight));
      if (node.op === "dense") packedDense.set(i, prepackGemm(tensorOf(i).weight));
    });
    kernels = {
      conv: (i, x, activation, stride, pad, out) =>
        convPacked(x, packedConvs.get(i)!, tensorOf(i).bias, { strides: stride, pads: pad, activation }, out),
      dense: (i, x, activation, out) => gemmPacked(x, packedDense.get(i)!, tensorOf(i).bias, { activation }, out),
    };
  }

  // Live ranges: a node's output lives from its step to its last reader (the output to the end).
  const last = model.nodes.map((_, i) => i);
  model.nodes.forEach((node, i) => {
    for (const input of inputsOf(node)) last[input] = Math.max(last[input], i);
  });
  last[model.nodes.length - 1] = model.nodes.length;
  const sizes = model.shapes.map((shape) => n * shape.reduce((a, b) => a * b, 1));
  const plan = planBuffers(sizes.map((size, i) => ({ size: i === 0 ? 0 : size, first: i, last: last[i] })));
  const arena = new Float32Array(plan.total);
  const buffer = (i: number): Float32Array => arena.subarray(plan.offsets[i], plan.offsets[i] + sizes[i]);

  const forward = (x: Tensor): Tensor => {
    const values: Tensor[] = [x];
    model.nodes.forEach((node, i) => {
      if (node.op === "input") return;
      const out = buffer(i);
      let y: Tensor;
      switch (node.op) {
        case "conv":
          y = kernels.conv(i, values[node.input], fused(node.activation), node.stride, node.pad, out);
          break;
        case "add_relu":
          y = ts.relu(ts.add(values[node.a], values[node.b], out), out);
          break;
        case "avgpool":
          y = ts.averagePool(values[node.input], { kernelShape: node.kernel }, out);
          break;
        case "maxpool":
          y = ts.maxPool(values[node.input], { kernelShape: node.kernel, strides: node.stride, pads: node.pad }, out);
          break;
        case "global_avgpool":
          y = ts.globalAveragePool(values[node.input], out);
          break;
        case "dense": {
          const input = values[node.input];
          const flat = { shape: [n, input.data.length / n], data: input.data };
          y = kernels.dense(i, flat, fused(node.activation), out);
          break;
        }
        case "log_softmax":
          y = ts.logSoftmax(values[node.input], out);
          break;
      }
      values.push(y);
    });
    return values[values.length - 1];
  };
  return { forward, arenaFloats: plan.total };
}

function inputsOf(node: BenchModel["nodes"][number]): number[] {
  switch (node.op) {
    case "input":
      return [];
    case "add_relu":
      return [node.a, node.b];
    default:
      return [node.input];
  }
}
