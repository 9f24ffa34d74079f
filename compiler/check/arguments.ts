/**
 * Binding a call's arguments to a signature: positional arguments in order, then named ones;
 * unknown names (with a suggestion), duplicates, surplus positional arguments and missing
 * required ones are errors. For operators, the bound values are then converted to attributes
 * by the table's argument types and checked against its ranges, so a rule in the operator
 * table only ever sees well-typed, in-range attributes.
 */
import type { AttrValue } from "./model.js";
import type { Elaboration } from "./context.js";
import type { ArgSpec, OperatorDef } from "./operator-def.js";
import { describeValue, divisionNote, type Site, type Value } from "./values.js";
import { didYouMean } from "./suggest.js";

/** An evaluated argument and where it was written. */
export interface ArgValue {
  readonly value: Value;
  readonly site: Site;
  /** For a named argument, the span of its name. */
  readonly nameSite?: Site;
  readonly name?: string;
}

/** What a signature needs to know of its parameters. */
export interface SignatureParam {
  readonly name: string;
  readonly required: boolean;
}

/**
 * Binds `args` (config arguments only: tensor inputs are already split off) to `params`.
 * Returns the arguments by parameter name, or undefined after reporting a problem.
 */
export function bindArguments(
  ctx: Elaboration,
  callee: string,
  params: readonly SignatureParam[],
  args: readonly ArgValue[],
  callSite: Site,
): Map<string, ArgValue> | undefined {
  const bound = new Map<string, ArgValue>();
  let ok = true;
  let position = 0;
  for (const arg of args) {
    if (arg.name === undefined) {
      if (position >= params.length) {
        const names = params.map((p) => p.name).join(", ");
        ctx.error("E0304", arg.site, params.length === 0
          ? `${callee} takes no arguments besides its tensor inputs`
          : `${callee} takes at most ${params.length} argument${params.length === 1 ? "" : "s"} (${names}), got more`);
        return undefined;
      }
      bound.set(params[position++].name, arg);
      continue;
    }
    const param = params.find((p) => p.name === arg.name);
    if (!param) {
      const names = params.map((p) => p.name);
      const known = names.length === 0 ? "it has none" : `its arguments are ${names.join(", ")}`;
      ctx.error("E0302", arg.nameSite ?? arg.site, `${callee} has no argument \`${arg.name}\`${didYouMean(arg.name, names) || `; ${known}`}`);
      ok = false;
      continue;
    }
    const first = bound.get(param.name);
    if (first) {
      ctx.error("E0303", arg.nameSite ?? arg.site, `argument \`${param.name}\` of ${callee} is given twice`, [
        { file: first.site.file, span: first.site.span, message: "first given here" },
      ]);
      ok = false;
      continue;
    }
    bound.set(param.name, arg);
  }
  const missing = params.filter((p) => p.required && !bound.has(p.name)).map((p) => `\`${p.name}\``);
  if (missing.length > 0) {
    ctx.error("E0305", callSite, `${callee} is missing its required argument${missing.length === 1 ? "" : "s"} ${missing.join(", ")}`);
    ok = false;
  }
  return ok ? bound : undefined;
}

/** The signature of an operator, for `bindArguments`. */
export function operatorSignature(op: OperatorDef): SignatureParam[] {
  return op.args.map((a) => ({ name: a.name, required: a.default === undefined && a.defaultFrom === undefined }));
}

/** Converts bound arguments to an operator's attributes, defaults filled in; undefined after an error. */
export function resolveAttrs(ctx: Elaboration, op: OperatorDef, bound: ReadonlyMap<string, ArgValue>): Record<string, AttrValue> | undefined {
  const attrs: Record<string, AttrValue> = {};
  let ok = true;
  for (const spec of op.args) {
    const arg = bound.get(spec.name);
    if (!arg) continue;
    if (arg.value.k === "error") {
      ok = false;
      continue;
    }
    const converted = convert(spec, arg.value);
    if (typeof converted === "object" && "problem" in converted) {
      const hint = converted.code === "E0306" && INT_TYPES.has(spec.type) ? divisionNote(arg.value) : [];
      ctx.error(converted.code, arg.site, `${op.name} argument \`${spec.name}\` ${converted.problem}`, hint);
      ok = false;
      continue;
    }
    attrs[spec.name] = converted;
  }
  if (!ok) return undefined;
  for (const spec of op.args) {
    if (spec.name in attrs) continue;
    const fallback = spec.defaultFrom !== undefined ? attrs[spec.defaultFrom] : spec.default;
    if (fallback !== undefined) attrs[spec.name] = spec.type === "pair" && typeof fallback === "number" ? [fallback, fallback] : fallback;
  }
  return attrs;
}

/** The argument types that take ints, where a float from `/` earns the hint to use `//`. */
const INT_TYPES: ReadonlySet<ArgSpec["type"]> = new Set(["int", "pair", "padding"]);

type Problem = { readonly problem: string; readonly code: "E0306" | "E0207" | "E0206" };

function convert(spec: ArgSpec, v: Value): AttrValue | Problem {
  if (v.k === "symbolic") return { code: "E0206", problem: `needs a static value, but ${v.v} is a symbolic dimension` };
  switch (spec.type) {
    case "int":
      return v.k === "int" ? inRange(spec, v.v) : mismatch("an int", v);
    case "float":
      return v.k === "int" || v.k === "float" ? inRange(spec, v.v) : mismatch("a number", v);
    case "bool":
      return v.k === "bool" ? v.v : mismatch("a bool (true or false)", v);
    case "string":
      if (v.k !== "string") return mismatch(spec.oneOf ? `one of ${spec.oneOf.map((s) => JSON.stringify(s)).join(", ")}` : "a string", v);
      if (spec.oneOf && !spec.oneOf.includes(v.v)) {
        return { code: "E0207", problem: `must be one of ${spec.oneOf.map((s) => JSON.stringify(s)).join(", ")}, got ${JSON.stringify(v.v)}` };
      }
      return v.v;
    case "padding":
      if (v.k === "same") return "same";
      return toPair(spec, v, "an int, a pair (h, w) or `same`");
    case "pair":
      return toPair(spec, v, "an int or a pair (h, w)");
    case "floats": {
      if (v.k !== "list" && v.k !== "tuple") return mismatch("a list of numbers", v);
      const out: number[] = [];
      for (const item of v.items) {
        if (item.k !== "int" && item.k !== "float") return mismatch("a list of numbers", item);
        const checked = inRange(spec, item.v);
        if (typeof checked !== "number") return checked;
        out.push(item.v);
      }
      return out;
    }
  }
}

function toPair(spec: ArgSpec, v: Value, expected: string): AttrValue | Problem {
  if (v.k === "int") {
    const checked = inRange(spec, v.v);
    return typeof checked === "number" ? [v.v, v.v] : checked;
  }
  if ((v.k === "tuple" || v.k === "list") && v.items.length === 2) {
    const out: number[] = [];
    for (const item of v.items) {
      if (item.k !== "int") return mismatch(expected, v);
      const checked = inRange(spec, item.v);
      if (typeof checked !== "number") return checked;
      out.push(item.v);
    }
    return out;
  }
  return mismatch(expected, v);
}

function mismatch(expected: string, v: Value): Problem {
  return { code: "E0306", problem: `expects ${expected}, got ${describeValue(v)}` };
}

function inRange(spec: ArgSpec, n: number): number | Problem {
  const low = spec.min === undefined || (spec.minExclusive ? n > spec.min : n >= spec.min);
  const high = spec.max === undefined || (spec.maxExclusive ? n < spec.max : n <= spec.max);
  if (low && high) return n;
  return { code: "E0207", problem: `must be ${rangeText(spec)}, got ${n}` };
}

/** `>= 1`, `> 0`, or an interval such as `in [0, 1)`. */
function rangeText(spec: ArgSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) {
    return `in ${spec.minExclusive ? "(" : "["}${spec.min}, ${spec.max}${spec.maxExclusive ? ")" : "]"}`;
  }
  if (spec.min !== undefined) return `${spec.minExclusive ? ">" : ">="} ${spec.min}`;
  return `${spec.maxExclusive ? "<" : "<="} ${spec.max}`;
}
