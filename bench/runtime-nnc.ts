/**
 * nnc's forward pass of a benchmark model over the TypeScript kernels of `nnc/runtime`, as
 * generated code runs it. Activations live in one arena laid out by the static memory plan, so
 * after the first call a forward allocates no tensor buffer.
 */
import * as ts from "../runtime/index.js";
import { planBuffers } from "../runtime/fast/index.js";
import type { BenchModel } from "./runtime-models.js";
import { randomWeights } from "./runtime-models.js";

type Tensor = ts.Tensor;
type Forward = (x: Tensor) => Tensor;

function fused(kind: "relu" | "tanh" | undefined): ts.FusedActivation | undefined {
  return kind === undefined ? undefined : { kind };
}

/** Builds the forward pass of `model` for batch `n` and returns it with the arena's length in floats. */
export function nncForward(model: BenchModel, n: number): { forward: Forward; arenaFloats: number } {
  const weights = randomWeights(model);
  const tensorOf = (index: number): { weight: Tensor; bias: Tensor } => {
    const w = weights.get(index);
    if (w === undefined) throw new Error(`no weight for node ${index}`);
    return { weight: { shape: w.wshape, data: w.weight }, bias: { shape: [w.bias.length], data: w.bias } };
  };

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
        case "conv": {
          const { weight, bias } = tensorOf(i);
          y = ts.conv(values[node.input], weight, bias, { strides: node.stride, pads: node.pad, activation: fused(node.activation) }, out);
          break;
        }
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
          const { weight, bias } = tensorOf(i);
          y = ts.gemm(flat, weight, bias, { activation: fused(node.activation) }, out);
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
