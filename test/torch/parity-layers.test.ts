/**
 * The PyTorch target against nnc on one small model per layer form (each operator and
 * normalizer with its options) and on blocks whose instances differ in numbers that `forward`
 * uses; how they are compared is parity-harness.ts's comment.
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LAYER_LIST } from "../../runtime/ops/index.js";
import { checked, describeParity, FEATURES, IMAGE, model, STEM, type ParityCase } from "./parity-harness.js";
import { SKIP_TORCH, warnSkipped } from "./python.js";

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

describeParity([...OPERATOR_CASES, ...BLOCK_CASES]);

describe("the parity cases", () => {
  it("cover every registered layer, with the examples", () => {
    const examples = readdirSync("examples")
      .filter((f) => f.endsWith(".nn"))
      .map((f) => ({ name: f, path: `examples/${f}`, text: readFileSync(`examples/${f}`, "utf8") }));
    const covered = new Set([...OPERATOR_CASES, ...BLOCK_CASES, ...examples].flatMap((c) => checked(c).layers.map((l) => l.kind)));
    expect(LAYER_LIST.map((l) => l.name).filter((name) => !covered.has(name)), "layers without a parity case").toEqual([]);
  });

  it.runIf(SKIP_TORCH)("are skipped without PyTorch", () => warnSkipped("parity with PyTorch (test/torch/parity-layers.test.ts)"));
});
