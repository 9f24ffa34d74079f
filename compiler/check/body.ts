/**
 * The statements of a block or model body, in order: bindings (immutable: a second binding of
 * a name in one body is an error), `use` aliases (each extends the dynamic scope for the rest
 * of the body and every block called from it), `return`, and expression statements (the last
 * one is the result when there is no `return`). Statements after a `return` are not elaborated.
 */
import type { Stmt } from "../syntax/ast.js";
import type { Elaboration, Env } from "./context.js";
import type { DynamicEnv } from "./environment.js";
import { describeValue, ERROR, type Site, type Value } from "./values.js";
import { evaluate } from "./evaluate.js";

/** Who owns a body, for messages: `block Basic` or `model ResNet20`, and its name's site. */
export interface BodyOwner {
  readonly what: string;
  readonly site: Site;
}

/**
 * Elaborates `body` and returns its result: a tensor, a tuple of tensors, or ERROR.
 * Aliases named in `preset` are already bound by `--set` and their `use` statements skipped.
 */
export function elaborateBody(ctx: Elaboration, body: readonly Stmt[], env: Env, owner: BodyOwner, preset?: ReadonlySet<string>): Value {
  const { file, locals } = env;
  let dynamic: DynamicEnv | undefined = env.dynamic;
  let last: { value: Value; site: Site } | undefined;
  for (const stmt of body) {
    const here: Env = { file, locals, dynamic };
    const site: Site = { file: file.path, span: stmt.kind === "expr" || stmt.kind === "return" ? stmt.value.span : stmt.span };
    switch (stmt.kind) {
      case "bind": {
        const value = evaluate(ctx, stmt.value, here);
        const name = stmt.name.name;
        if (name === "") break;
        const first = locals.own(name);
        if (first) {
          ctx.error("E0309", { file: file.path, span: stmt.name.span }, `\`${name}\` is already bound in this body; bindings are immutable, choose a new name`, [
            { file: first.site.file, span: first.site.span, message: `\`${name}\` is first bound here` },
          ]);
          break;
        }
        locals.define(name, { value, site: { file: file.path, span: stmt.name.span } });
        ctx.record("binding", { file: file.path, span: stmt.name.span }, [], value);
        break;
      }
      case "use": {
        if (preset?.has(stmt.name.name)) break;
        const value = evaluate(ctx, stmt.value, here);
        if (value.k !== "layer" && value.k !== "error") {
          ctx.error("E0307", { file: file.path, span: stmt.value.span }, `use binds a layer, got ${describeValue(value)}`);
        }
        dynamic = { name: stmt.name.name, value: value.k === "layer" ? value : ERROR, site: { file: file.path, span: stmt.value.span }, parent: dynamic };
        break;
      }
      case "return":
        return result(ctx, evaluate(ctx, stmt.value, here), site, owner);
      case "expr":
        last = { value: evaluate(ctx, stmt.value, here), site };
        break;
    }
  }
  if (!last) {
    ctx.error("E0406", owner.site, `${owner.what} returns nothing: end it with \`return\` or an expression`);
    return ERROR;
  }
  return result(ctx, last.value, last.site, owner);
}

function result(ctx: Elaboration, value: Value, site: Site, owner: BodyOwner): Value {
  if (value.k === "error" || value.k === "tensor") return value;
  if (value.k === "tuple" && value.items.every((i) => i.k === "tensor")) return value;
  if (value.k === "tuple" && value.items.some((i) => i.k === "error")) return ERROR;
  ctx.error("E0406", site, `${owner.what} must return a tensor or a tuple of tensors, got ${describeValue(value)}`);
  return ERROR;
}
