/**
 * Expression evaluation. The syntax tree does not say whether `[relu]` is a group or a list, or
 * whether a pipeline builds a tensor or a layer; the values decide:
 * - a pipeline that starts with a tensor (or a tuple of tensors) applies each stage in turn;
 *   one that starts with a layer is a chain, itself a layer;
 * - a one-element list holding a layer is that layer (an unlabelled group is not a scope);
 * - `if` evaluates only the chosen side, so the other need not type-check.
 * `inStage` marks a pipeline stage: a call there waits for the piped tensor.
 */
import type { Expr, ForExpr, IfExpr, LabelExpr, PipeExpr, UnaryExpr } from "../syntax/ast.js";
import type { Elaboration, Env } from "./context.js";
import { describeValue, ERROR, layerValue, type Layer, type Site, type Value } from "./values.js";
import { evaluateName, lookupName, reportUnknown } from "./names.js";
import { evaluateCall } from "./calls.js";
import { evaluateBinary } from "./arithmetic.js";
import { applyLayer, asInputs, inputCount } from "./apply.js";
import { checkIntegerLiteral } from "./limits.js";

/** Evaluates `expr` in `env`. Never throws; problems are reported and yield ERROR. */
export function evaluate(ctx: Elaboration, expr: Expr, env: Env, inStage = false): Value {
  switch (expr.kind) {
    case "number":
      if (!expr.isInt) return { k: "float", v: expr.value };
      return checkIntegerLiteral(ctx, expr.text, expr.value, siteOf(env, expr)) ? { k: "int", v: expr.value } : ERROR;
    case "string":
      return { k: "string", v: expr.value };
    case "bool":
      return { k: "bool", v: expr.value };
    case "name":
      return evaluateName(ctx, expr.name, { file: env.file.path, span: expr.span }, env);
    case "list": {
      const items = expr.items.map((item) => evaluate(ctx, item, env));
      if (items.some((i) => i.k === "error")) return ERROR;
      return items.length === 1 && items[0].k === "layer" ? items[0] : { k: "list", items };
    }
    case "tuple": {
      const items = expr.items.map((item) => evaluate(ctx, item, env));
      return items.some((i) => i.k === "error") ? ERROR : { k: "tuple", items };
    }
    case "paren":
      return evaluate(ctx, expr.inner, env, inStage);
    case "call":
      return evaluateCall(ctx, expr, env, inStage);
    case "pipe":
      return evaluatePipe(ctx, expr, env);
    case "label":
      return evaluateLabel(ctx, expr, env, inStage);
    case "binary":
      return evaluateBinary(ctx, expr, env);
    case "unary":
      return evaluateUnary(ctx, expr, env);
    case "if":
      return evaluateIf(ctx, expr, env, inStage);
    case "for":
      return evaluateFor(ctx, expr, env);
    case "error":
      return ERROR;
  }
}

function siteOf(env: Env, expr: Expr): Site {
  return { file: env.file.path, span: expr.span };
}

function evaluatePipe(ctx: Elaboration, pipe: PipeExpr, env: Env): Value {
  const [head, ...stages] = pipe.stages;
  if (!head) return ERROR;
  const first = evaluate(ctx, head, env);
  if (first.k === "error") return unknownStagesAfter(ctx, stages, -1, env);
  if (first.k === "layer") {
    const chain: Layer[] = [first.layer];
    for (const [i, stage] of stages.entries()) {
      const v = stageLayer(ctx, stage, env);
      if (!v) return unknownStagesAfter(ctx, stages, i, env);
      chain.push(v);
    }
    return layerValue({ kind: "chain", stages: chain });
  }
  if (!asInputs(first)) {
    ctx.error("E0307", siteOf(env, head), `a pipeline starts with a tensor (or a layer), got ${describeValue(first)}`);
    return ERROR;
  }
  let current: Value = first;
  for (const [i, stage] of stages.entries()) {
    const layer = stageLayer(ctx, stage, env);
    const inputs = asInputs(current);
    if (!layer || !inputs) return unknownStagesAfter(ctx, stages, i, env);
    current = applyLayer(ctx, layer, inputs);
    if (current.k === "error") return unknownStagesAfter(ctx, stages, i, env);
    ctx.record("stage", siteOf(env, stage), inputs, current);
  }
  return current;
}

/**
 * After stage `failed` of a pipeline fails, the stages after it cannot run, but a layer name
 * that does not exist is wrong whatever flows into it: each is reported (with its suggestion),
 * so that `Conv2d -> BatchNorm2d -> ReLU` costs one round of fixes, not three.
 */
function unknownStagesAfter(ctx: Elaboration, stages: readonly Expr[], failed: number, env: Env): Value {
  for (const stage of stages.slice(failed + 1)) {
    let callee: Expr = stage;
    while (callee.kind === "label" || callee.kind === "paren") callee = callee.kind === "label" ? callee.value : callee.inner;
    const name = callee.kind === "name" ? callee.name : callee.kind === "call" ? callee.callee.name : undefined;
    const span = callee.kind === "name" ? callee.span : callee.kind === "call" ? callee.callee.span : undefined;
    if (name === undefined || span === undefined) continue;
    if (lookupName(name, { file: env.file.path, span }, env).kind === "unknown") reportUnknown(ctx, name, { file: env.file.path, span }, env);
  }
  return ERROR;
}

/** Evaluates a pipeline stage, which must be a layer. */
function stageLayer(ctx: Elaboration, stage: Expr, env: Env): Layer | undefined {
  const v = evaluate(ctx, stage, env, true);
  if (v.k === "layer") return v.layer;
  if (v.k !== "error") ctx.error("E0307", siteOf(env, stage), `a pipeline stage must be a layer, got ${describeValue(v)}`);
  return undefined;
}

function evaluateLabel(ctx: Elaboration, expr: LabelExpr, env: Env, inStage: boolean): Value {
  const inner = evaluate(ctx, expr.value, env, true);
  if (inner.k === "error") return ERROR;
  if (inner.k !== "layer") {
    ctx.error("E0307", siteOf(env, expr), `a label names a layer, got ${describeValue(inner)}`);
    return ERROR;
  }
  const labelled: Layer = { kind: "labelled", label: expr.label, inner: inner.layer, site: siteOf(env, expr) };
  const layer = inner.layer;
  const ready = (layer.kind === "op" || layer.kind === "block") && layer.bound.length >= (inputCount(layer) ?? Infinity);
  return !inStage && ready ? applyLayer(ctx, labelled, []) : layerValue(labelled);
}

/**
 * Evaluates a chain of nodes (`top`, `inner(top)`, `inner(inner(top))`, …) in a loop rather than
 * by recursion, so that a long chain does not use the stack: the innermost node's operand is
 * evaluated by `bottom`, then `apply` folds each node back up, innermost first, until an error.
 */
export function foldChain<N>(top: N, inner: (node: N) => N | undefined, bottom: (node: N) => Value, apply: (node: N, value: Value) => Value): Value {
  const chain: N[] = [top];
  for (let next = inner(top); next !== undefined; next = inner(next)) chain.push(next);
  let value = bottom(chain[chain.length - 1]);
  for (let i = chain.length - 1; i >= 0 && value.k !== "error"; i--) value = apply(chain[i], value);
  return value.k === "error" ? ERROR : value;
}

/** A unary operator, or a chain of them (`- - x`, `not not b`), applied from the inside out. */
function evaluateUnary(ctx: Elaboration, expr: UnaryExpr, env: Env): Value {
  return foldChain(
    expr,
    (e) => (e.operand.kind === "unary" ? e.operand : undefined),
    (e) => evaluate(ctx, e.operand, env),
    (e, v) => applyUnary(ctx, e, env, v),
  );
}

function applyUnary(ctx: Elaboration, expr: UnaryExpr, env: Env, v: Value): Value {
  if (expr.op === "not") {
    if (v.k === "bool") return { k: "bool", v: !v.v };
    ctx.error("E0307", siteOf(env, expr.operand), `not needs a bool, got ${describeValue(v)}`);
    return ERROR;
  }
  if (v.k === "int" || v.k === "float") return { k: v.k, v: -v.v };
  if (v.k === "symbolic") ctx.error("E0206", siteOf(env, expr.operand), `negation needs a static value, but ${v.v} is a symbolic dimension`);
  else ctx.error("E0307", siteOf(env, expr.operand), `- needs a number, got ${describeValue(v)}`);
  return ERROR;
}

function evaluateIf(ctx: Elaboration, expr: IfExpr, env: Env, inStage: boolean): Value {
  const cond = evaluate(ctx, expr.cond, env);
  if (cond.k === "error") return ERROR;
  if (cond.k !== "bool") {
    ctx.error("E0307", siteOf(env, expr.cond), `the condition of if must be a bool, got ${describeValue(cond)}`);
    return ERROR;
  }
  return evaluate(ctx, cond.v ? expr.then : expr.else, env, inStage);
}

function evaluateFor(ctx: Elaboration, expr: ForExpr, env: Env): Value {
  let items = evaluate(ctx, expr.iterable, env);
  if (items.k === "error") return ERROR;
  // `[relu]` reads as a group wherever a layer may stand; here it is a one-element list.
  if (items.k === "layer" && expr.iterable.kind === "list") items = { k: "list", items: [items] };
  if (items.k !== "list" && items.k !== "tuple") {
    ctx.error("E0307", siteOf(env, expr.iterable), `for iterates over a list, got ${describeValue(items)}`);
    return ERROR;
  }
  return layerValue({
    kind: "for",
    variable: expr.variable,
    items: items.items,
    body: expr.body,
    file: env.file,
    locals: env.locals,
    dynamic: env.dynamic,
    site: siteOf(env, expr),
  });
}
