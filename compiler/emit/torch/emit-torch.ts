/**
 * PyTorch emission (`nnc compile --target torch`, docs/torch.md): a checked model as a readable,
 * torch-only Python file, one `nn.Module` class per block and one for the model, whose
 * `state_dict()` keys are nnc's parameter names.
 *
 * The file is written from the checked model, where every block is expanded: each layer
 * instance is written by its registry entry's torch form (`LayerOperator.torch`), each block
 * instance becomes a submodule of its block's class and each labelled group an `nn.ModuleDict`,
 * so that the attribute paths are the layers' dotted paths. Instances of one block that expand
 * alike share one class, whose constructor takes the numbers that differ between them: a block
 * parameter where one carries them all (`c`), `in_channels` where the input's channels do,
 * otherwise a parameter named after the argument. Instances that expand differently (the other
 * branch of an `if`) get one class each, `Basic` and `Basic_2`.
 */
import { basename } from "node:path";
import { LAYERS } from "../../../runtime/ops/index.js";
import type { AttrValue, TorchContext } from "../../../runtime/ops/types.js";
import type { CheckedModel, LayerInstance, ScopeInstance } from "../../check/model.js";
import type { SourceFile } from "../../syntax/span.js";
import { IMPORTS, supportSection } from "./support.js";

/** What the emitter needs besides the model. */
export interface TorchEmitOptions {
  /** The `.nn` file, as given. */
  readonly sourcePath: string;
  /** Finds a source file, for the source-line comments. */
  readonly sources: (path: string) => SourceFile | undefined;
  /** The final classifier's learnable parameters, which adaptive gradient clipping leaves out by default. */
  readonly classifier: readonly string[];
}

/** A model PyTorch cannot hold as written (a layer named like an `nn.Module` attribute). */
export class TorchFormError extends Error {
  override readonly name = "TorchFormError";
}

/** A naming scope that holds layers, with what it holds in execution order. */
interface ScopeNode {
  readonly path: string;
  /** Absent for the model. */
  readonly instance?: ScopeInstance;
  readonly items: Item[];
}

type Item = { readonly kind: "layer"; readonly layer: LayerInstance } | { readonly kind: "scope"; readonly node: ScopeNode };

/** A class's text with its numbers as slots, and the values of the instance it was written for. */
interface Template {
  readonly init: string[];
  readonly forward: string[];
  readonly slots: Slot[];
  readonly uses: Set<string>;
}

/** A number of a class's text: its value in one instance, what it is, and where it is used. */
interface Slot {
  readonly value: AttrValue;
  readonly what: string;
  readonly float: boolean;
  /** Used in `forward` (a function's argument), where a constructor parameter is read as `self.<name>`. */
  readonly forward: boolean;
  /** Of a layer whose input has the class's first input's channels (`in_channels`): it reads that input, or what only pools, normalizes or activates it. */
  readonly readsInput: boolean;
}

/** One generated class: a block's instances that expand alike, or the model. */
interface ClassInfo {
  readonly name: string;
  readonly block?: string;
  /** The block's name and its first instance's text: instances with the same key share the class. */
  readonly key?: string;
  readonly nodes: ScopeNode[];
  readonly templates: Template[];
  /** The constructor's parameters, in order. */
  params: string[];
  /** Those whose values are floats (an instance's argument is written `0.0`, not `0`). */
  floats: Set<string>;
  /** Those `forward` reads, kept as attributes: parameter → attribute name. */
  kept: Map<string, string>;
  /** Per slot: its Python text, a literal or a parameter name. */
  slotText: string[];
  /** Per instance: the constructor's arguments, by parameter. */
  args: Map<string, AttrValue>[];
}

const SLOT = "\u0001";

/** Python's keywords and the names the generated file defines or imports at top level. */
const RESERVED = new Set([
  ...["False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif", "else", "except"],
  ...["finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try"],
  ...["while", "with", "yield", "self", "torch", "nn", "F", "math", "json", "struct", "super", "print", "len", "range", "input", "type"],
]);

/** Attributes of `nn.Module` (and `nn.ModuleDict`): a submodule cannot take these names. */
const MODULE_ATTRIBUTES = new Set([
  ...["training", "forward", "train", "eval", "to", "cuda", "cpu", "xpu", "ipu", "type", "float", "double", "half", "bfloat16", "apply"],
  ...["parameters", "named_parameters", "buffers", "named_buffers", "children", "named_children", "modules", "named_modules"],
  ...["state_dict", "load_state_dict", "zero_grad", "requires_grad_", "share_memory", "extra_repr", "add_module", "register_module"],
  ...["register_buffer", "register_parameter", "get_submodule", "get_parameter", "get_buffer", "get_extra_state", "set_extra_state"],
  ...["register_forward_hook", "register_forward_pre_hook", "register_backward_hook", "register_full_backward_hook", "dump_patches"],
  ...["to_empty", "call_super_init", "keys", "items", "values", "update", "pop", "clear"],
]);

/** The generated Python file of `model`. */
export function emitTorch(model: CheckedModel, options: TorchEmitOptions): string {
  const root = scopeTree(model);
  const where = (file: string, offset: number) => {
    const line = options.sources(file)?.lineCol(offset).line;
    return line === undefined ? basename(file) : `${basename(file)}:${line + 1}`;
  };
  const classOf = new Map<ScopeNode, { info: ClassInfo; index: number }>();
  const classes: ClassInfo[] = [];
  const taken = new Set<string>(RESERVED);
  // Blocks are grouped level by level from the innermost, so that a class's constructor
  // parameters are settled before the classes that build it are written.
  const blocks = blockNodes(root);
  for (const level of levels(blocks)) {
    const fresh: ClassInfo[] = [];
    for (const node of level) {
      const template = writeClass(model, node, classOf, where);
      const key = `${node.instance!.block}\n${template.init.join("\n")}\n${template.forward.join("\n")}`;
      let info = fresh.find((c) => c.key === key);
      if (!info) {
        info = { name: uniqueName(node.instance!.block!, taken), block: node.instance!.block, key, nodes: [], templates: [], params: [], floats: new Set(), kept: new Map(), slotText: [], args: [] };
        fresh.push(info);
        classes.push(info);
      }
      classOf.set(node, { info, index: info.nodes.length });
      info.nodes.push(node);
      info.templates.push(template);
    }
    for (const info of fresh) settleSlots(model, info);
  }
  const modelClass: ClassInfo = { name: uniqueName(model.name, taken), nodes: [root], templates: [writeClass(model, root, classOf, where)], params: [], floats: new Set(), kept: new Map(), slotText: [], args: [] };
  settleSlots(model, modelClass);
  classes.push(modelClass);

  const uses = new Set<string>();
  for (const c of classes) for (const t of c.templates) for (const u of t.uses) uses.add(u);
  const input = model.inputs.map((i) => `${i.name}: [${model.values[i.value].shape.join(", ")}]`).join(", ");
  const last = model.outputs.length === 1 ? model.layers[model.values[model.outputs[0]].producer ?? -1]?.kind : undefined;
  const output = last === "softmax" || last === "log_softmax" ? last : "logits";
  const header = [
    `"""${model.name}, generated by nnc from ${basename(options.sourcePath)}; do not edit.`,
    "",
    `Input: ${input}. The state_dict keys are nnc's parameter names, so checkpoints move between`,
    "this module and nnc as safetensors files: load_weights(model, path) and save_weights(model, path).",
    '"""',
  ].join("\n");
  const shapes = model.inputs.map((i) => `${pyString(i.name)}: (${model.values[i.value].shape.map((d) => (typeof d === "number" ? String(d) : "None")).join(", ")})`);
  const constants = [
    "# The model's inputs in order, with their shapes (None where a size is symbolic, as the batch).",
    `INPUTS = {${shapes.join(", ")}}`,
    "# The final classifier's parameters: adaptive_clip_grad leaves them out unless told otherwise.",
    `CLASSIFIER = (${options.classifier.map(pyString).join(", ")}${options.classifier.length === 1 ? "," : ""})`,
    `# What the model returns, for loss(): "logits", or the output of a final "softmax" or "log_softmax".`,
    `OUTPUT = ${pyString(output)}`,
  ].join("\n");
  const body = classes.map((c) => classText(model, c, where)).join("\n\n\n");
  return `${header}\n${IMPORTS}\n\n\n${supportSection(uses)}\n\n\n${constants}\n\n\n${body}\n\n\nMODEL = ${modelClass.name}\n`;
}

/** The scopes of `model` as a tree under the model, each with its layers and inner scopes in execution order. */
function scopeTree(model: CheckedModel): ScopeNode {
  const instances = new Map(model.scopes.map((s) => [s.path, s]));
  const root: ScopeNode = { path: "", items: [] };
  const nodes = new Map<string, ScopeNode>([["", root]]);
  for (const layer of model.layers) {
    let parent = root;
    for (const path of layer.scopes) {
      let node = nodes.get(path);
      if (!node) {
        node = { path, instance: instances.get(path), items: [] };
        nodes.set(path, node);
        parent.items.push({ kind: "scope", node });
      }
      parent = node;
    }
    parent.items.push({ kind: "layer", layer });
  }
  return root;
}

/** Every block instance under `node`, innermost first. */
function blockNodes(node: ScopeNode): ScopeNode[] {
  const out: ScopeNode[] = [];
  for (const item of node.items) if (item.kind === "scope") out.push(...blockNodes(item.node));
  if (node.instance?.block !== undefined) out.push(node);
  return out;
}

/** Block instances by how many levels of blocks they hold (0: none), in order within a level. */
function levels(blocks: readonly ScopeNode[]): ScopeNode[][] {
  const depth = new Map<ScopeNode, number>();
  const depthOf = (node: ScopeNode): number => {
    let d = 0;
    for (const item of node.items) {
      if (item.kind !== "scope") continue;
      const inner = depthOf(item.node);
      d = Math.max(d, item.node.instance?.block !== undefined ? inner + 1 : inner);
    }
    return d;
  };
  for (const b of blocks) depth.set(b, depthOf(b));
  const out: ScopeNode[][] = [];
  for (const b of blocks) (out[depth.get(b)!] ??= []).push(b);
  return out.filter((l) => l !== undefined);
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let k = 2; taken.has(name); k++) name = `${base}_${k}`;
  taken.add(name);
  return name;
}

/** The class text of one instance (`node`), its numbers left as slots. */
function writeClass(model: CheckedModel, node: ScopeNode, classOf: Map<ScopeNode, { info: ClassInfo; index: number }>, where: (file: string, offset: number) => string): Template {
  const template: Template = { init: [], forward: [], slots: [], uses: new Set() };
  let inForward = false;
  let readsInput = false;
  const slot = (value: AttrValue, what: string, float = false) => {
    template.slots.push({ value, what, float, forward: inForward, readsInput });
    return `${SLOT}${template.slots.length - 1}${SLOT}`;
  };
  const prefix = node.path === "" ? "" : `${node.path}.`;
  const locals = new Set<string>(RESERVED);
  const names = new Map<number, string>();
  const inputNames = node.instance?.inputNames ?? model.inputs.map((i) => i.name);
  const inputs = node.instance?.inputs ?? model.inputs.map((i) => i.value);
  inputs.forEach((v, i) => names.set(v, uniqueName(pyIdentifier(inputNames[i] ?? `x${i}`), locals)));
  const created = new Set<string>();
  // The Python expression of the module at relative path `rel`, creating the ModuleDicts of its groups.
  const moduleRef = (rel: string, register: string | undefined): string => {
    const parts = rel.split(".");
    let ref = "self";
    parts.forEach((part, i) => {
      const inDict = i > 0;
      if (MODULE_ATTRIBUTES.has(part)) {
        throw new TorchFormError(`\`${prefix}${rel}\`: PyTorch cannot name a submodule \`${part}\` (an attribute of nn.Module); relabel it`);
      }
      if (!inDict && part.startsWith("_")) {
        throw new TorchFormError(`\`${prefix}${rel}\`: PyTorch cannot name a submodule \`${part}\` (names starting with an underscore are nn.Module's own); relabel it`);
      }
      const next = inDict ? `${ref}[${pyString(part)}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(part) && !RESERVED.has(part) ? `${ref}.${part}` : `getattr(${ref}, ${pyString(part)})`;
      const path = parts.slice(0, i + 1).join(".");
      if (register !== undefined && !created.has(path)) {
        created.add(path);
        const value = i === parts.length - 1 ? register : "nn.ModuleDict()";
        const target = inDict || next.startsWith("self.") ? `${next} = ${value}` : `self.add_module(${pyString(part)}, ${value})`;
        template.init.push(target);
      }
      ref = next;
    });
    return ref;
  };
  const localFor = (rel: string) => uniqueName(pyIdentifier(rel.replace(/\./g, "_")), locals);
  const walk = (scope: ScopeNode) => {
    for (const item of scope.items) {
      if (item.kind === "scope" && item.node.instance?.block === undefined) {
        walk(item.node);
        continue;
      }
      if (item.kind === "scope") {
        const child = item.node;
        const rel = child.path.slice(prefix.length);
        const { info, index } = classOf.get(child)!;
        const args = info.params.map((p) => `${p}=${slot(info.args[index].get(p)!, p, info.floats.has(p))}`).join(", ");
        const ref = moduleRef(rel, `${info.name}(${args})`);
        const ins = child.instance!.inputs.map((v) => names.get(v)!).join(", ");
        const outs = child.instance!.outputs;
        const at = where(child.instance!.origin.file, child.instance!.origin.span.start);
        const fresh = outs.filter((v) => !names.has(v));
        const targets = outs.map((v, i) => names.get(v) ?? (outs.length === 1 ? localFor(rel) : localFor(`${rel}_${i}`)));
        outs.forEach((v, i) => { if (!names.has(v)) names.set(v, targets[i]); });
        if (fresh.length > 0) template.forward.push(`${targets.join(", ")} = ${ref}(${ins})  # ${at}`);
        continue;
      }
      const layer = item.layer;
      const rel = layer.path.slice(prefix.length);
      const entry = LAYERS.get(layer.kind);
      if (!entry?.torch) throw new TorchFormError(`layer ${layer.kind} (${layer.path}) has no PyTorch form`);
      const form = entry.torch;
      let self = "";
      const ctx: TorchContext = {
        attrs: layer.attrs,
        inputShapes: layer.inputs.map((v) => model.values[v].shape),
        outputShape: model.values[layer.output].shape,
        inputs: layer.inputs.map((v) => names.get(v)!),
        get self() {
          return self;
        },
        value: (v, what, type) => slot(v, what, type === "float"),
        use: (name) => template.uses.add(name),
      };
      readsInput = channelsFrom(model, layer.inputs[0], inputs[0]);
      if (form.module) self = moduleRef(rel, form.module(ctx));
      inForward = true;
      const call = form.call(ctx);
      inForward = false;
      readsInput = false;
      if (layer.inputs.length > 0 && call === ctx.inputs[0]) {
        names.set(layer.output, call);
        continue;
      }
      const local = localFor(rel);
      names.set(layer.output, local);
      template.forward.push(`${local} = ${call}  # ${where(layer.origin.file, layer.origin.span.start)}`);
    }
  };
  walk(node);
  const outputs = node.instance?.outputs ?? model.outputs;
  template.forward.push(`return ${outputs.map((v) => names.get(v)!).join(", ")}`);
  return template;
}

/**
 * Whether `value` carries the channels of `input`: it is `input`, or comes from it through layers
 * that keep the channel count without setting it (pools, normalizations, activations), so that a
 * layer reading it sees `in_channels` channels. A conv or dense layer sets its channels even where
 * the count happens to be the same.
 */
function channelsFrom(model: CheckedModel, value: number, input: number | undefined): boolean {
  for (let v = value; ; ) {
    if (v === input) return true;
    const producer = model.values[v].producer;
    if (producer === undefined) return false;
    const layer = model.layers[producer];
    if (layer.kind === "conv" || layer.kind === "dense" || layer.inputs.length === 0) return false;
    const before = layer.inputs[0];
    if (model.values[before].shape[1] !== model.values[v].shape[1]) return false;
    v = before;
  }
}

/**
 * Settles which of a class's slots are literals and which are constructor parameters: a number
 * that is the same in every instance is written out; one that differs is the block parameter
 * whose value it always equals, else `in_channels` when it is always the first input's channel
 * count, else a new parameter named after what it is. `forward` reads a parameter as an attribute
 * that the constructor keeps (`self.k`).
 */
function settleSlots(model: CheckedModel, info: ClassInfo): void {
  const count = info.templates[0].slots.length;
  const params = new Map<string, AttrValue[]>();
  const configNames = info.block === undefined ? [] : Object.keys(info.nodes[0].instance!.config ?? {});
  const configOf = (n: number, name: string) => info.nodes[n].instance!.config![name] as AttrValue;
  const channelsOf = (n: number) => model.values[info.nodes[n].instance!.inputs[0]]?.shape[1] as AttrValue;
  info.slotText = [];
  for (let s = 0; s < count; s++) {
    const values = info.templates.map((t) => t.slots[s].value);
    const { what, float, forward, readsInput } = info.templates[0].slots[s];
    if (values.every((v) => sameValue(v, values[0]))) {
      info.slotText.push(pyLiteral(values[0], float));
      continue;
    }
    const matches = (of: (n: number) => AttrValue) => values.every((v, n) => sameValue(v, of(n)));
    // The input size of a layer that reads the block's input is read as `in_channels` first,
    // anything else as a block parameter first.
    const inputSize = readsInput && (what === "in_channels" || what === "in_features");
    const byInput = matches(channelsOf);
    let name = inputSize && byInput ? "in_channels" : configNames.find((c) => matches((n) => configOf(n, c)));
    if (name === undefined && byInput) name = "in_channels";
    if (name === "in_channels") params.set(name, values.map((_, n) => channelsOf(n)));
    else if (name !== undefined) params.set(name, values.map((_, n) => configOf(n, name!)));
    else {
      name = [...params].find(([, vs]) => vs.every((v, n) => sameValue(v, values[n])))?.[0];
      if (name === undefined) {
        name = pyIdentifier(what);
        for (let k = 2; params.has(name) || configNames.includes(name) || name === "in_channels"; k++) name = `${pyIdentifier(what)}_${k}`;
        params.set(name, values);
      }
    }
    if (float) info.floats.add(name);
    if (forward && !info.kept.has(name)) {
      const attribute = info.templates[0].init.some((l) => l.startsWith(`self.${name} `) || l.startsWith(`self.add_module(${pyString(name)}`)) ? `${name}_value` : name;
      info.kept.set(name, attribute);
    }
    info.slotText.push(forward ? `self.${info.kept.get(name)}` : name);
  }
  const order = [...(params.has("in_channels") ? ["in_channels"] : []), ...configNames.filter((c) => params.has(c)), ...[...params.keys()].filter((p) => p !== "in_channels" && !configNames.includes(p))];
  info.params = order;
  info.args = info.nodes.map((_, n) => new Map(order.map((p) => [p, params.get(p)![n]])));
}

/** Equal as values, where an int and a square pair `(v, v)` are the same. */
function sameValue(a: AttrValue, b: AttrValue): boolean {
  const norm = (v: AttrValue): unknown => (Array.isArray(v) && v.length === 2 && v[0] === v[1] && typeof v[0] === "number" ? v[0] : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** The text of one class, its slots filled in. */
function classText(model: CheckedModel, info: ClassInfo, where: (file: string, offset: number) => string): string {
  const fill = (line: string) => line.replace(new RegExp(`${SLOT}(\\d+)${SLOT}`, "g"), (_, i: string) => info.slotText[Number(i)]);
  const t = info.templates[0];
  const first = info.nodes[0];
  let doc: string;
  if (first.instance) {
    const at = where(first.instance.origin.file, first.instance.origin.span.start);
    const instances = info.nodes.map((n) => n.path);
    const shown = instances.length <= 6 ? instances.join(", ") : `${instances.slice(0, 5).join(", ")} and ${instances.length - 5} more`;
    const one = instances.length === 1;
    doc = `Block ${info.block}, as ${one ? "instance" : "instances"} ${shown} ${one ? "expands" : "expand"} it (called at ${at}).`;
    if (info.name !== info.block) {
      doc += `\n\n${one ? "It expands" : "They expand"} the block differently from class ${info.block} (another branch of an \`if\`, or other layers), hence a class of ${one ? "its" : "their"} own.`;
    }
  } else {
    doc = `Model ${model.name} (${where(model.origin.file, model.origin.span.start)}).`;
  }
  const params = info.params.map((p) => `, ${p}`).join("");
  const inputs = (first.instance?.inputNames ?? model.inputs.map((i) => i.name)).map(pyIdentifier);
  const lines = [
    `class ${info.name}(nn.Module):`,
    ...docstring(doc, "    "),
    "",
    `    def __init__(self${params}):`,
    "        super().__init__()",
    ...[...info.kept].map(([param, attribute]) => `        self.${attribute} = ${param}`),
    ...t.init.map((l) => `        ${fill(l)}`),
    "",
    `    def forward(self, ${inputs.join(", ")}):`,
    ...t.forward.map((l) => `        ${fill(l)}`),
  ];
  return lines.join("\n");
}

/** A docstring at `indent`, its paragraphs wrapped to 99 columns. */
function docstring(text: string, indent: string): string[] {
  const width = 99 - indent.length;
  const paragraphs = text.split("\n\n").map((p) => {
    const lines: string[] = [];
    let line = "";
    for (const word of p.split(" ")) {
      if (line !== "" && line.length + 1 + word.length > width - (lines.length === 0 ? 3 : 0)) {
        lines.push(line);
        line = word;
      } else line = line === "" ? word : `${line} ${word}`;
    }
    return [...lines, line];
  });
  if (paragraphs.length === 1 && paragraphs[0].length === 1 && paragraphs[0][0].length + 6 <= width) return [`${indent}"""${paragraphs[0][0]}"""`];
  const body = paragraphs.map((p) => p.map((l) => `${indent}${l}`)).reduce((all, p) => [...all, "", ...p]);
  body[0] = `${indent}"""${body[0].slice(indent.length)}`;
  return [...body, `${indent}"""`];
}

/** A Python identifier for a source name (a name that is a keyword gets a trailing underscore). */
function pyIdentifier(name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_]/g, "_");
  const start = /^[0-9]/.test(clean) ? `_${clean}` : clean;
  return RESERVED.has(start) ? `${start}_` : start;
}

/** A Python string literal. */
export function pyString(s: string): string {
  return JSON.stringify(s);
}

/**
 * A Python literal for an attribute value: numbers, bools, strings, lists; a square pair as one
 * int; whole numbers as floats (`0.0`) where `float`.
 */
export function pyLiteral(v: AttrValue, float = false): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return pyNumber(v, float);
  if (typeof v === "string") return pyString(v);
  if (Array.isArray(v)) {
    if (v.length === 2 && v[0] === v[1] && typeof v[0] === "number") return pyNumber(v[0], float);
    return `(${v.map((x) => pyLiteral(x as AttrValue, float)).join(", ")}${v.length === 1 ? "," : ""})`;
  }
  return String(v);
}

function pyNumber(v: number, float: boolean): string {
  if (Number.isInteger(v)) return float ? `${v}.0` : String(v);
  if (!Number.isFinite(v)) return v > 0 ? 'float("inf")' : v < 0 ? 'float("-inf")' : 'float("nan")';
  return String(v);
}
