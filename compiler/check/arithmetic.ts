/**
 * Binary operators. On compile-time numbers they compute as Python does (`/` gives a float,
 * `//` and `%` floor); comparisons and `and`/`or` (short-circuit) give bools. `layer * n` (or
 * `n * layer`) repeats a layer. On tensors, `+`, `-`, `*` and `/` are the element-wise layers
 * `add`, `sub`, `mul` and `div`: two tensors must broadcast (a mismatch points at where each
 * operand came from), and a tensor with a compile-time number applies the layer to the one
 * tensor, the number held as its `scalar` (`x * 0.2`, `1 - x`). The operands decide what `*`
 * is: a layer on either side repeats it, anything else multiplies.
 */
import type { BinaryExpr, Expr } from "../syntax/ast.js";
import type { Elaboration, Env } from "./context.js";
import { formatShape } from "../../runtime/ops/dims.js";
import { ARITHMETIC_SYMBOLS, broadcastProblem, scalarAttrs } from "../../runtime/ops/arithmetic.js";
import { OPERATORS } from "./operators.js";
import { describeValue, ERROR, formatNumber, layerValue, type Layer, type Site, type TensorRef, type Value } from "./values.js";
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
  if (expr.op === "*" && (left.k === "layer" || right.k === "layer")) {
    return left.k === "layer" ? repeat(ctx, left.layer, right, site(expr.right), site(expr)) : repeat(ctx, (right as { layer: Layer }).layer, left, site(expr.left), site(expr));
  }
  const layer = ARITHMETIC_SYMBOLS[expr.op];
  if (layer !== undefined && (left.k === "tensor" || right.k === "tensor")) {
    if (left.k === "tensor" && right.k === "tensor") return tensorArithmetic(ctx, expr, env, layer, left, right);
    const numberLeft = left.k !== "tensor";
    const [tensor, other, otherExpr] = numberLeft ? [right as TensorRef, left, expr.left] : [left, right, expr.right];
    if (isNumber(other)) return scalarArithmetic(ctx, expr, layer, tensor, other, numberLeft, site(otherExpr));
    if (other.k !== "symbolic") return wrongKind(ctx, expr, site(otherExpr), other, "a tensor or a number");
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
  const result = arithmetic(ctx, expr, left, right, site(expr.right), { file: env.file.path, span: expr.opSpan });
  if (result.k === "int" && !checkIntegerResult(ctx, expr, left.v, right.v, result.v, site(expr))) return ERROR;
  return result;
}

type NumberValue = { readonly k: "int" | "float"; readonly v: number };

function isNumber(v: Value): v is NumberValue & Value {
  return v.k === "int" || v.k === "float";
}

function arithmetic(ctx: Elaboration, expr: BinaryExpr, a: NumberValue, b: NumberValue, rightSite: Site, opSite: Site): Value {
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
      if (expr.op === "/") return kind === "int" ? { k: "float", v: x / y, division: opSite } : { k: "float", v: x / y };
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
  const hint = v.k === "tensor" ? " (on tensors only + - * / are defined, element-wise)" : "";
  ctx.error("E0307", site, `\`${expr.op}\` needs ${expected}, got ${describeValue(v)}${hint}`);
  return ERROR;
}

/** `a op b` on two tensors: the arithmetic layer `name`, after checking that the shapes broadcast, with notes on the operands. */
function tensorArithmetic(ctx: Elaboration, expr: BinaryExpr, env: Env, name: string, a: TensorRef, b: TensorRef): Value {
  const site: Site = { file: env.file.path, span: expr.span };
  const sa = ctx.shapeOf(a);
  const sb = ctx.shapeOf(b);
  const problem = broadcastProblem(sa, sb);
  if (problem !== undefined) {
    const from = (t: TensorRef, side: string) => {
      const origin = ctx.valueSites[t.id];
      return { file: origin.file, span: origin.span, message: `the ${side} operand, ${formatShape(ctx.shapeOf(t))}, comes from here` };
    };
    ctx.error("E0202", site, `${expr.op} needs tensors that broadcast, got ${formatShape(sa)} and ${formatShape(sb)}: ${problem}`, [
      from(a, "left"),
      from(b, "right"),
    ]);
    return ERROR;
  }
  return applyLayer(ctx, { kind: "op", op: OPERATORS.get(name)!, attrs: {}, argSites: new Map(), bound: [a, b], site }, []);
}

/** `x op n` or `n op x`: the arithmetic layer `name` on the one tensor, with the number as its `scalar`. */
function scalarArithmetic(ctx: Elaboration, expr: BinaryExpr, name: string, x: TensorRef, n: NumberValue, left: boolean, numberSite: Site): Value {
  if (!Number.isFinite(n.v)) {
    ctx.error("E0207", numberSite, `${expr.op} on a tensor needs a finite number, got ${formatNumber(n)}`);
    return ERROR;
  }
  if (expr.op === "/" && !left && n.v === 0) {
    ctx.error("E0308", numberSite, "division by zero");
    return ERROR;
  }
  const site: Site = { file: numberSite.file, span: expr.span };
  return applyLayer(ctx, { kind: "op", op: OPERATORS.get(name)!, attrs: scalarAttrs(n.v, left), argSites: new Map(), bound: [x], site, arity: 1 }, []);
}

/** `layer * n`: n must be a compile-time int from 0 (the identity) up to the expansion limit. */
function repeat(ctx: Elaboration, layer: Layer, count: Value, countSite: Site, site: Site): Value {
  if (count.k === "error") return ERROR;
  if (count.k !== "int") {
    ctx.error("E0307", countSite, `a layer repeats an int number of times, got ${describeValue(count)}`);
    return ERROR;
  }
  if (count.v < 0) {
    ctx.error("E0207", countSite, `a repeat count must be at least 0 (zero copies pass the input through), got ${count.v}`);
    return ERROR;
  }
  if (count.v > ctx.maxLayers) {
    ctx.error("E0405", site, `repeating ${count.v.toLocaleString("en-US")} times passes the limit of ${ctx.maxLayers.toLocaleString("en-US")} layer instances`);
    return ERROR;
  }
  return layerValue({ kind: "repeat", inner: layer, count: count.v, site });
}
