/**
 * The benchmark models in TensorFlow.js on its WebAssembly backend (XNNPACK, SIMD), built from
 * tfjs ops in tfjs's native NHWC layout: `tf.fused.conv2d` with bias and activation, as tfjs's
 * graph converter emits for a folded conv + batch norm + relu, and `tf.fused.matMul` for dense.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import type { BenchModel } from "./runtime-models.js";
import { randomWeights } from "./runtime-models.js";

/** Starts the wasm backend; false (with the reason printed) when it cannot. */
export async function startTfjsWasm(): Promise<boolean> {
  try {
    return await tf.setBackend("wasm");
  } catch (error) {
    console.log(`tfjs-wasm unavailable: ${(error as Error).message}`);
    return false;
  }
}

/** The forward pass of `model` on a batch of `n` NHWC images; it returns the output's values. */
export function tfjsForward(model: BenchModel, n: number): { forward: (x: Float32Array) => Float32Array; inputShape: number[] } {
  const weights = randomWeights(model);
  const params = new Map<number, { filter: tf.Tensor; bias: tf.Tensor1D }>();
  model.nodes.forEach((node, i) => {
    const w = weights.get(i);
    if (w === undefined) return;
    const [out, cin, kh, kw] = w.wshape;
    // PyTorch's [out, in, kh, kw] becomes tfjs's [kh, kw, in, out]; a dense [out, in] becomes [in, out].
    const filter = node.op === "conv" ? tf.transpose(tf.tensor4d(w.weight, [out, cin, kh, kw]), [2, 3, 1, 0]) : tf.transpose(tf.tensor2d(w.weight, [out, cin]));
    params.set(i, { filter: tf.keep(filter), bias: tf.tensor1d(w.bias) });
  });
  const [c, h, wd] = model.shapes[0];
  const inputShape = [n, h, wd, c];
  const forward = (data: Float32Array): Float32Array =>
    tf.tidy(() => {
      const values: tf.Tensor[] = [tf.tensor4d(data, inputShape as [number, number, number, number])];
      model.nodes.forEach((node, i) => {
        if (node.op === "input") return;
        const p = params.get(i);
        switch (node.op) {
          case "conv":
            values.push(
              tf.fused.conv2d({
                x: values[node.input] as tf.Tensor4D,
                filter: p!.filter as tf.Tensor4D,
                bias: p!.bias,
                strides: node.stride,
                pad: node.pad,
                activation: node.activation === undefined ? "linear" : node.activation === "relu" ? "relu" : "linear",
              }),
            );
            if (node.activation === "tanh") values[i] = tf.tanh(values[i]);
            break;
          case "add_relu":
            values.push(tf.relu(tf.add(values[node.a], values[node.b])));
            break;
          case "avgpool":
            values.push(tf.avgPool(values[node.input] as tf.Tensor4D, node.kernel, node.kernel, "valid"));
            break;
          case "maxpool":
            values.push(tf.maxPool(values[node.input] as tf.Tensor4D, node.kernel, node.stride, node.pad));
            break;
          case "global_avgpool":
            values.push(tf.mean(values[node.input], [1, 2]));
            break;
          case "dense": {
            // Flatten NHWC as it comes: the weights are random, so the feature order is immaterial.
            const x = tf.reshape(values[node.input], [n, -1]) as tf.Tensor2D;
            let y = tf.fused.matMul({ a: x, b: p!.filter as tf.Tensor2D, bias: p!.bias, activation: "linear" });
            if (node.activation === "tanh") y = tf.tanh(y);
            values.push(y);
            break;
          }
          case "log_softmax":
            values.push(tf.logSoftmax(values[node.input]));
            break;
        }
      });
      return values[values.length - 1];
    }).dataSync() as Float32Array;
  return { forward, inputShape };
}
