/**
 * Elaborating one `model`: its configuration (defaults, or `--set` overrides already checked
 * by the caller), its tensor inputs (integer dimensions, symbolic names, or names of int
 * configuration parameters and `let`s), its body, and the flat `CheckedModel` that results.
 */
import type { ModelDecl, NameExpr, NumberLit } from "../syntax/ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { CheckedModel, Dim } from "./model.js";
import { Elaboration, type Env } from "./context.js";
import { Locals, type DynamicEnv } from "./environment.js";
import type { FileInfo } from "./files.js";
import { checkParams, conformTo } from "./params.js";
import { describeValue, divisionNote, ERROR, plainValue, type Site, type Value } from "./values.js";
import { evaluate } from "./evaluate.js";
import { elaborateBody } from "./body.js";
import { checkIntegerLiteral, checkTensorSize } from "./limits.js";

/** What `--set` decided for one model: parameter values and alias layers. */
export interface ModelOverrides {
  readonly params: ReadonlyMap<string, Value>;
  readonly aliases: ReadonlyMap<string, Value>;
}

/** Elaborates `decl` of `file`; diagnostics go to `diagnostics`; `trace` records `CheckedModel.trace`. */
export function elaborateModel(
  decl: ModelDecl,
  file: FileInfo,
  overrides: ModelOverrides,
  maxLayers: number,
  diagnostics: Diagnostic[],
  trace = false,
): CheckedModel {
  const ctx = new Elaboration(diagnostics, maxLayers, trace ? [] : undefined);
  const { inputs, config } = checkParams(decl, file.path, diagnostics);
  const locals = new Locals();
  const site = (span: Site["span"]): Site => ({ file: file.path, span });
  const configRecord: Record<string, unknown> = {};
  for (const param of config) {
    const name = param.name.name;
    let value = overrides.params.get(name);
    if (value === undefined) {
      if (!param.default) {
        ctx.error("E0305", site(param.span), `model parameter \`${name}\` has no default; give it one, or a value with --set ${name}=...`);
        continue;
      }
      const evaluated = evaluate(ctx, param.default, { file, locals, dynamic: undefined });
      const converted = conformTo(evaluated, param.type!);
      if (typeof converted === "string") {
        ctx.error("E0306", site(param.default.span), `default of \`${name}\`: ${converted}`, divisionNote(evaluated));
        continue;
      }
      value = converted;
    }
    locals.define(name, { value, site: site(param.name.span) });
    configRecord[name] = plainValue(value);
  }
  const modelInputs: { name: string; value: number }[] = [];
  for (const param of inputs) {
    if (param.type?.kind !== "shape") continue;
    const shape: Dim[] = [];
    for (const dim of param.type.dims) {
      const d = dimension(ctx, dim, { file, locals, dynamic: undefined });
      if (d !== undefined) shape.push(d);
    }
    if (shape.length !== param.type.dims.length || !checkTensorSize(ctx, `input ${param.name.name}`, shape, site(param.span))) {
      // Defined as an error value, so that its uses stay quiet instead of reporting an unknown name.
      locals.define(param.name.name, { value: ERROR, site: site(param.name.span) });
      continue;
    }
    const tensor = ctx.newTensor(shape, site(param.span));
    locals.define(param.name.name, { value: tensor, site: site(param.name.span) });
    ctx.record("binding", site(param.name.span), [], tensor);
    modelInputs.push({ name: param.name.name, value: tensor.id });
  }
  let dynamic: DynamicEnv | undefined;
  for (const [name, value] of overrides.aliases) dynamic = { name, value, parent: dynamic };
  const result = elaborateBody(ctx, decl.body, { file, locals, dynamic }, { what: `model ${decl.name.name}`, site: site(decl.name.span) }, new Set(overrides.aliases.keys()));
  ctx.finishCallNotes();
  const outputs = result.k === "tensor" ? [result.id] : result.k === "tuple" ? result.items.map((i) => (i as { id: number }).id) : [];
  return {
    name: decl.name.name,
    file: file.path,
    inputs: modelInputs,
    values: ctx.values,
    layers: ctx.layers,
    scopes: ctx.scopeInstances,
    outputs,
    params: ctx.params,
    config: configRecord,
    origin: { file: file.path, span: decl.span },
    ...(ctx.trace ? { trace: ctx.trace } : {}),
  };
}

/** One dimension of an input shape: a positive int, or a name (static if it names an int). */
function dimension(ctx: Elaboration, dim: NumberLit | NameExpr, env: Env): Dim | undefined {
  const site: Site = { file: env.file.path, span: dim.span };
  if (dim.kind === "number") {
    if (dim.isInt && !checkIntegerLiteral(ctx, dim.text, dim.value, site)) return undefined;
    if (dim.isInt && dim.value >= 1) return dim.value;
    ctx.error("E0207", site, `a dimension is a positive int or a symbolic name, got ${dim.text}`);
    return undefined;
  }
  if (dim.name === "") return undefined;
  const known = env.locals.lookup(dim.name) !== undefined || env.file.scope.get(dim.name)?.kind === "let";
  if (!known) return dim.name;
  const value = evaluate(ctx, dim, env);
  if (value.k === "int" && value.v >= 1) return value.v;
  if (value.k !== "error") ctx.error("E0207", site, `a dimension is a positive int, but \`${dim.name}\` is ${describeValue(value)}`);
  return undefined;
}
