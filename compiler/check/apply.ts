/**
 * Applying a layer closure to tensors: this is where layer instances, parameters and their
 * names (`<layer path>.<leaf>`, docs/codegen.md "Weights") come into being.
 *
 * - An operator checks its input count, runs its table rule and records one instance.
 * - A block opens a naming scope (its label or `<Block><k>`) and elaborates its body with the
 *   caller's `use` aliases; a block already being expanded is recursion.
 * - A chain feeds each stage's output to the next; a repeat applies its layer n times (fresh
 *   parameters each time; zero times is the identity), measuring the first copy to refuse an expansion past the limit
 *   before making the rest; a `for` elaborates its body once per element.
 * - A label names an operator or block instance, or opens a scope around anything else.
 */
import type { Ident } from "../syntax/ast.js";
import type { Elaboration } from "./context.js";
import { isFailure } from "./operator-def.js";
import { describeLayer, describeValue, ERROR, plainValue, type BlockLayer, type Layer, type OpLayer, type Site, type TensorRef, type Value } from "./values.js";
import { Locals } from "./environment.js";
import { evaluate } from "./evaluate.js";
import { elaborateBody } from "./body.js";
import { checkLayerSizes } from "./limits.js";

/** The tensors a pipeline value feeds to the next stage, or undefined for an error. */
export function asInputs(v: Value): readonly TensorRef[] | undefined {
  if (v.k === "tensor") return [v];
  if (v.k === "tuple" && v.items.every((i) => i.k === "tensor")) return v.items as TensorRef[];
  return undefined;
}

/** How many tensor inputs an operator or block layer needs before it can run (at least). */
export function inputCount(layer: Layer): number | undefined {
  if (layer.kind === "op") return (layer.arity ?? layer.op.inputs) === 1 ? 1 : 2;
  if (layer.kind === "block") return layer.block.inputs.length;
  return undefined;
}

/** Applies `layer` to the piped tensors `piped` (its own bound tensors come after them). */
export function applyLayer(ctx: Elaboration, layer: Layer, piped: readonly TensorRef[], label?: Ident): Value {
  if (ctx.overLimit) return ERROR;
  ctx.steps++;
  switch (layer.kind) {
    case "op":
      return applyOp(ctx, layer, piped, label);
    case "block":
      return applyBlock(ctx, layer, piped, label);
    case "chain": {
      let current: Value = piped.length === 1 ? piped[0] : { k: "tuple", items: piped };
      for (const stage of layer.stages) {
        const inputs = asInputs(current);
        if (!inputs) return ERROR;
        current = applyLayer(ctx, stage, inputs);
      }
      return current;
    }
    case "repeat":
      return applyRepeat(ctx, layer.inner, layer.count, piped, layer.site);
    case "for":
      return applyFor(ctx, layer, piped);
    case "labelled": {
      const inner = layer.inner;
      if (inner.kind === "op" || inner.kind === "block") return applyLayer(ctx, inner, piped, layer.label);
      const name = ctx.nameInstance("", layer.label, layer.site.file);
      if (name === undefined) return ERROR;
      const path = ctx.pathOf(name);
      const result = ctx.inScope(name, () => applyLayer(ctx, inner, piped));
      recordScope(ctx, { path, inputs: piped, origin: layer.site }, result);
      return result;
    }
  }
}

function applyOp(ctx: Elaboration, layer: OpLayer, piped: readonly TensorRef[], label?: Ident): Value {
  const { op } = layer;
  const inputs = [...piped, ...layer.bound];
  const arity = layer.arity ?? op.inputs;
  if (arity === 1 ? inputs.length !== 1 : arity === 2 ? inputs.length !== 2 : inputs.length < 2) {
    const wanted = arity === 1 ? "one tensor input" : arity === 2 ? "two tensor inputs" : "two or more tensor inputs";
    ctx.error("E0209", layer.site, `${op.name} takes ${wanted}, got ${inputs.length}`);
    return ERROR;
  }
  const name = ctx.nameInstance(op.name, label, layer.site.file);
  if (name === undefined) return ERROR;
  const result = op.infer(layer.attrs, inputs.map((t) => ctx.shapeOf(t)));
  if (isFailure(result)) {
    const argSite = result.arg === undefined || layer.aliasSite ? undefined : layer.argSites.get(result.arg);
    const related = layer.aliasSite
      ? [{ file: layer.aliasSite.file, span: layer.aliasSite.span, message: `this is ${describeLayer(layer)}, bound here` }]
      : [];
    ctx.error(result.code, argSite ?? layer.site, result.message, related);
    return ERROR;
  }
  if (!checkLayerSizes(ctx, op.name, result.shape, result.params, layer.site)) return ERROR;
  const attrs = result.derived ? { ...layer.attrs, ...result.derived } : layer.attrs;
  const output = ctx.newTensor(result.shape, layer.site, ctx.layers.length);
  ctx.addLayer(name, op.name, attrs, inputs.map((t) => t.id), output.id, result.params, result.flops, layer.site);
  if (ctx.exceedsLimit(0, layer.site)) return ERROR;
  return output;
}

function applyBlock(ctx: Elaboration, layer: BlockLayer, piped: readonly TensorRef[], label?: Ident): Value {
  const { block } = layer;
  const at = ctx.blockStack.indexOf(block);
  if (at >= 0) {
    const chain = [...ctx.blockStack.slice(at), block].map((b) => b.name).join(" -> ");
    ctx.error("E0404", layer.site, `block ${block.name} calls itself: ${chain}; recursion cannot be expanded`);
    return ERROR;
  }
  const inputs = [...piped, ...layer.bound];
  if (inputs.length !== block.inputs.length) {
    const n = block.inputs.length;
    ctx.error("E0209", layer.site, `block ${block.name} takes ${n} tensor input${n === 1 ? "" : "s"}, got ${inputs.length}`);
    return ERROR;
  }
  const name = ctx.nameInstance(block.name, label, layer.site.file);
  if (name === undefined) return ERROR;
  const paramsBefore = ctx.params.length;
  const diagnosticsBefore = ctx.diagnostics.length;
  ctx.blockCalls.set(block, (ctx.blockCalls.get(block) ?? 0) + 1);
  const result = ctx.inScope(name, () => {
    ctx.blockStack.push(block);
    const locals = new Locals();
    block.inputs.forEach((p, i) => {
      locals.define(p.name.name, { value: inputs[i], site: { file: block.file.path, span: p.span } });
      ctx.record("binding", { file: block.file.path, span: p.name.span }, [], inputs[i]);
    });
    for (const [key, value] of layer.config) locals.define(key, { value, site: layer.site });
    const result = elaborateBody(ctx, block.decl.body, { file: block.file, locals, dynamic: layer.dynamic }, {
      what: `block ${block.name}`,
      site: { file: block.file.path, span: block.decl.name.span },
    });
    ctx.blockStack.pop();
    return result;
  });
  noteCall(ctx, layer, ctx.pathOf(name), diagnosticsBefore);
  if (ctx.trace) ctx.record("block", layer.site, inputs, result, learnableCount(ctx, paramsBefore));
  const config: Record<string, unknown> = {};
  for (const [key, value] of layer.config) config[key] = plainValue(value);
  const inputNames = block.inputs.map((p) => p.name.name);
  recordScope(ctx, { path: ctx.pathOf(name), block: block.name, config, inputNames, inputs, origin: layer.site }, result);
  return result;
}

/**
 * Adds an "in this call" note at the call site to each diagnostic reported inside the body of
 * the block just expanded: a block body is checked once per call, and an error that only some
 * calls' arguments or inputs cause is then told apart by the call that caused it. A block called
 * from a block gets one note per level, innermost first, as a macro backtrace would. Notes of
 * blocks expanded only once are dropped at the end (`Elaboration.finishCallNotes`).
 */
function noteCall(ctx: Elaboration, layer: BlockLayer, path: string, from: number): void {
  const { block } = layer;
  const body = block.decl.span;
  for (let i = from; i < ctx.diagnostics.length; i++) {
    const d = ctx.diagnostics[i];
    const inBlock = d.file === block.file.path && d.span.start >= body.start && d.span.start <= body.end;
    if (!inBlock && !d.related.some((r) => ctx.callNotes.has(r))) continue;
    const note = { file: layer.site.file, span: layer.site.span, message: `in this call of block ${block.name} (instance \`${path}\`)` };
    ctx.callNotes.set(note, block);
    ctx.diagnostics[i] = { ...d, related: [...d.related, note] };
  }
}

/** Records a finished block instance or labelled group whose result is `result`. */
function recordScope(
  ctx: Elaboration,
  scope: { path: string; block?: string; config?: Record<string, unknown>; inputNames?: readonly string[]; inputs: readonly TensorRef[]; origin: Site },
  result: Value,
): void {
  const outputs = asInputs(result);
  if (!outputs) return;
  const { path, block, config, inputNames, inputs, origin } = scope;
  ctx.scopeInstances.push({
    path,
    ...(block === undefined ? {} : { block, config, inputNames }),
    inputs: inputs.map((t) => t.id),
    outputs: outputs.map((t) => t.id),
    origin: { file: origin.file, span: origin.span },
  });
}

/** Learnable parameter elements created since `ctx.params` had `from` entries. */
function learnableCount(ctx: Elaboration, from: number): number {
  let n = 0;
  for (const p of ctx.params.slice(from)) if (!p.buffer) n += p.shape.reduce((a, b) => a * b, 1);
  return n;
}

function applyRepeat(ctx: Elaboration, inner: Layer, count: number, piped: readonly TensorRef[], site: Site): Value {
  // Zero copies pass the input through, as an empty `for` does, so `B * (n - 1)` works for n = 1.
  if (count === 0) return piped.length === 1 ? piped[0] : { k: "tuple", items: piped };
  const before = ctx.layers.length;
  const stepsBefore = ctx.steps;
  let current = applyLayer(ctx, inner, piped);
  const size = ctx.layers.length - before;
  if (count > 1 && ctx.exceedsLimit(size * (count - 1), site, (ctx.steps - stepsBefore) * (count - 1))) return ERROR;
  for (let i = 1; i < count; i++) {
    const inputs = asInputs(current);
    if (!inputs) return ERROR;
    current = applyLayer(ctx, inner, inputs);
  }
  return current;
}

function applyFor(ctx: Elaboration, layer: Extract<Layer, { kind: "for" }>, piped: readonly TensorRef[]): Value {
  let current: Value = piped.length === 1 ? piped[0] : { k: "tuple", items: piped };
  for (const item of layer.items) {
    const inputs = asInputs(current);
    if (!inputs) return ERROR;
    const locals = layer.locals.child();
    locals.define(layer.variable.name, { value: item, site: { file: layer.file.path, span: layer.variable.span } });
    const body = evaluate(ctx, layer.body, { file: layer.file, locals, dynamic: layer.dynamic });
    if (body.k === "error") return ERROR;
    if (body.k !== "layer") {
      ctx.error("E0307", { file: layer.file.path, span: layer.body.span }, `the body of a for must be a layer (such as conv(c, 3) -> relu), got ${describeValue(body)}`);
      return ERROR;
    }
    current = applyLayer(ctx, body.layer, inputs);
  }
  return current;
}
