/**
 * The benchmark's models, as the inference graphs nnc's generated code runs after folding every
 * batch normalization into its conv (so a conv has a bias, and `conv -> relu` is one fused
 * kernel): ResNet-20 for CIFAR-10 and ResNet-18 for ImageNet (examples/resnet20.nn,
 * examples/resnet18.nn) and LeNet-5 for MNIST (examples/lenet.nn). Every engine of the benchmark
 * builds its model from this one description, so they all compute the same function.
 */

/** An activation that follows a conv or dense layer (fused where the engine can). */
export type Activation = "relu" | "tanh";

/** One node of a graph; inputs are indices of earlier nodes (node 0 is the input). */
export type GraphNode =
  | { op: "input" }
  | { op: "conv"; input: number; out: number; kernel: number; stride: number; pad: number; activation?: Activation }
  | { op: "add_relu"; a: number; b: number }
  | { op: "avgpool"; input: number; kernel: number }
  | { op: "maxpool"; input: number; kernel: number; stride: number; pad: number }
  | { op: "global_avgpool"; input: number }
  | { op: "dense"; input: number; out: number; activation?: Activation }
  | { op: "log_softmax"; input: number };

/** A model: its nodes, the per-image shape each node produces, and multiply-adds per image. */
export interface BenchModel {
  name: string;
  nodes: GraphNode[];
  /** Per-image output shape of each node: `[C, H, W]` or `[F]`. */
  shapes: number[][];
  /** Multiply-adds of the convs and dense layers for one image. */
  macs: number;
}

/** Builds a graph node by node, tracking shapes and multiply-adds. */
class GraphBuilder {
  readonly nodes: GraphNode[] = [{ op: "input" }];
  readonly shapes: number[][];
  macs = 0;

  constructor(input: number[]) {
    this.shapes = [input];
  }

  conv(input: number, out: number, kernel: number, stride = 1, pad = 0, activation?: Activation): number {
    const [c, h, w] = this.shapes[input];
    const oh = Math.floor((h + 2 * pad - kernel) / stride) + 1;
    const ow = Math.floor((w + 2 * pad - kernel) / stride) + 1;
    this.macs += out * oh * ow * c * kernel * kernel;
    return this.push({ op: "conv", input, out, kernel, stride, pad, activation }, [out, oh, ow]);
  }

  addRelu(a: number, b: number): number {
    return this.push({ op: "add_relu", a, b }, this.shapes[a]);
  }

  avgpool(input: number, kernel: number): number {
    const [c, h, w] = this.shapes[input];
    return this.push({ op: "avgpool", input, kernel }, [c, Math.floor(h / kernel), Math.floor(w / kernel)]);
  }

  maxpool(input: number, kernel: number, stride: number, pad: number): number {
    const [c, h, w] = this.shapes[input];
    const size = (s: number): number => Math.floor((s + 2 * pad - kernel) / stride) + 1;
    return this.push({ op: "maxpool", input, kernel, stride, pad }, [c, size(h), size(w)]);
  }

  globalAvgpool(input: number): number {
    return this.push({ op: "global_avgpool", input }, [this.shapes[input][0]]);
  }

  /** A dense layer; a rank-3 input is flattened first (the flatten is free). */
  dense(input: number, out: number, activation?: Activation): number {
    const features = this.shapes[input].reduce((a, b) => a * b, 1);
    this.macs += features * out;
    return this.push({ op: "dense", input, out, activation }, [out]);
  }

  logSoftmax(input: number): number {
    return this.push({ op: "log_softmax", input }, this.shapes[input]);
  }

  build(name: string): BenchModel {
    return { name, nodes: this.nodes, shapes: this.shapes, macs: this.macs };
  }

  private push(node: GraphNode, shape: number[]): number {
    this.nodes.push(node);
    this.shapes.push(shape);
    return this.nodes.length - 1;
  }
}

/** A ResNet basic block: two 3×3 convs, and a 1×1 projection when the shape changes. */
function basicBlock(g: GraphBuilder, x: number, channels: number, stride: number): number {
  const y = g.conv(g.conv(x, channels, 3, stride, 1, "relu"), channels, 3, 1, 1);
  const shortcut = stride === 1 && g.shapes[x][0] === channels ? x : g.conv(x, channels, 1, stride, 0);
  return g.addRelu(y, shortcut);
}

/** ResNet-20 for 32×32 CIFAR images (examples/resnet20.nn, width 16). */
export function resnet20(): BenchModel {
  const g = new GraphBuilder([3, 32, 32]);
  let x = g.conv(0, 16, 3, 1, 1, "relu");
  for (const [channels, firstStride] of [[16, 1], [32, 2], [64, 2]]) {
    for (let i = 0; i < 3; i++) x = basicBlock(g, x, channels, i === 0 ? firstStride : 1);
  }
  g.dense(g.globalAvgpool(x), 10);
  return g.build("ResNet-20");
}

/** ResNet-18 for 224×224 ImageNet images (examples/resnet18.nn). */
export function resnet18(): BenchModel {
  const g = new GraphBuilder([3, 224, 224]);
  let x = g.maxpool(g.conv(0, 64, 7, 2, 3, "relu"), 3, 2, 1);
  for (const [channels, firstStride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    for (let i = 0; i < 2; i++) x = basicBlock(g, x, channels, i === 0 ? firstStride : 1);
  }
  g.dense(g.globalAvgpool(x), 1000);
  return g.build("ResNet-18");
}

/** LeNet-5 for 28×28 MNIST digits (examples/lenet.nn: tanh, average pooling). */
export function lenet(): BenchModel {
  const g = new GraphBuilder([1, 28, 28]);
  let x = g.avgpool(g.conv(0, 6, 5, 1, 2, "tanh"), 2);
  x = g.avgpool(g.conv(x, 16, 5, 1, 0, "tanh"), 2);
  x = g.dense(g.dense(g.dense(x, 120, "tanh"), 84, "tanh"), 10);
  g.logSoftmax(x);
  return g.build("LeNet-5");
}

/**
 * The random weights of every conv and dense node, by node index, as PyTorch lays them out
 * (`[out, in, kh, kw]`, `[out, in]`), scaled by 1/sqrt(fan-in) so activations stay bounded.
 */
export function randomWeights(model: BenchModel, seed = 1): Map<number, { weight: Float32Array; bias: Float32Array; wshape: number[] }> {
  let state = seed >>> 0 || 1;
  const uniform = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2147483648 - 1;
  };
  const weights = new Map<number, { weight: Float32Array; bias: Float32Array; wshape: number[] }>();
  model.nodes.forEach((node, index) => {
    if (node.op !== "conv" && node.op !== "dense") return;
    const input = model.shapes[node.input];
    const fanIn = node.op === "conv" ? input[0] * node.kernel * node.kernel : input.reduce((a, b) => a * b, 1);
    const wshape = node.op === "conv" ? [node.out, input[0], node.kernel, node.kernel] : [node.out, fanIn];
    const scale = Math.sqrt(3 / fanIn);
    const weight = Float32Array.from({ length: node.out * fanIn }, () => uniform() * scale);
    const bias = Float32Array.from({ length: node.out }, () => uniform() * 0.1);
    weights.set(index, { weight, bias, wshape });
  });
  return weights;
}
