/**
 * The PyTorch target computes what nnc computes. Every example and one small model per layer
 * form (each operator and normalizer with its options, the weight-standardized conv and dense,
 * `pad: same` with even kernels, the softmax and log_softmax endings, the tensor joins) is
 * compiled by `nnc compile --target torch` and as TypeScript modules, and both run with the same
 * synthetic weights (running statistics far from their initial values, so that eval mode really
 * normalizes with them) and the same random input. Held within 1e-4 of the reference's scale
 * (`expectClose`), PyTorch being the reference:
 *
 * - eval: `model.eval()`'s output against nnc's inference module (folded and fused), and
 *   `torch.jit.script` of the module against `model.eval()` (what it cannot compile is listed,
 *   with the construct at fault, in SCRIPT_FAILURES);
 * - train: `model.train()`'s output against the train-mode module's
 *   `forward(x, { training: true })`, and `state_dict()` after it (the running statistics)
 *   against `state()`;
 * - gradients: the file's `loss(out, target)` and `backward()` against `trainStep` (SGD) and
 *   `gradients()`, and the two losses. Cross-entropy on class labels where the model gives
 *   `[N, classes]`, mean squared error otherwise.
 *
 * Two things differ between the engines by construction, and the comparison takes them from nnc:
 *
 * - Dropout's masks come from each engine's generator. nnc's draws are recorded (the module's
 *   `random` option) and parity.py's dropout replays them, so models with dropout are compared
 *   in training too.
 * - ReLU's kink: where a pre-activation lies within float32 rounding of 0, the engines can land
 *   on different sides of it, and the gradient of everything before that element moves by far
 *   more than 1e-4. Here ResNet-18 and VGG each have one such input in the training step, which
 *   moves their first conv's weight gradient by 8e-4 and 2e-3 of its scale; neither engine is
 *   wrong (one found at batch 3 was -6e-8 in float64, in a tensor of scale 7). The training
 *   step's ReLUs record, through a runtime shim, which side nnc took for every input within
 *   1e-5 of its tensor's largest magnitude, and parity.py takes the same side there.
 *
 * The bias of a conv or dense layer whose output goes straight into a normalization that
 * subtracts a batch or instance mean has a gradient of exactly 0; both engines give rounding
 * noise, PyTorch's up to 4e-3 of the 1e-3 floor. Those are measured against the scale of the
 * layer's weight gradient instead.
 *
 * PyTorch runs once for the whole file (importing torch costs seconds): every case's module,
 * weights and data are written to one directory, test/torch/parity.py loops over them and
 * writes each case's results as safetensors through the generated file's own writer.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel, LayerInstance } from "../../compiler/check/model.js";
import { createRandom, type Tensor } from "../../runtime/index.js";
import { LAYER_LIST } from "../../runtime/ops/index.js";
import { readSafetensorsFile, writeSafetensors, type TensorToWrite } from "../../runtime/weights/safetensors.js";
import { compileOk, host, importModule, RUNTIME_SOURCE, tempDir, type TensorLike } from "../emit/support.js";
import { syntheticWeights } from "../support/synthetic.js";
import { expectClose, position, randomTensor, RELATIVE_TOLERANCE } from "../train/support.js";
import { requireTorch, runPython, SKIP_TORCH, warnSkipped } from "./python.js";

/** One model to compare. */
interface ParityCase {
  readonly name: string;
  readonly path: string;
  readonly text: string;
}

/** What nnc computed for a case. */
interface NncResults {
  readonly eval: Tensor;
  readonly train: Tensor;
  readonly state: Record<string, Float32Array>;
  /** The training step's loss and gradients; absent for FORWARD_ONLY cases. */
  readonly step?: { readonly loss: number; readonly gradients: Record<string, Float32Array> };
}

interface TrainModel {
  forward(x: TensorLike, options?: { training?: boolean }): TensorLike;
  trainStep(x: TensorLike, target: TensorLike | { shape: number[]; data: Int32Array }): { loss: number };
  gradients(): Record<string, Float32Array>;
  state(): Record<string, Float32Array>;
}

const IMAGE = "x: [N, 4, 8, 8]";
const FEATURES = "x: [N, 12]";
const STEM = "x -> conv(8, 3, pad: 1)";

/** A one-line model; a layer without parameters follows a conv or dense, so that gradients flow through it. */
function model(name: string, input: string, body: string): ParityCase {
  return { name: `op_${name}`, path: `op_${name}.nn`, text: `model M(${input}) {\n  return ${body}\n}\n` };
}

const ACTIVATIONS = ["relu", "sigmoid", "tanh", "gelu", "silu", "leaky_relu", "leaky_relu(alpha: 0.2)", "elu", "elu(alpha: 0.5)", "relu6", "hardswish", "hardtanh", "hardtanh(min: -2, max: 0.5)", "clamp(min: -0.5, max: 2)", "hardsigmoid"];
const IMAGE_NORMALIZERS = [
  "batch",
  "batch(affine: false, eps: 0.001, momentum: 0.3)",
  "batch_renorm",
  "batch_renorm(rmax: 1.5, dmax: 0.5, momentum: 0.2)",
  "layer",
  "layer(affine: false)",
  "instance",
  "instance(affine: false)",
  "group(groups: 4)",
  "group(groups: 2, eps: 0.01)",
  "frn",
  "frn(eps: 0.001)",
  "switchable",
  "switchable(momentum: 0.3)",
  "channel_norm",
  "channel_norm(eps: 0.001, affine: false)",
  "none",
];
const FEATURE_NORMALIZERS = ["batch", "batch(affine: false)", "batch_renorm", "layer", "layer(affine: false)"];
const label = (call: string) => call.replace(/[^a-z0-9]+/g, "_").replace(/_+$/, "");

/** One model per layer form. */
const OPERATOR_CASES: readonly ParityCase[] = [
  model("conv", IMAGE, STEM),
  model("conv_stride_dilation_groups", IMAGE, "x -> conv(8, 3, stride: 2, pad: 2, dilation: 2, groups: 4, bias: false)"),
  model("conv_pair_pad", IMAGE, "x -> conv(6, (3, 1), stride: (2, 1), pad: (1, 0))"),
  model("conv_same_odd", IMAGE, "x -> conv(6, (3, 5), stride: 2, pad: same)"),
  model("conv_same_even", IMAGE, "x -> conv(6, 4, pad: same)"),
  model("conv_same_even_stride", IMAGE, "x -> conv(6, (2, 4), stride: 2, pad: same)"),
  model("conv_ws_standard", IMAGE, `x -> conv(8, 3, bias: false, ws: "standard")`),
  model("conv_ws_standard_bias", IMAGE, `x -> conv(8, 3, pad: 1, ws: "standard")`),
  model("conv_ws_scaled", IMAGE, `x -> conv(8, 3, ws: "scaled")`),
  model("conv_ws_scaled_grouped", IMAGE, `x -> conv(8, 3, groups: 2, bias: false, ws: "scaled")`),
  model("dense", FEATURES, "x -> dense(16)"),
  model("dense_no_bias", FEATURES, "x -> dense(16, bias: false)"),
  model("dense_ws_standard", FEATURES, `x -> dense(16, bias: false, ws: "standard")`),
  model("dense_ws_scaled", FEATURES, `x -> dense(16, ws: "scaled")`),
  model("dense_image", IMAGE, "x -> dense(8)"),
  model("dense_image_ws_scaled", IMAGE, `x -> dense(8, bias: false, ws: "scaled") -> gelu`),
  model("dense_image_batch", IMAGE, "x -> dense(8) -> batch -> relu"),
  ...ACTIVATIONS.map((a) => model(label(a), IMAGE, `${STEM} -> ${a}`)),
  ...ACTIVATIONS.map((a) => model(`dense_${label(a)}`, FEATURES, `x -> dense(10) -> ${a}`)),
  model("prelu", IMAGE, `${STEM} -> prelu`),
  model("prelu_shared", IMAGE, `${STEM} -> prelu(shared: true)`),
  model("prelu_features", FEATURES, "x -> dense(10) -> prelu"),
  model("maxout", IMAGE, `${STEM} -> maxout`),
  model("maxout_4", IMAGE, `${STEM} -> maxout(pieces: 4)`),
  model("maxout_features", FEATURES, "x -> dense(12) -> maxout(pieces: 3)"),
  model("softmax", FEATURES, "x -> dense(10) -> softmax"),
  model("log_softmax", FEATURES, "x -> dense(10) -> log_softmax"),
  model("softmax_image", IMAGE, `${STEM} -> softmax`),
  model("log_softmax_image", IMAGE, `${STEM} -> log_softmax`),
  model("dropout", IMAGE, `${STEM} -> dropout(0.3) -> relu`),
  model("dropout_features", FEATURES, "x -> dense(16) -> dropout -> dense(5) -> dropout(0.1) -> dense(4)"),
  model("dropout_zero", FEATURES, "x -> dense(16) -> dropout(0) -> dense(4)"),
  model("standardize", IMAGE, "x -> standardize(mean: [0.1, 0.2, -0.3, 0.4], std: [0.5, 1, 2, 0.25]) -> conv(4, 3)"),
  model("add", IMAGE, "(x -> conv(4, 1)) + (x -> conv(4, 3, pad: 1))"),
  model("add_input", IMAGE, "x + (x -> conv(4, 3, pad: 1))"),
  model("add_call", IMAGE, "add(x -> conv(4, 1), x -> conv(4, 3, pad: 1, bias: false))"),
  model("add_broadcast", IMAGE, "(x -> conv(4, 3, pad: 1)) + (x -> global_avgpool -> conv(4, 1))"),
  model("sub_broadcast", IMAGE, "(x -> conv(4, 3, pad: 1)) - (x -> conv(1, 1))"),
  model("mul_gate", IMAGE, "(x -> conv(4, 3, pad: 1)) * (x -> global_avgpool -> conv(4, 1) -> sigmoid)"),
  model("div_broadcast", IMAGE, "(x -> conv(4, 3, pad: 1)) / (x -> global_avgpool -> conv(4, 1) -> sigmoid)"),
  model("arithmetic_calls", IMAGE, "(x -> conv(4, 1), x -> global_avgpool) -> mul -> sub(x) -> div(x -> conv(4, 1) -> sigmoid)"),
  model("arithmetic_numbers", IMAGE, "1 - 0.5 * (x -> conv(4, 3, pad: 1)) / 3 + 2 / ((x -> conv(4, 1) -> sigmoid) + 1) - 0.25"),
  model("scale", IMAGE, `${STEM} -> scale`),
  model("scale_init", IMAGE, `${STEM} -> scale(init: 1e-6)`),
  model("scale_features", FEATURES, "x -> dense(10) -> scale(init: 0.5) -> dense(5)"),
  model("concat", IMAGE, "concat(x -> conv(4, 1), x -> conv(2, 3, pad: 1))"),
  model("concat_input", IMAGE, "concat(x, x -> conv(2, 3, pad: 1), x -> maxpool(3, stride: 1, pad: 1))"),
  model("concat_features", FEATURES, "concat(x -> dense(3), x -> dense(5), axis: 1)"),
  model("slice", IMAGE, `${STEM} -> slice(2, 6)`),
  model("slice_features", FEATURES, "x -> dense(10) -> slice(3, 8)"),
  model("channel_shuffle", IMAGE, `${STEM} -> channel_shuffle(4)`),
  model("shuffle_split", IMAGE, "concat(x -> slice(0, 2), x -> slice(2, 4) -> conv(2, 3, pad: 1) -> relu) -> channel_shuffle(2)"),
  model("identity", IMAGE, `${STEM} -> identity`),
  model("maxpool", IMAGE, `${STEM} -> maxpool(2)`),
  model("maxpool_pad", IMAGE, `${STEM} -> maxpool(3, stride: 2, pad: 1)`),
  model("maxpool_pair", IMAGE, `${STEM} -> maxpool((2, 3), stride: (2, 1))`),
  model("avgpool", IMAGE, `${STEM} -> avgpool(2)`),
  model("avgpool_pad", IMAGE, `${STEM} -> avgpool(3, stride: 2, pad: 1)`),
  model("maxpool_ceil", IMAGE, `${STEM} -> maxpool(3, stride: 2, ceil_mode: true)`),
  model("avgpool_ceil", IMAGE, `${STEM} -> avgpool(3, stride: 2, pad: 1, ceil_mode: true)`),
  model("adaptive_avgpool", IMAGE, `${STEM} -> adaptive_avgpool(4)`),
  model("adaptive_avgpool_uneven", IMAGE, `${STEM} -> adaptive_avgpool((3, 5))`),
  model("global_avgpool", IMAGE, `${STEM} -> global_avgpool -> flatten -> dense(5)`),
  model("global_maxpool", IMAGE, `${STEM} -> global_maxpool`),
  model("flatten", IMAGE, `${STEM} -> flatten -> dense(5)`),
  ...IMAGE_NORMALIZERS.map((n) => model(`conv_${label(n)}`, IMAGE, `${STEM} -> ${n} -> relu`)),
  ...IMAGE_NORMALIZERS.map((n) => model(label(n), IMAGE, `x -> ${n} -> conv(4, 3)`)),
  ...FEATURE_NORMALIZERS.map((n) => model(`dense_${label(n)}`, FEATURES, `x -> dense(12) -> ${n} -> dense(6)`)),
];

/**
 * Blocks whose instances share one class but differ in a number that `forward` uses (dropout's
 * p, leaky_relu's alpha, a pool's kernel, asymmetric padding): the class keeps it as an attribute.
 */
const BLOCK_CASES: readonly ParityCase[] = [
  {
    name: "block_forward_numbers",
    path: "block_forward_numbers.nn",
    text: [
      "block B(x, p: float, a: float) {\n  return x -> dense(12) -> dropout(p) -> leaky_relu(alpha: a)\n}",
      "block Down(x, k: int) {\n  return x -> conv(4, k, pad: same) -> maxpool(k, stride: 1)\n}",
      "model M(x: [N, 4, 8, 8]) {",
      "  return x -> Down(2) -> Down(4) -> flatten -> dense(12) -> B(0, 1) -> B(0.25, 0.5) -> dense(5)",
      "}",
      "",
    ].join("\n"),
  },
  {
    name: "block_arithmetic_numbers",
    path: "block_arithmetic_numbers.nn",
    text: [
      "block R(x, beta: float, alpha: float = 0.2) {\n  return x + alpha * ((x / beta) -> conv(4, 3, pad: 1))\n}",
      "model M(x: [N, 4, 8, 8]) {\n  return x -> R(1.5) -> R(2, alpha: 0.5) -> R(0.75)\n}",
      "",
    ].join("\n"),
  },
  {
    // A ShuffleNet unit whose split points differ between instances: the slices read them from
    // the class's constructor.
    name: "block_channel_split",
    path: "block_channel_split.nn",
    text: [
      "block Unit(x, c: int) {",
      "  y = x -> conv(c, 1)",
      "  a = y -> slice(0, c // 2)",
      "  b = y -> slice(c // 2, c) -> conv(c // 2, 3, pad: 1) -> relu",
      "  return concat(a, b) -> channel_shuffle(2)",
      "}",
      "model M(x: [N, 4, 8, 8]) {\n  return x -> Unit(8) -> Unit(6)\n}",
      "",
    ].join("\n"),
  },
];

const EXAMPLE_CASES: readonly ParityCase[] = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .sort()
  .map((f) => ({ name: f.replace(/\.nn$/, ""), path: `examples/${f}`, text: readFileSync(`examples/${f}`, "utf8") }));

const CASES = [...EXAMPLE_CASES, ...OPERATOR_CASES, ...BLOCK_CASES];

/**
 * The cases whose training step (loss and gradients) is not compared: the torchvision zoo at
 * 224×224. Their forwards are compared like every other case's (eval, scripted, one train-mode
 * forward with its running statistics); their gradients are not, because at this size float32
 * cannot compute them to 1e-4: PyTorch's own float32 gradients of torchvision's MobileNetV2 and
 * GoogLeNet (these weights, batch 2, cross-entropy) differ from its float64 ones by 6.5e-2 and
 * 1.6e-1 of their scale, where the millions of ReLU, ReLU6 and max-pool inputs of a step put
 * some within rounding of a kink (the shim replays only ReLU's sides). nnc and PyTorch differed
 * by 1e-2 there, agreeing to 3e-5 at the classifier and drifting apart towards the input, as
 * kinks do; and the batch-norm biases whose gradient is 0 in exact arithmetic (a norm read by a
 * 1×1 conv that a batch norm reads) differed by rounding noise of 5e-7. ShuffleNetV2's first
 * conv weight gradient likewise moved by 8.5e-3 of its scale. The step is also the slowest part
 * of these cases, in both engines.
 */
const FORWARD_ONLY = new Set(["efficientnet_b0", "googlenet", "mobilenet_v2", "mobilenet_v3_small", "shufflenet_v2"]);

/**
 * What `torch.jit.script` cannot compile, by the layers that bring it into the file, with the
 * start of its message (scripting stops at the first problem, so a model may show any of its
 * entries). The test fails when a model with such a layer starts to compile: drop the entry.
 */
const SCRIPT_FAILURES: readonly { readonly layer: (l: LayerInstance) => boolean; readonly message: string }[] = [];

/** The checked model of a case. */
function checked(c: ParityCase): CheckedModel {
  const result = checkSource(c.path, c.text, host);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), c.name).toEqual([]);
  return result.models[0] as CheckedModel;
}

/**
 * The batch: 8 feature vectors (batch normalization over fewer is ill-conditioned enough that
 * float32 rounding reaches 1e-4 of the gradients), 4 images, 2 of ImageNet's size.
 */
function batchOf(model: CheckedModel): number {
  const shape = model.values[model.inputs[0].value].shape;
  const perSample = shape.slice(1).reduce<number>((a, d) => a * Number(d), 1);
  return shape.length === 2 ? 8 : perSample > 100_000 ? 2 : 4;
}

/** Cross-entropy for a model that gives class scores `[N, classes]`, else mean squared error. */
function lossOf(model: CheckedModel): "cross_entropy" | "mse" {
  return model.values[model.outputs[0]].shape.length === 2 ? "cross_entropy" : "mse";
}

/**
 * The biases whose gradient is 0 in exact arithmetic: of a conv or dense layer read only by a
 * normalization that subtracts a per-channel mean over the batch or the instance.
 */
function vanishingBiases(model: CheckedModel): Set<string> {
  const centering = new Set(["batch", "batch_renorm", "instance"]);
  const out = new Set<string>();
  for (const layer of model.layers) {
    if (!layer.params.some((p) => p.name === `${layer.path}.bias`)) continue;
    const readers = model.layers.filter((l) => l.inputs.includes(layer.output));
    if (readers.length > 0 && readers.every((r) => centering.has(r.kind)) && !model.outputs.includes(layer.output)) out.add(`${layer.path}.bias`);
  }
  return out;
}

/** A generator of float32-exact draws (24 bits), recording each, so that PyTorch can replay them exactly. */
function recordingRandom(seed: number): { random: () => number; draws: number[] } {
  const base = createRandom(seed);
  const draws: number[] = [];
  const random = () => {
    const draw = Math.floor(base() * 16777216) / 16777216;
    draws.push(draw);
    return draw;
  };
  return { random, draws };
}

/** Where the runtime shim records each ReLU's input while a training step runs. */
interface ReluLog {
  nncReluInputs?: Tensor[];
}

/**
 * A runtime module for the train-mode modules: nnc's runtime with `relu` wrapped to record its
 * inputs (in `globalThis.nncReluInputs`, when that is an array).
 */
function writeReluShim(dir: string): string {
  const path = join(dir, "runtime-with-relu-log.ts");
  const runtime = JSON.stringify(RUNTIME_SOURCE);
  writeFileSync(
    path,
    [
      `import { relu as runtimeRelu, type Tensor } from ${runtime};`,
      `export * from ${runtime};`,
      "export function relu(x: Tensor, out?: Float32Array): Tensor {",
      "  (globalThis as { nncReluInputs?: Tensor[] }).nncReluInputs?.push({ shape: [...x.shape], data: x.data.slice() });",
      "  return runtimeRelu(x, out);",
      "}",
      "",
    ].join("\n"),
  );
  return path.replace(/\.ts$/, ".js");
}

/**
 * The ReLU inputs within 1e-5 of their tensor's largest magnitude, as flat triples (call, index,
 * nnc's side: 1 where the input is positive), for parity.py to take the same side there.
 */
function nearKinks(inputs: readonly Tensor[]): number[] {
  const triples: number[] = [];
  inputs.forEach((x, call) => {
    let scale = 0;
    for (const v of x.data) scale = Math.max(scale, Math.abs(v));
    if (x.data.length > 2 ** 24) throw new Error(`a ReLU input of ${x.data.length} values: its indices do not fit the float32 record`);
    x.data.forEach((v, i) => {
      if (Math.abs(v) <= 1e-5 * scale) triples.push(call, i, v > 0 ? 1 : 0);
    });
  });
  return triples;
}

const concrete = (shape: readonly (number | string)[], batch: number) => shape.map((d) => (typeof d === "number" ? d : batch));
const asTensor = (t: TensorLike): Tensor => ({ shape: [...t.shape], data: t.data });

/**
 * Compiles `c` both ways, runs nnc's side, and writes into `dir` what parity.py reads: the torch
 * module, the checkpoint and the data.
 */
async function runNnc(c: ParityCase, model: CheckedModel, dir: string, shim: string): Promise<NncResults> {
  const torch = await compileOk({ path: c.path, text: c.text, target: "torch" });
  writeFileSync(join(dir, `${c.name}.py`), torch.files.find((f) => f.name.endsWith(".py"))!.contents);
  const weights = syntheticWeights(model.params);
  writeFileSync(join(dir, `${c.name}.weights.safetensors`), writeSafetensors(model.params.map((p) => ({ name: p.name, shape: p.shape, data: weights.get(p.name)! }))));
  const source = Object.fromEntries(weights);

  const batch = batchOf(model);
  const x = randomTensor(concrete(model.values[model.inputs[0].value].shape, batch), 11);
  const outputShape = concrete(model.values[model.outputs[0]].shape, batch);
  const loss = lossOf(model);
  const target =
    loss === "cross_entropy"
      ? { shape: [batch], data: Int32Array.from({ length: batch }, (_, i) => (i * 7 + 3) % outputShape[1]) }
      : randomTensor(outputShape, 29);

  const inference = await importModule(await compileOk({ path: c.path, text: c.text, runtimeModule: RUNTIME_SOURCE }), tempDir(`parity-${c.name}`));
  const deployed = await inference.load(source);
  const evalOut = asTensor(deployed.forward(x) as TensorLike);
  deployed.close?.();

  const train = await importModule(await compileOk({ path: c.path, text: c.text, mode: "train", runtimeModule: shim }), tempDir(`parity-train-${c.name}`));
  const forwardDraws = recordingRandom(1);
  const forwarded = (await train.load(source, { random: forwardDraws.random })) as unknown as TrainModel;
  const trainOut = asTensor(forwarded.forward(x, { training: true }));
  const state = forwarded.state();

  const stepDraws = recordingRandom(2);
  let step: NncResults["step"];
  let reluInputs: Tensor[] = [];
  if (!FORWARD_ONLY.has(c.name)) {
    const stepped = (await train.load(source, { random: stepDraws.random, loss, optimizer: { name: "sgd", lr: 0.01 } } as object)) as unknown as TrainModel;
    const log = globalThis as ReluLog;
    log.nncReluInputs = [];
    step = { loss: stepped.trainStep(x, target).loss, gradients: stepped.gradients() };
    reluInputs = log.nncReluInputs;
    delete log.nncReluInputs;
  }

  const kinks = nearKinks(reluInputs);
  const data: TensorToWrite[] = [
    { name: "x", shape: x.shape, data: x.data },
    { name: "target", shape: target.shape, data: Float32Array.from(target.data) },
    { name: "draws.forward", shape: [forwardDraws.draws.length], data: Float32Array.from(forwardDraws.draws) },
    { name: "draws.step", shape: [stepDraws.draws.length], data: Float32Array.from(stepDraws.draws) },
    { name: "relu.calls", shape: [1], data: Float32Array.of(reluInputs.length) },
    { name: "relu.kinks", shape: [kinks.length / 3, 3], data: Float32Array.from(kinks) },
  ];
  writeFileSync(join(dir, `${c.name}.data.safetensors`), writeSafetensors(data));
  return { eval: evalOut, train: trainOut, state, step };
}

/**
 * Expects `actual` within 1e-4 of `scale`, element by element: `expectClose` with a scale given
 * rather than taken from the reference.
 */
function expectWithin(label: string, actual: Tensor, expected: Tensor, scale: number): void {
  expect(actual.data.length, `${label}: size`).toBe(expected.data.length);
  let worst = 0;
  let at = 0;
  expected.data.forEach((e, i) => {
    const d = Math.abs(actual.data[i] - e);
    if (!(d <= worst)) [worst, at] = [Number.isNaN(d) ? Infinity : d, i];
  });
  const message = `${label}[${position(expected.shape, at).join(", ")}] is ${actual.data[at]}, expected ${expected.data[at]} (off by ${(worst / scale).toExponential(2)} of the scale ${scale.toPrecision(4)})`;
  expect(worst / scale, message).toBeLessThanOrEqual(RELATIVE_TOLERANCE);
}

const maxAbs = (data: Float32Array) => data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe.skipIf(SKIP_TORCH)("the PyTorch target equals nnc", () => {
  const models = new Map(CASES.map((c) => [c.name, checked(c)]));
  const nnc = new Map<string, NncResults>();
  const torch = new Map<string, Map<string, Tensor>>();
  const scriptErrors = new Map<string, string>();

  beforeAll(async () => {
    requireTorch();
    const dir = tempDir("torch-parity");
    const shim = writeReluShim(dir);
    for (const c of CASES) nnc.set(c.name, await runNnc(c, models.get(c.name)!, dir, shim));
    writeFileSync(
      join(dir, "cases.json"),
      JSON.stringify(CASES.map((c) => ({ name: c.name, loss: lossOf(models.get(c.name)!), step: !FORWARD_ONLY.has(c.name) }))),
    );
    runPython(readFileSync("test/torch/parity.py", "utf8"), ["cases.json"], dir, 300_000);
    for (const c of CASES) {
      const file = readSafetensorsFile(readFileSync(join(dir, `${c.name}.torch.safetensors`)));
      torch.set(c.name, new Map([...file.tensors].map(([name, t]) => [name, { shape: [...t.shape], data: t.data }])));
      const errors = JSON.parse(readFileSync(join(dir, `${c.name}.errors.json`), "utf8")) as { script?: string };
      if (errors.script !== undefined) scriptErrors.set(c.name, errors.script);
    }
  }, 300_000);

  describe.each(CASES.map((c) => [c.name]))("%s", (name) => {
    const model = models.get(name)!;
    const ours = () => nnc.get(name)!;
    const get = (key: string) => {
      const t = torch.get(name)?.get(key);
      if (!t) throw new Error(`${name}: PyTorch gave no ${key}`);
      return t;
    };
    const keys = (prefix: string) => [...(torch.get(name)?.keys() ?? [])].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));

    it("evaluates as nnc's inference module", () => expectClose(`${name} eval output`, ours().eval, get("eval")));

    it("evaluates the same under torch.jit.script", () => {
      const failure = scriptErrors.get(name);
      const known = SCRIPT_FAILURES.filter((f) => model.layers.some(f.layer));
      if (known.length > 0) {
        expect(failure, `${name} now scripts: drop its entry from SCRIPT_FAILURES`).toBeDefined();
        expect(known.some((f) => failure!.includes(f.message)), `${name}: torch.jit.script failed otherwise:\n${failure}`).toBe(true);
        return;
      }
      expect(failure, `torch.jit.script(${name})`).toBeUndefined();
      expectClose(`${name} scripted eval output`, get("script"), get("eval"));
    });

    it("trains forward as nnc, running statistics included", () => {
      expectClose(`${name} train output`, ours().train, get("train"));
      expect(keys("state."), `${name}: state_dict keys after training`).toEqual(model.params.map((p) => p.name));
      for (const key of keys("state.")) {
        const expected = get(`state.${key}`);
        expectClose(`${name} state ${key}`, { shape: expected.shape, data: ours().state[key] }, expected);
      }
    });

    it.skipIf(FORWARD_ONLY.has(name))("has nnc's loss and gradients", () => {
      const step = ours().step!;
      expectClose(`${name} loss`, { shape: [1], data: Float32Array.of(step.loss) }, get("loss"));
      expect(Object.keys(step.gradients).sort(), `${name}: the parameters with gradients`).toEqual(keys("grad.").sort());
      const vanishing = vanishingBiases(model);
      for (const key of keys("grad.")) {
        const expected = get(`grad.${key}`);
        const actual = { shape: expected.shape, data: step.gradients[key] };
        if (!vanishing.has(key)) {
          expectClose(`${name} gradient of ${key}`, actual, expected);
          continue;
        }
        const weight = get(`grad.${key.replace(/bias$/, "weight")}`);
        expectWithin(`${name} gradient of ${key} (0 in exact arithmetic)`, actual, expected, maxAbs(weight.data));
      }
    });
  });
});

describe("the parity cases", () => {
  it("cover every registered layer", () => {
    const covered = new Set(CASES.flatMap((c) => checked(c).layers.map((l) => l.kind)));
    expect(LAYER_LIST.map((l) => l.name).filter((name) => !covered.has(name)), "layers without a parity case").toEqual([]);
  });

  it.runIf(SKIP_TORCH)("are skipped without PyTorch", () => warnSkipped("parity with PyTorch (test/torch/parity.test.ts)"));
});
