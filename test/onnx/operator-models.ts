/**
 * One tiny model per operator and normalizer of the layer reference (docs/operators.md) (and per fused form: a conv or dense
 * followed by each fusable activation or by a normalizer that folds), as `.nn` text, for the
 * ONNX tests. Each normalizer appears twice: after a conv, where the fused pipeline folds it, and
 * straight on the input, where nothing folds and the emitter must write its decomposition.
 */

/** A named one-layer (or two-layer) model. */
export interface OperatorModel {
  readonly name: string;
  readonly text: string;
}

const IMAGE = "x: [N, 8, 6, 6]";
const FEATURES = "x: [N, 12]";

function model(name: string, input: string, body: string): OperatorModel {
  return { name, text: `model M(${input}) {\n  return ${body}\n}\n` };
}

/** Every activation with a write-back form (`test/ops/completeness.test.ts` checks that none is missing). */
export const ACTIVATIONS = ["relu", "sigmoid", "tanh", "gelu", "silu", "leaky_relu(alpha: 0.2)", "elu(alpha: 0.5)", "relu6", "hardswish", "hardtanh", "hardtanh(min: -2, max: 0.5)", "clamp(min: -0.5, max: 2)", "hardsigmoid"];
const IMAGE_NORMALIZERS = [
  "batch",
  "batch(affine: false, eps: 0.001)",
  "batch_renorm",
  "layer",
  "instance",
  "instance(affine: false)",
  "group(groups: 4)",
  "group(groups: 2, eps: 0.01)",
  "frn",
  "switchable",
  "channel_norm",
  "channel_norm(eps: 0.001, affine: false)",
  "none",
];
// `frn`, `switchable`, `instance`, `group` and `channel_norm` need images (the checker rejects
// them on features).
const FEATURE_NORMALIZERS = ["batch", "batch(affine: false)", "batch_renorm", "layer", "layer(affine: false)"];

const label = (call: string) => call.replace(/[^a-z0-9]+/g, "_").replace(/_+$/, "");

/** Every operator model. */
export const OPERATOR_MODELS: readonly OperatorModel[] = [
  model("conv_basic", IMAGE, "x -> conv(8, 3, pad: 1)"),
  model("conv_stride_dilation_groups", IMAGE, "x -> conv(8, 3, stride: 2, pad: 2, dilation: 2, groups: 4)"),
  model("conv_pair_same", IMAGE, "x -> conv(6, (3, 1), stride: 2, pad: same)"),
  model("conv_ws_standard", IMAGE, `x -> conv(8, 3, bias: false, ws: "standard")`),
  model("conv_ws_scaled", IMAGE, `x -> conv(8, 3, ws: "scaled")`),
  model("dense", FEATURES, "x -> dense(16)"),
  model("dense_ws_standard", FEATURES, `x -> dense(16, bias: false, ws: "standard")`),
  model("dense_ws_scaled", FEATURES, `x -> dense(16, ws: "scaled")`),
  ...ACTIVATIONS.map((a) => model(`conv_${label(a)}`, IMAGE, `x -> conv(8, 3, pad: 1) -> ${a}`)),
  ...ACTIVATIONS.map((a) => model(`dense_${label(a)}`, FEATURES, `x -> dense(10) -> ${a}`)),
  ...ACTIVATIONS.map((a) => model(label(a), IMAGE, `x -> ${a}`)),
  model("prelu", IMAGE, "x -> prelu"),
  model("prelu_shared", IMAGE, "x -> prelu(shared: true)"),
  model("prelu_features", FEATURES, "x -> prelu"),
  model("maxout", IMAGE, "x -> maxout"),
  model("maxout_4", IMAGE, "x -> maxout(pieces: 4)"),
  model("maxout_features", FEATURES, "x -> maxout(pieces: 3)"),
  model("softmax", FEATURES, "x -> softmax"),
  model("log_softmax", FEATURES, "x -> log_softmax"),
  model("softmax_image", IMAGE, "x -> softmax"),
  model("dropout", IMAGE, "x -> dropout(0.3) -> relu"),
  model("standardize", IMAGE, `x -> standardize(mean: [0.1, 0.2, 0.3, 0.4, -0.1, -0.2, 0, 0.5], std: [0.5, 1, 2, 0.25, 1.5, 0.8, 1, 3])`),
  model("add", IMAGE, "x + (x -> conv(8, 1))"),
  model("add_broadcast", IMAGE, "x + (x -> global_avgpool -> conv(8, 1))"),
  model("sub_mul_div_broadcast", IMAGE, "(x - (x -> conv(1, 1))) * (x -> global_avgpool -> sigmoid) / (x -> conv(1, 1) -> sigmoid)"),
  model("arithmetic_numbers", IMAGE, "1 - 0.5 * (x -> conv(8, 1)) / 3 + 2 / ((x -> sigmoid) + 1) - 0.25"),
  model("arithmetic_numbers_after_conv", IMAGE, "(x -> conv(8, 3, pad: 1)) * 0.5 + 1"),
  model("scale", IMAGE, "x -> conv(8, 1) -> scale(init: 0.5)"),
  model("scale_features", FEATURES, "x -> scale -> dense(5)"),
  model("concat", IMAGE, "concat(x, x -> conv(4, 1))"),
  model("slice", IMAGE, "x -> slice(2, 7)"),
  model("slice_features", FEATURES, "x -> slice(0, 5) -> dense(3)"),
  model("channel_shuffle", IMAGE, "x -> channel_shuffle(4)"),
  model("channel_shuffle_symbolic_h", "x: [N, 6, H, 5]", "x -> channel_shuffle(3)"),
  model("channel_shuffle_symbolic_hw", "x: [N, 6, H, W]", "x -> channel_shuffle(2)"),
  model("shuffle_unit", IMAGE, "concat(x -> slice(0, 4), x -> slice(4, 8) -> conv(4, 1) -> relu) -> channel_shuffle(2)"),
  model("identity", IMAGE, "x -> conv(8, 1) -> identity"),
  model("maxpool", IMAGE, "x -> maxpool(2)"),
  model("maxpool_pad", IMAGE, "x -> maxpool(3, stride: 2, pad: 1)"),
  model("avgpool_pad", IMAGE, "x -> avgpool(3, stride: 2, pad: 1)"),
  model("maxpool_ceil", IMAGE, "x -> maxpool(3, stride: 2, ceil_mode: true)"),
  model("avgpool_pad_ceil", IMAGE, "x -> avgpool(3, stride: 2, pad: 1, ceil_mode: true)"),
  model("avgpool_ceil_dropped", IMAGE, "x -> avgpool(4, pad: 2, ceil_mode: true)"),
  model("adaptive_avgpool", IMAGE, "x -> adaptive_avgpool((4, 5))"),
  model("adaptive_avgpool_uniform", IMAGE, "x -> adaptive_avgpool(3)"),
  model("global_avgpool", IMAGE, "x -> global_avgpool -> flatten"),
  model("global_maxpool", IMAGE, "x -> global_maxpool"),
  model("flatten", IMAGE, "x -> flatten -> dense(5)"),
  ...IMAGE_NORMALIZERS.map((n) => model(`conv_${label(n)}`, IMAGE, `x -> conv(8, 3, pad: 1) -> ${n} -> relu`)),
  ...IMAGE_NORMALIZERS.map((n) => model(label(n), IMAGE, `x -> ${n}`)),
  ...FEATURE_NORMALIZERS.map((n) => model(`dense_${label(n)}`, FEATURES, `x -> dense(12) -> ${n}`)),
  ...FEATURE_NORMALIZERS.map((n) => model(`features_${label(n)}`, FEATURES, `x -> ${n}`)),
];
