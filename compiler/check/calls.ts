/**
 * Calls: `f(args)` for an operator, a block, a layer value or a built-in function.
 *
 * Leading positional arguments that are tensors are the layer's inputs (`conv(x, 64, 3)`,
 * `concat(a, b, axis: 1)`); the rest configure it. A call makes a layer closure; outside a
 * pipeline, a closure that already has all its tensor inputs is applied on the spot, while in a
 * pipeline stage it waits for the piped tensor, which comes first (`x -> add(y)` is `add(x, y)`).
 */
import type { CallExpr } from "../syntax/ast.js";
import type { Elaboration, Env } from "./context.js";
import type { BlockInfo } from "./files.js";
import type { OperatorDef } from "./operator-def.js";
import { bindArguments, operatorSignature, resolveAttrs, type ArgValue } from "./arguments.js";
import { Locals } from "./environment.js";
import { conformTo } from "./params.js";
import { describeValue, divisionNote, ERROR, layerValue, type Layer, type Site, type TensorRef, type Value } from "./values.js";
import { evaluate } from "./evaluate.js";
import { lookupName, reportUnknown } from "./names.js";
import { applyLayer, inputCount } from "./apply.js";
import { NUMBER_FUNCTIONS, OPERATORS } from "./operators.js";

/** Makes an operator closure from its configuration arguments; ERROR after reporting. */
export function makeOpLayer(ctx: Elaboration, op: OperatorDef, bound: readonly TensorRef[], args: readonly ArgValue[], site: Site): Value {
  const bindings = bindArguments(ctx, op.name, operatorSignature(op), args, site);
  if (!bindings) return ERROR;
  const attrs = resolveAttrs(ctx, op, bindings);
  if (!attrs) return ERROR;
  const argSites = new Map<string, Site>();
  for (const [name, arg] of bindings) argSites.set(name, arg.site);
  return layerValue({ kind: "op", op, attrs, argSites, bound, site });
}

/** Makes a block closure: binds and type-checks its configuration, filling in defaults. */
export function makeBlockLayer(
  ctx: Elaboration,
  block: BlockInfo,
  bound: readonly TensorRef[],
  args: readonly ArgValue[],
  site: Site,
  env: Env,
): Value {
  const signature = block.config.map((p) => ({ name: p.name.name, required: p.default === undefined }));
  const bindings = bindArguments(ctx, `block ${block.name}`, signature, args, site);
  if (!bindings) return ERROR;
  const config = new Map<string, Value>();
  const defaults = new Locals();
  let ok = true;
  for (const param of block.config) {
    const given = bindings.get(param.name.name);
    let value: Value;
    let at: Site;
    if (given) {
      value = given.value;
      at = given.site;
    } else {
      // A default may use the parameters before it (`d: int = 2 * c`).
      value = evaluate(ctx, param.default!, { file: block.file, locals: defaults, dynamic: env.dynamic });
      at = { file: block.file.path, span: param.default!.span };
    }
    const converted = conformTo(value, param.type!);
    if (typeof converted === "string") {
      ctx.error("E0306", at, `argument \`${param.name.name}\` of block ${block.name}: ${converted}`, divisionNote(value));
      ok = false;
      continue;
    }
    if (converted.k === "error") ok = false;
    config.set(param.name.name, converted);
    defaults.define(param.name.name, { value: converted, site: at });
  }
  if (!ok) return ERROR;
  return layerValue({ kind: "block", block, config, bound, site, dynamic: env.dynamic });
}

/** Evaluates a call; `inStage` is true for a pipeline stage, which never applies on the spot. */
export function evaluateCall(ctx: Elaboration, call: CallExpr, env: Env, inStage: boolean): Value {
  const site: Site = { file: env.file.path, span: call.span };
  const calleeSite: Site = { file: env.file.path, span: call.callee.span };
  const name = call.callee.name;
  const args: ArgValue[] = call.args.map((a) => ({
    value: evaluate(ctx, a.value, env),
    site: { file: env.file.path, span: a.span },
    name: a.name?.name,
    nameSite: a.name ? { file: env.file.path, span: a.name.span } : undefined,
  }));
  const target = lookupName(name, site, env);
  if (target.kind === "unknown") {
    reportUnknown(ctx, name, calleeSite, env);
    return ERROR;
  }
  if (args.some((a) => a.value.k === "error")) return ERROR;
  if (target.kind === "builtin") return builtinCall(ctx, name, args, site);
  let leading = 0;
  while (leading < args.length && args[leading].name === undefined && args[leading].value.k === "tensor") leading++;
  const bound = args.slice(0, leading).map((a) => a.value as TensorRef);
  const config = args.slice(leading);
  let made: Value;
  if (target.kind === "operator") {
    made = makeOpLayer(ctx, OPERATORS.get(target.name)!, bound, config, site);
  } else if (target.kind === "top" && target.entry.kind === "block") {
    made = makeBlockLayer(ctx, target.entry.info, bound, config, site, env);
  } else {
    const value = target.kind === "top" ? evaluate(ctx, { kind: "name", name, span: call.callee.span }, env) : target.kind === "value" ? target.value : ERROR;
    made = withInputs(ctx, name, value, bound, config, site);
  }
  if (made.k !== "layer" || inStage) return made;
  const needed = inputCount(made.layer);
  return needed !== undefined && bound.length >= needed ? applyLayer(ctx, made.layer, []) : made;
}

/** `f(x)` where `f` is a layer value: only tensor inputs may be given. */
function withInputs(ctx: Elaboration, name: string, value: Value, bound: readonly TensorRef[], config: readonly ArgValue[], site: Site): Value {
  if (value.k === "error") return ERROR;
  if (value.k !== "layer") {
    ctx.error("E0307", site, `\`${name}\` is ${describeValue(value)}, not a layer; it cannot be called`);
    return ERROR;
  }
  if (config.length > 0) {
    ctx.error("E0307", config[0].site, `\`${name}\` is a layer value with its arguments bound; call it only with tensor inputs, as ${name}(x)`);
    return ERROR;
  }
  const layer: Layer = value.layer;
  if (bound.length === 0) return value;
  if (layer.kind === "op" || layer.kind === "block") return layerValue({ ...layer, bound: [...layer.bound, ...bound] });
  // A composite layer value applied to tensors in call form: `stage(x)`.
  return applyLayer(ctx, layer, bound);
}

/** `channels(t)`, `shape(t)`, `rank(t)`, `min(a, b, ...)`, `max(a, b, ...)`. */
function builtinCall(ctx: Elaboration, name: string, args: readonly ArgValue[], site: Site): Value {
  if (NUMBER_FUNCTIONS.has(name)) return extremum(ctx, name, args, site);
  if (args.length !== 1 || args[0].name !== undefined) {
    ctx.error("E0304", args[1]?.site ?? site, `${name} takes exactly one tensor, as ${name}(x)`);
    return ERROR;
  }
  const t = args[0].value;
  if (t.k !== "tensor") {
    ctx.error("E0306", args[0].site, `${name} expects a tensor, got ${describeValue(t)}`);
    return ERROR;
  }
  const shape = ctx.shapeOf(t);
  const dim = (d: number | string): Value => (typeof d === "number" ? { k: "int", v: d } : { k: "symbolic", v: d });
  if (name === "rank") return { k: "int", v: shape.length };
  if (name === "shape") return { k: "list", items: shape.map(dim) };
  if (shape.length < 2) {
    ctx.error("E0201", args[0].site, `channels needs a tensor of rank 2 or more, got rank ${shape.length}`);
    return ERROR;
  }
  return dim(shape[1]);
}

/**
 * `min(a, b, ...)` and `max(a, b, ...)` of compile-time numbers, or of one list of them: the
 * winning value itself, as Python returns it (an int stays an int; of equal values, the first).
 */
function extremum(ctx: Elaboration, name: string, args: readonly ArgValue[], site: Site): Value {
  const named = args.find((a) => a.name !== undefined);
  if (named) {
    ctx.error("E0302", named.nameSite ?? named.site, `${name} has no argument \`${named.name}\`; it takes numbers by position, as ${name}(a, b)`);
    return ERROR;
  }
  const list = args.length === 1 && (args[0].value.k === "list" || args[0].value.k === "tuple") ? args[0] : undefined;
  const items = list ? (list.value as { items: readonly Value[] }).items.map((value) => ({ value, site: list.site })) : args;
  if (items.length < (list ? 1 : 2)) {
    ctx.error("E0305", site, list ? `${name} of an empty list has no value` : `${name} needs two or more numbers, as ${name}(a, b), or a list of them`);
    return ERROR;
  }
  let best: Value | undefined;
  for (const item of items) {
    const v = item.value;
    if (v.k === "symbolic") {
      ctx.error("E0206", item.site, `${name} needs static values, but ${v.v} is a symbolic dimension`);
      return ERROR;
    }
    if (v.k !== "int" && v.k !== "float") {
      ctx.error("E0306", item.site, `${name} expects numbers, got ${describeValue(v)}`);
      return ERROR;
    }
    if (best === undefined || (name === "min" ? v.v < (best as { v: number }).v : v.v > (best as { v: number }).v)) best = v;
  }
  return best!;
}
