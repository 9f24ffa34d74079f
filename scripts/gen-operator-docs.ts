/**
 * Writes what is derived from the operator registry (`runtime/ops/`): the layer reference
 * `docs/operators.md`, and the list of layer names in the VS Code extension's TextMate grammar
 * (`editors/vscode/syntaxes/nn.tmLanguage.json`). The language server reads the registry
 * directly. A test fails when either file is stale.
 *
 * Each layer's section joins what its entry states (signature, doc, and its `reference`: shape
 * rule, formulas, example) with what is computed from the entry by compiling the example: the
 * parameters with their names, shapes and initial values (the checker and `nnc init`), the
 * PyTorch form (the entry's `torch`), and the ONNX nodes at each opset (the ONNX emitter), so
 * that those parts cannot drift from what nnc does.
 *
 *   npx tsx scripts/gen-operator-docs.ts
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkSource, type CheckResult } from "../compiler/check/check.js";
import type { CheckedModel, LayerInstance } from "../compiler/check/model.js";
import { buildOnnxModel, SUPPORTED_OPSETS } from "../compiler/emit/onnx/emit-onnx.js";
import { pyLiteral } from "../compiler/emit/torch/emit-torch.js";
import { lowerModel } from "../compiler/ir/lower.js";
import { INFERENCE_PASSES, runPipeline } from "../compiler/passes/pipeline.js";
import { initialWeights } from "../compiler/weights/init.js";
import type { Tensor } from "../runtime/index.js";
import { IR_OPERATORS, LAYER_LIST } from "../runtime/ops/index.js";
import type { ArgSpec, AttrValue, Family, LayerOperator, LayerReference, Shape, TorchContext } from "../runtime/ops/types.js";

export const GRAMMAR_PATH = "editors/vscode/syntaxes/nn.tmLanguage.json";
export const DOC_PATH = "docs/operators.md";

const FAMILIES: Record<Family, string> = {
  linear: "Linear layers",
  pool: "Pooling",
  activation: "Activations",
  structure: "Structure",
  normalizer: "Normalizers",
};

function valueText(value: AttrValue): string {
  if (Array.isArray(value)) return `[${value.join(", ")}]`;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function rangeText(arg: ArgSpec): string {
  const parts: string[] = [];
  if (arg.min !== undefined) parts.push(`${arg.minExclusive ? ">" : "≥"} ${arg.min}`);
  if (arg.max !== undefined) parts.push(`${arg.maxExclusive ? "<" : "≤"} ${arg.max}`);
  if (arg.oneOf) parts.push(arg.oneOf.map((s) => JSON.stringify(s)).join(" \\| "));
  return parts.join(", ");
}

function defaultText(arg: ArgSpec): string {
  if (arg.defaultFrom) return `the ${arg.defaultFrom}`;
  return arg.default === undefined ? "required" : `\`${valueText(arg.default)}\``;
}

/** `[N, 16, 32, 32]`. */
function shapeText(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** `conv(out, kernel, stride: 1, ...)`: required arguments by position, the rest with their defaults. */
export function signature(layer: LayerOperator): string {
  if (layer.args.length === 0) return layer.name;
  const args = layer.args.map((a) => (a.default === undefined && !a.defaultFrom ? a.name : `${a.name}: ${a.defaultFrom ?? valueText(a.default!)}`));
  return `${layer.name}(${args.join(", ")})`;
}

/** The IR operators a layer lowers to on its completeness-test input, in order. */
function irOperatorsOf(layer: LayerOperator): string[] {
  const dims = layer.example?.input ?? [4, 6, 6];
  const count = layer.example?.inputs ?? 1;
  const operands = count === 1 ? "x" : `(${Array.from({ length: count }, () => "x").join(", ")})`;
  const args = Object.entries(layer.example?.args ?? {}).map(([k, v]) => `${k}: ${valueText(v)}`);
  const call = args.length === 0 ? layer.name : `${layer.name}(${args.join(", ")})`;
  const text = `model M(x: [N, ${dims.join(", ")}]) {\n  return ${operands} -> ${call}\n}\n`;
  const result = checkSource("reference.nn", text, { readFile: () => undefined });
  const model = result.models[0] as CheckedModel | undefined;
  if (!model || result.diagnostics.length > 0) throw new Error(`${layer.name}: its example does not check`);
  return [...new Set(lowerModel(model).nodes.map((n) => n.op))];
}

/** The `.nn` text of a layer's reference example: one model that returns the example's expression. */
export function exampleText(reference: LayerReference): string {
  return `model Example(${reference.example.inputs}) {\n  return ${reference.example.returns}\n}\n`;
}

/** A layer's reference example, checked: the model and the one instance of the layer in it. */
export interface CheckedExample {
  readonly check: CheckResult;
  readonly model: CheckedModel;
  readonly instance: LayerInstance;
}

/**
 * Checks a layer's reference example; throws, naming the layer, when it does not check cleanly
 * (an error or a warning) or when it is not exactly one instance of the layer.
 */
export function checkExample(layer: LayerOperator): CheckedExample {
  const text = exampleText(layer.reference);
  const check = checkSource("example.nn", text, { readFile: () => undefined });
  const model = check.models[0];
  if (!model || check.diagnostics.length > 0) {
    const messages = check.diagnostics.map((d) => d.message).join("; ");
    throw new Error(`${layer.name}: its reference example does not check cleanly: ${messages}\n${text}`);
  }
  const kinds = model.layers.map((l) => l.kind);
  if (kinds.length !== 1 || kinds[0] !== layer.name) {
    throw new Error(`${layer.name}: its reference example must be the layer alone, got ${kinds.join(", ") || "no layer"}`);
  }
  return { check, model, instance: model.layers[0] };
}

/** Names a model input or a layer's output in Python, as the PyTorch emitter's locals are named. */
function pythonName(model: CheckedModel, value: number): string {
  const input = model.inputs.find((i) => i.value === value);
  if (input) return input.name;
  const producer = model.values[value].producer;
  return producer === undefined ? `v${value}` : model.layers[producer].path.replace(/\./g, "_");
}

/** The layer's PyTorch form on the example: the module it builds (if any), the expression of its output, and the support it uses. */
export function torchFormOf(layer: LayerOperator, example: CheckedExample): { module?: string; call: string; uses: string[] } {
  const form = layer.torch;
  if (!form) throw new Error(`${layer.name}: no PyTorch form`);
  const { model, instance } = example;
  const uses: string[] = [];
  const ctx: TorchContext = {
    attrs: instance.attrs,
    inputShapes: instance.inputs.map((v) => model.values[v].shape),
    outputShape: model.values[instance.output].shape,
    inputs: instance.inputs.map((v) => pythonName(model, v)),
    self: `self.${instance.path}`,
    value: (v, _what, type) => pyLiteral(v, type === "float"),
    use: (name) => {
      if (!uses.includes(name)) uses.push(name);
    },
  };
  const module = form.module?.(ctx);
  return { module, call: form.call(ctx), uses };
}

/** The ONNX operator types the example compiles to (default passes, as `nnc compile --target onnx`), by opset. */
export function onnxNodesOf(example: CheckedExample): Map<number, string[]> {
  const { check, model } = example;
  const { graph } = runPipeline(lowerModel(model), INFERENCE_PASSES);
  const weights = initialWeights(model, 0);
  const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: [...p.shape], data: weights.get(p.name)! }]));
  const byOpset = new Map<number, string[]>();
  for (const opset of SUPPORTED_OPSETS) {
    const proto = buildOnnxModel(graph, params, { opset, sourcePath: "example.nn", sources: (p) => check.sources.get(p), metadata: {} });
    byOpset.set(opset, (proto.graph?.node ?? []).map((n) => n.opType ?? "?"));
  }
  return byOpset;
}

/** `Mul`, `ReduceMean` ×2, …: node types in order of first appearance, with counts. */
function nodeList(ops: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  return [...counts].map(([op, n]) => (n === 1 ? `\`${op}\`` : `\`${op}\` ×${n}`)).join(", ");
}

/** The ONNX paragraph: the nodes, grouped by the opsets that write the same ones. */
function onnxText(byOpset: ReadonlyMap<number, string[]>): string {
  const groups: { from: number; to: number; ops: string[] }[] = [];
  for (const [opset, ops] of byOpset) {
    const last = groups.at(-1);
    if (last && last.ops.join() === ops.join()) last.to = opset;
    else groups.push({ from: opset, to: opset, ops });
  }
  const text = (ops: string[]) => (ops.length === 0 ? "no node: the output is the input" : nodeList(ops));
  if (groups.length === 1) return `${text(groups[0].ops)} (every opset, ${groups[0].from}–${groups[0].to}).`;
  return groups.map((g) => `opset ${g.from === g.to ? g.from : `${g.from}–${g.to}`}: ${text(g.ops)}`).join("; ") + ".";
}

/** The shortest decimal that reads back as the float32 `v` (`1e-6`, not `9.999999974752427e-7`). */
function float32Text(v: number): string {
  for (let digits = 1; digits < 17; digits++) {
    const shortest = Number(v.toPrecision(digits));
    if (Math.fround(shortest) === v) return String(shortest);
  }
  return String(v);
}

/** An initial value: the constant every element starts at, or how a random one is drawn. */
function initialText(data: Float32Array): string {
  const first = data[0];
  if (data.every((v) => v === first)) return float32Text(first);
  return "random, as PyTorch's default initialization";
}

/** For an activation that fuses: where it runs after a conv or dense layer (from its IR operator's epilogue). */
function fusionNote(layer: LayerOperator, example: CheckedExample): string | undefined {
  const fuses = lowerModel(example.model).nodes.some((n) => IR_OPERATORS.get(n.op)?.epilogue?.fuses === true);
  if (!fuses) return undefined;
  return `Right after a conv or dense layer whose output nothing else reads, it runs inside that layer's write-back (\`--no-fuse\` keeps it apart); ONNX still gets it as its own node.`;
}

/** The section of one layer. */
function layerSection(layer: LayerOperator): string[] {
  const reference = layer.reference;
  const out = ["", `### ${layer.name}`, "", `\`${signature(layer)}\`: ${layer.doc}`];
  if (layer.args.length > 0) {
    out.push("", "| argument | type | default | allowed | meaning |", "|---|---|---|---|---|");
    for (const arg of layer.args) out.push(`| \`${arg.name}\` | ${arg.type} | ${defaultText(arg)} | ${rangeText(arg)} | ${arg.doc.replace(/\|/g, "\\|")} |`);
  }
  const example = checkExample(layer);
  const { model, instance } = example;
  const output = shapeText(model.values[instance.output].shape);
  out.push("", "**Example**", "", "```", ...exampleText(reference).trimEnd().split("\n"), "```", "", `gives \`${output}\`.`);
  out.push("", `**Shape.** ${reference.shape}`);
  if (typeof reference.formula === "string") {
    out.push("", `**Formula** (training and inference alike). ${reference.formula}`);
  } else {
    out.push("", `**Training.** ${reference.formula.train}`, "", `**Inference.** ${reference.formula.eval}`);
  }
  const passes = [reference.inference, fusionNote(layer, example)].filter((s) => s !== undefined);
  if (passes.length > 0) out.push("", `**After the inference passes.** ${passes.join(" ")}`);
  if (instance.params.length === 0) {
    out.push("", "**Parameters.** None.");
  } else {
    const weights = initialWeights(model, 0);
    out.push("", "**Parameters** of the example, as `nnc params` lists them (the names are PyTorch's `state_dict` keys):", "");
    out.push("| name | shape | kind | initial value |", "|---|---|---|---|");
    for (const p of instance.params) {
      out.push(`| \`${p.name}\` | \`${shapeText(p.shape)}\` | ${p.buffer ? "buffer" : "learnable"} | ${initialText(weights.get(p.name)!)} |`);
    }
  }
  const torch = torchFormOf(layer, example);
  const support = torch.uses.length === 0 ? "" : ` (${torch.uses.map((u) => `\`${u}\``).join(", ")}: defined in the generated \`.py\` file, as PyTorch has no such layer)`;
  const passedOn = instance.inputs.length === 1 && torch.call === pythonName(model, instance.inputs[0]);
  const torchLine = torch.module
    ? `\`${`self.${instance.path}`} = ${torch.module}\` in \`__init__\`, and \`${torch.call}\` in \`forward\`${support}.`
    : passedOn
      ? `No code: \`forward\` passes its input (\`${torch.call}\`) on.`
      : `\`${torch.call}\`${support}.`;
  out.push("", `**PyTorch** (\`--target torch\`). ${torchLine}`);
  out.push("", `**ONNX** (\`--target onnx\`). ${onnxText(onnxNodesOf(example))}`);
  return out;
}

/** The text of docs/operators.md. */
export function operatorsDoc(): string {
  const out = [
    "# Layer reference",
    "",
    "<!-- Generated by scripts/gen-operator-docs.ts from the operator registry (runtime/ops/); do not edit. -->",
    "",
    "Every layer of the language: its arguments and their defaults, its shape rule, what it",
    "computes in training and at inference, the parameters it creates, and what it becomes in",
    "PyTorch and in ONNX, each with a tiny example. A layer without arguments is written bare",
    "(`relu`); arguments go by position in the order listed, or by name (`conv(64, 3, stride: 2)`).",
    "[language.md](language.md) is the reference of the language around the layers.",
    "",
    "Conventions. Tensors are float32: images `[N, C, H, W]`, features `[N, F]`; `N` is the batch.",
    "\"Per channel\" means per C on an image and per F on features. γ (`weight`) and β (`bias`) are",
    "a normalizer's learned per-channel scale and shift, broadcast over every other axis.",
    "A variance is the biased one (divided by the count) unless it says otherwise. Training is",
    "`nnc train`, `--mode train` and a PyTorch module's `train()`; inference is everything else.",
    "",
    "## Parameter names",
    "",
    "Every parameter and buffer has a dotted name, the same in checkpoints, generated modules,",
    "ONNX initializers and the PyTorch target's `state_dict()`; `nnc params model.nn` lists them with",
    "their shapes, in declaration order.",
    "",
    "- A labelled layer or block instance (`stem: conv(16, 3)`) takes its label. An unlabelled one",
    "  is named `<kind><k>`: its layer or block name, and k counting the instances of that kind in",
    "  the same scope from 0, in source order after repeats expand (`conv0`, `conv1`, `batch0`,",
    "  `Basic0`). The kind is the layer's own name after aliases resolve: `norm` bound to",
    "  `batch(...)` by `use` gives `batch0`.",
    "- Block instances and labelled groups (`stem: [ ... ]`) are scopes; unlabelled groups, repeats",
    "  and `for` bodies are not. Scopes join with dots: `Basic1.conv0.weight`.",
    "- The last part is the layer's own leaf name, which follows PyTorch (`weight`, `bias`,",
    "  `running_mean`, `running_var`; nnc's own layers name theirs below). A buffer is state that",
    "  training updates but no gradient reaches.",
    "- A checkpoint whose names differ (a PyTorch `state_dict` saved as safetensors) loads with",
    "  `--weights-match order`, which pairs tensors in declaration order and checks every shape;",
    "  PyTorch's `num_batches_tracked` buffers are accepted and ignored.",
    "",
    "The IR column below names the nodes a layer becomes (ONNX's operators where ONNX has them;",
    "[onnx.md](onnx.md) says how nnc's own are written to ONNX); *fuses* marks activations that run",
    "inside the write-back of the conv or dense layer before them.",
  ];
  for (const family of Object.keys(FAMILIES) as Family[]) {
    const layers = LAYER_LIST.filter((l) => l.family === family);
    if (layers.length === 0) continue;
    out.push("", `## ${FAMILIES[family]}`, "", "| layer | what it computes | IR |", "|---|---|---|");
    for (const layer of layers) {
      const ops = irOperatorsOf(layer).map((op) => (IR_OPERATORS.get(op)?.epilogue?.fuses ? `\`${op}\` (fuses)` : `\`${op}\``));
      out.push(`| [\`${signature(layer)}\`](#${layer.name}) | ${layer.doc.replace(/\|/g, "\\|")} | ${ops.join(", ")} |`);
    }
    for (const layer of layers) out.push(...layerSection(layer));
  }
  return out.join("\n") + "\n";
}

/** The grammar's text with its layer-name pattern (the `match` before `support.function.layer.nn`) listing every registered layer. */
export function grammarText(current: string): string {
  const pattern = /("match": ")[^"]*(",\s*"name": "support\.function\.layer\.nn")/;
  if (!pattern.test(current)) throw new Error(`${GRAMMAR_PATH} has no support.function.layer.nn pattern`);
  const names = LAYER_LIST.map((l) => l.name).join("|");
  return current.replace(pattern, (_, head: string, tail: string) => `${head}\\\\b(${names})\\\\b${tail}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(DOC_PATH, operatorsDoc());
  writeFileSync(GRAMMAR_PATH, grammarText(readFileSync(GRAMMAR_PATH, "utf8")));
}
