/**
 * Name resolution. A name is looked up, nearest first, among:
 * 1. the lexical locals (parameters, bindings, `for` variables);
 * 2. the `use` aliases in force (dynamic scope);
 * 3. the file's `let` constants and blocks, then those of its imports;
 * 4. the built-in layers of the operator table;
 * 5. the unbound defaults `norm` (= `batch()`) and `act` (= `relu`), and `same`.
 * An unknown name is reported with the closest known one as a suggestion.
 *
 * A `let` is evaluated where it is used, with the aliases in force there, so that a layer
 * constant such as `let stage = [conv(64, 3) -> norm]` follows the model's `use norm`.
 */
import type { Env } from "./context.js";
import type { Elaboration } from "./context.js";
import type { TopEntry } from "./files.js";
import { aliasNames, Locals, lookupAlias } from "./environment.js";
import { BUILTIN_FUNCTIONS, DEFAULT_ALIASES, OPERATORS } from "./operators.js";
import { didYouMean } from "./suggest.js";
import { ERROR, layerValue, type Layer, type Site, type Value } from "./values.js";
import { evaluate } from "./evaluate.js";
import { makeBlockLayer, makeOpLayer } from "./calls.js";

/** What a name stands for before it is turned into a value. */
export type NameTarget =
  | { readonly kind: "value"; readonly value: Value }
  | { readonly kind: "top"; readonly entry: TopEntry }
  | { readonly kind: "operator"; readonly name: string }
  | { readonly kind: "builtin"; readonly name: string }
  | { readonly kind: "same" }
  | { readonly kind: "unknown" };

/** Finds what `name` refers to at `site` (aliases are re-sited to the place of use). */
export function lookupName(name: string, site: Site, env: Env): NameTarget {
  const local = env.locals.lookup(name);
  if (local) return { kind: "value", value: local.value };
  const alias = lookupAlias(env.dynamic, name);
  if (alias) return { kind: "value", value: resite(alias.value, site, alias.site) };
  const entry = env.file.scope.get(name);
  if (entry) return { kind: "top", entry };
  if (OPERATORS.has(name)) return { kind: "operator", name };
  const fallback = DEFAULT_ALIASES.get(name);
  if (fallback) return { kind: "operator", name: fallback.op };
  if (BUILTIN_FUNCTIONS.has(name)) return { kind: "builtin", name };
  if (name === "same") return { kind: "same" };
  return { kind: "unknown" };
}

/** Evaluates a name used as a value. */
export function evaluateName(ctx: Elaboration, name: string, site: Site, env: Env): Value {
  const target = lookupName(name, site, env);
  switch (target.kind) {
    case "value":
      return target.value;
    case "top":
      return target.entry.kind === "let"
        ? resite(evaluateLet(ctx, target.entry, site, env), site)
        : makeBlockLayer(ctx, target.entry.info, [], [], site, env);
    case "operator":
      return makeOpLayer(ctx, OPERATORS.get(target.name)!, [], [], site);
    case "builtin":
      ctx.error("E0307", site, `\`${name}\` is a function: call it on a tensor, as ${name}(x)`);
      return ERROR;
    case "same":
      return { k: "same" };
    case "unknown":
      reportUnknown(ctx, name, site, env);
      return ERROR;
  }
}

/** Reports an unknown name, suggesting the closest visible one. */
export function reportUnknown(ctx: Elaboration, name: string, site: Site, env: Env): void {
  if (name === "") return;
  const candidates = [
    ...env.locals.visibleNames(),
    ...aliasNames(env.dynamic),
    ...env.file.scope.keys(),
    ...OPERATORS.keys(),
    ...DEFAULT_ALIASES.keys(),
    ...BUILTIN_FUNCTIONS.keys(),
  ];
  ctx.error("E0301", site, `unknown name \`${name}\`${didYouMean(name, candidates)}`);
}

/**
 * How deeply `let`s may use one another (`let b = a + 1`, `let c = b + 1`, ...): far beyond any
 * real program, and well inside the checker's stack, so that a deeper chain is refused at the
 * place it gets too deep rather than wherever the stack runs out.
 */
export const MAX_LET_DEPTH = 1000;

/** Evaluates a `let` where it is used; a `let` that needs itself is a cycle. */
function evaluateLet(ctx: Elaboration, entry: Extract<TopEntry, { kind: "let" }>, site: Site, env: Env): Value {
  const at = ctx.letStack.indexOf(entry.decl);
  if (at >= 0) {
    const chain = [...ctx.letStack.slice(at), entry.decl].map((d) => d.name.name).join(" -> ");
    ctx.error("E0404", site, `\`let ${entry.decl.name.name}\` refers to itself: ${chain}`);
    return ERROR;
  }
  if (ctx.letStack.length >= MAX_LET_DEPTH) {
    ctx.error("E0409", site, `the program nests too deeply to check: definitions that use each other nest deeper than ${MAX_LET_DEPTH.toLocaleString("en-US")} levels here`);
    return ERROR;
  }
  ctx.letStack.push(entry.decl);
  const value = evaluate(ctx, entry.decl.value, { file: entry.file, locals: new Locals(), dynamic: env.dynamic });
  ctx.letStack.pop();
  return value;
}

/**
 * Moves an operator or block layer to the place it is used, so that its instance (and any
 * error about it) points there; `aliasSite` remembers where an alias bound it.
 */
function resite(value: Value, site: Site, aliasSite?: Site): Value {
  if (value.k !== "layer") return value;
  const layer: Layer = value.layer;
  if (layer.kind === "op" || layer.kind === "block") return layerValue({ ...layer, site, aliasSite: aliasSite ?? layer.aliasSite });
  return value;
}
