/**
 * The training benchmark's models in TensorFlow.js on its CPU backend (`@tensorflow/tfjs-backend-cpu`,
 * plain JavaScript kernels), in tfjs's native NHWC layout: one step is the forward, the softmax
 * cross-entropy, the gradients and an SGD-with-momentum update (`tf.train.momentum`) in one
 * `optimizer.minimize`. Batch normalization uses the batch's moments (`tf.moments`); its running
 * statistics are not kept, a few hundred values per step that do not change the timing.
 */
import { register } from "node:module";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";

/**
 * tfjs-core's Node build registers no gradients (the `@tensorflow/tfjs` union package does);
 * its ES-module `register_all_gradients.js` imports its siblings without the `.js` extension,
 * which a resolve hook adds. The registries are global, so those gradients serve this tfjs-core.
 */
async function registerGradients(): Promise<void> {
  const hook = `export async function resolve(s, c, next) {
    try { return await next(s, c); } catch (e) { if (s.startsWith(".") && !s.endsWith(".js")) return next(s + ".js", c); throw e; }
  }`;
  register(`data:text/javascript,${encodeURIComponent(hook)}`);
  await import("@tensorflow/tfjs-core/dist/register_all_gradients.js" as string);
}

/** The benchmark's models. */
export type TrainModel = "mnist" | "resnet20";

/** Starts the CPU backend; false (with the reason printed) when it cannot. */
export async function startTfjsCpu(): Promise<boolean> {
  try {
    await registerGradients();
    return await tf.setBackend("cpu");
  } catch (error) {
    console.log(`tfjs-cpu unavailable: ${(error as Error).message}`);
    return false;
  }
}

/** A conv weight `[kh, kw, in, out]`, He uniform. */
function convParams(kh: number, cin: number, cout: number) {
  const limit = Math.sqrt(6 / (kh * kh * cin));
  return tf.variable(tf.randomUniform([kh, kh, cin, cout], -limit, limit));
}

interface BatchNorm {
  scale: tf.Variable;
  shift: tf.Variable;
}

function batchNormParams(c: number): BatchNorm {
  return { scale: tf.variable(tf.ones([c])), shift: tf.variable(tf.zeros([c])) };
}

function batchNorm(x: tf.Tensor4D, p: BatchNorm): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, p.shift as tf.Tensor1D, p.scale as tf.Tensor1D, 1e-5);
}

function dense(fin: number, fout: number) {
  const limit = Math.sqrt(6 / fin);
  return { w: tf.variable(tf.randomUniform([fin, fout], -limit, limit)), b: tf.variable(tf.zeros([fout])) };
}

/** bench/mnist-net.nn. */
function mnistNet(): (x: tf.Tensor4D) => tf.Tensor2D {
  const c1 = convParams(3, 1, 32);
  const b1 = tf.variable(tf.zeros([32]));
  const n1 = batchNormParams(32);
  const c2 = convParams(3, 32, 64);
  const b2 = tf.variable(tf.zeros([64]));
  const n2 = batchNormParams(64);
  const d1 = dense(3136, 128);
  const d2 = dense(128, 10);
  return (x) => {
    let y = tf.maxPool(tf.relu(batchNorm(tf.add(tf.conv2d(x, c1 as tf.Tensor4D, 1, "same"), b1), n1)), 2, 2, "valid");
    y = tf.maxPool(tf.relu(batchNorm(tf.add(tf.conv2d(y, c2 as tf.Tensor4D, 1, "same"), b2), n2)), 2, 2, "valid");
    const flat = tf.reshape(y, [x.shape[0], 3136]) as tf.Tensor2D;
    const h = tf.relu(tf.add(tf.matMul(flat, d1.w as tf.Tensor2D), d1.b)) as tf.Tensor2D;
    return tf.add(tf.matMul(h, d2.w as tf.Tensor2D), d2.b);
  };
}

/** examples/resnet20.nn (a stride-2 conv pads "same": one row and column less on top, as TensorFlow does). */
function resnet20(width = 16): (x: tf.Tensor4D) => tf.Tensor2D {
  const stem = { w: convParams(3, 3, width), n: batchNormParams(width) };
  const blocks: { w1: tf.Variable; n1: BatchNorm; w2: tf.Variable; n2: BatchNorm; stride: 1 | 2; proj?: { w: tf.Variable; n: BatchNorm } }[] = [];
  let cin = width;
  for (const [c, stride] of [[width, 1], [2 * width, 2], [4 * width, 2]] as const) {
    for (let k = 0; k < 3; k++) {
      const s = k === 0 ? stride : 1;
      const proj = s === 1 && cin === c ? undefined : { w: convParams(1, cin, c), n: batchNormParams(c) };
      blocks.push({ w1: convParams(3, cin, c), n1: batchNormParams(c), w2: convParams(3, c, c), n2: batchNormParams(c), stride: s, proj });
      cin = c;
    }
  }
  const head = dense(cin, 10);
  return (x) => {
    let y = tf.relu(batchNorm(tf.conv2d(x, stem.w as tf.Tensor4D, 1, "same"), stem.n));
    for (const b of blocks) {
      const r = tf.relu(batchNorm(tf.conv2d(y, b.w1 as tf.Tensor4D, b.stride, "same"), b.n1));
      const z = batchNorm(tf.conv2d(r, b.w2 as tf.Tensor4D, 1, "same"), b.n2);
      const s = b.proj === undefined ? y : batchNorm(tf.conv2d(y, b.proj.w as tf.Tensor4D, b.stride, "valid"), b.proj.n);
      y = tf.relu(tf.add(z, s)) as tf.Tensor4D;
    }
    const pooled = tf.mean(y, [1, 2]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, head.w as tf.Tensor2D), head.b);
  };
}

/** One training step of `model` at batch `n` on fixed random data; call it to run a step. */
export function tfjsTrainStep(model: TrainModel, n: number): () => void {
  const forward = model === "mnist" ? mnistNet() : resnet20();
  const shape: [number, number, number, number] = model === "mnist" ? [n, 28, 28, 1] : [n, 32, 32, 3];
  const x = tf.randomNormal(shape) as tf.Tensor4D;
  const labels = tf.oneHot(tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 7) % 10), "int32"), 10);
  const optimizer = tf.train.momentum(0.01, 0.9);
  return () => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(labels, forward(x)) as tf.Scalar, true);
    loss?.dataSync();
    loss?.dispose();
  };
}
