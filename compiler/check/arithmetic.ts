/**
 * Binary operators. On compile-time numbers they compute as Python does (`/` gives a float,
 * `//` and `%` floor); comparisons and `and`/`or` (short-circuit) give bools. On tensors,
 * `a + b` is the element-wise `add`, whose shapes must match exactly (a mismatch points at
 * where each operand came from). `layer * n` (or `n * layer`) repeats a layer.
 */
import type { BinaryExpr, Expr } from "../syntax/ast.js";
import type { Elaboration, Env } from "./context.js";
import { formatShape, sameShape } from "../../runtime/ops/dims.js";
import { OPERATORS } from "./operators.js";
import { describeValue, ERROR, layerValue, type Layer, type Site, type TensorRef, type Value } from "./values.js";
import { evaluate, foldChain } from "./evaluate.js";
import { applyLayer } from "./apply.js";
import { checkIntegerResult } from "./limits.js";

/** Evaluates `a op b`. */
export function evaluateBinary(ctx: Elaboration, expr: BinaryExpr, env: Env): Value {
  // A left-leaning chain (`a + b + c + ...`, as the parser builds left-associative operators) is
  // walked down its left spine and folded back up in a loop, so that a sum of many terms does
  // not use the stack; only genuinely nested expressions recurse.
  return foldChain(
    expr,
    (e) => (e.left.kind === "binary" ? e.left : undefined),
    (e) => evaluate(ctx, e.left, env),
    (e, left) => combine(ctx, e, env, left),
  );
}

/** `left <op> expr.right`, with `left` already evaluated. */
function combine(ctx: Elaboration, expr: BinaryExpr, env: Env, left: Value): Value {
  const site = (e: Expr): Site => ({ file: env.file.path, span: e.span });
  if (expr.op === "and" || expr.op === "or") {
    if (left.k !== "bool") return wrongKind(ctx, expr, site(expr.left), left, "a bool");
    if (left.v === (expr.op === "or")) return left;
    const right = evaluate(ctx, expr.right, env);
    if (right.k === "error") return ERROR;
    return right.k === "bool" ? right : wrongKind(ctx, expr, site(expr.right), right, "a bool");
  }
  const right = evaluate(ctx, expr.right, env);
  if (right.k === "error") return ERROR;
  if (expr.op === "+" && left.k === "tensor" && right.k === "tensor") return addTensors(ctx, expr, env, left, right);
  if (expr.op === "*" && (left.k === "layer" || right.k === "layer")) {
    return left.k === "layer" ? repeat(ctx, left.layer, right, site(expr.right), site(expr)) : repeat(ctx, (right as { layer: Layer }).layer, left, site(expr.left), site(expr));
  }
  for (const [v, e] of [[left, expr.left], [right, expr.right]] as const) {
    if (v.k === "symbolic") {
      ctx.error("E0206", site(e), `\`${expr.op}\` needs a static value, but ${v.v} is a symbolic dimension`);
      return ERROR;
    }
  }
  if (expr.op === "==" || expr.op === "!=") {
    const comparable = (left.k === right.k || (isNumber(left) && isNumber(right))) && (isNumber(left) || left.k === "bool" || left.k === "string");
    if (!comparable) return wrongKind(ctx, expr, site(expr), right, `a value comparable with ${describeValue(left)}`);
    const equal = (left as { v: unknown }).v === (right as { v: unknown }).v;
    return { k: "bool", v: expr.op === "==" ? equal : !equal };
  }
  if (!isNumber(left)) return wrongKind(ctx, expr, site(expr.left), left, "a number");
  if (!isNumber(right)) return wrongKind(ctx, expr, site(expr.right), right, "a number");
  const result = arithmetic(ctx, expr, left, right, site(expr.right));
  if (result.k === "int" && !checkIntegerResult(ctx, expr, left.v, right.v, result.v, site(expr))) return ERROR;
  return result;
}

type NumberValue = { readonly k: "int" | "float"; readonly v: number };

function isNumber(v: Value): v is NumberValue & Value {
  return v.k === "int" || v.k === "float";
}

function arithmetic(ctx: Elaboration, expr: BinaryExpr, a: NumberValue, b: NumberValue, rightSite: Site): Value {
  const kind = a.k === "int" && b.k === "int" ? "int" : "float";
  const x = a.v;
  const y = b.v;
  switch (expr.op) {
    case "+":
      return { k: kind, v: x + y };
    case "-":
      return { k: kind, v: x - y };
    case "*":
      return { k: kind, v: x * y };
    case "/":
    case "//":
    case "%":
      if (y === 0) {
        ctx.error("E0308", rightSite, `${expr.op === "%" ? "remainder" : "division"} by zero`);
        return ERROR;
      }
      if (expr.op === "/") return { k: "float", v: x / y };
      if (expr.op === "//") return { k: kind, v: Math.floor(x / y) };
      return { k: kind, v: x - y * Math.floor(x / y) };
    case "<":
      return { k: "bool", v: x < y };
    case "<=":
      return { k: "bool", v: x <= y };
    case ">":
      return { k: "bool", v: x > y };
    default:
      return { k: "bool", v: x >= y };
  }
}

function wrongKind(ctx: Elaboration, expr: BinaryExpr, site: Site, v: Value, expected: string): Value {
  const hint = v.k === "tensor" && expr.op !== "+" ? " (on tensors only + is defined: the element-wise add)" : "";
  ctx.error("E0307", site, `\`${expr.op}\` needs ${expected}, got ${describeValue(v)}${hint}`);
  return ERROR;
}

/** `a + b` on tensors: an `add` instance, after checking the shapes with notes on the operands. */
function addTensors(ctx: Elaboration, expr: BinaryExpr, env: Env, a: TensorRef, b: TensorRef): Value {
  const site: Site = { file: env.file.path, span: expr.span };
  const sa = ctx.shapeOf(a);
  const sb = ctx.shapeOf(b);
  if (!sameShape(sa, sb)) {
    const from = (t: TensorRef, side: string) => {
      const origin = ctx.valueSites[t.id];
      return { file: origin.file, span: origin.span, message: `the ${side} operand, ${formatShape(ctx.shapeOf(t))}, comes from here` };
    };
    ctx.error("E0202", site, `+ needs tensors of equal shape (no broadcasting), got ${formatShape(sa)} and ${formatShape(sb)}`, [
      from(a, "left"),
      from(b, "right"),
    ]);
    return ERROR;
  }
  const add = OPERATORS.get("add")!;
  return applyLayer(ctx, { kind: "op", op: add, attrs: {}, argSites: new Map(), bound: [a, b], site }, []);
}

/** `layer * n`: n must be a compile-time int from 1 up to the expansion limit. */
function repeat(ctx: Elaboration, layer: Layer, count: Value, countSite: Site, site: Site): Value {
  if (count.k === "error") return ERROR;
  if (count.k !== "int") {
    ctx.error("E0307", countSite, `a layer repeats an int number of times, got ${describeValue(count)}`);
    return ERROR;
  }
  if (count.v < 1) {
    ctx.error("E0207", countSite, `a repeat count must be at least 1, got ${count.v}`);
    return ERROR;
  }
  if (count.v > ctx.maxLayers) {
    ctx.error("E0405", site, `repeating ${count.v.toLocaleString("en-US")} times passes the limit of ${ctx.maxLayers.toLocaleString("en-US")} layer instances`);
    return ERROR;
  }
  return layerValue({ kind: "repeat", inner: layer, count: count.v, site });
}
