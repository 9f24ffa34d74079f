/**
 * The sizes a checked model may reach, so that whatever `nnc check` accepts can also be
 * initialized, compiled and run instead of failing later with an allocation error.
 *
 * - Integers are exact: a literal, or the result of integer arithmetic, must lie within
 *   ±(2^53 − 1), where a JavaScript number still holds every integer (E0210).
 * - A tensor (a model input, a layer's output, a parameter or buffer) holds at most
 *   2^31 − 1 elements, counting its static dimensions only (E0211). Node 20 allocates a
 *   `Float32Array` of up to 2^32 elements; the lower bound leaves every index a 32-bit int.
 * - A model's parameters and buffers together hold at most 1,000,000,000 elements (E0212):
 *   4 GB of float32, which with its header still fits the one buffer of a safetensors file
 *   (Node 20's `Buffer` holds at most 2^32 bytes, 4 GiB).
 */
import type { BinaryExpr } from "../syntax/ast.js";
import type { Shape } from "./model.js";
import type { LeafParam } from "./operator-def.js";
import type { Elaboration } from "./context.js";
import type { Site } from "./values.js";

/** The most elements one tensor may hold (static dimensions only). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** The most parameter and buffer elements one model may hold. */
export const MAX_PARAMETERS = 1_000_000_000;

/** Groups digits in threes, as messages print large counts: `1,000,000`. */
function grouped(n: number | bigint): string {
  return n.toLocaleString("en-US");
}

const LARGEST_EXACT = `${grouped(Number.MAX_SAFE_INTEGER)} (2^53 − 1)`;

/** Reports an integer literal that a number cannot hold exactly; false when it did. */
export function checkIntegerLiteral(ctx: Elaboration, text: string, value: number, site: Site): boolean {
  if (Number.isSafeInteger(value)) return true;
  ctx.error("E0210", site, `the integer ${text} is larger than ${LARGEST_EXACT}, the largest integer nnc computes exactly`);
  return false;
}

/**
 * Reports integer arithmetic whose result leaves the exact range; false when it did. The
 * operands are exact, so the exact result (for the message) is computed with bigints.
 */
export function checkIntegerResult(ctx: Elaboration, expr: BinaryExpr, x: number, y: number, result: number, site: Site): boolean {
  if (Number.isSafeInteger(result)) return true;
  const exact = exactResult(expr.op, BigInt(x), BigInt(y));
  const shown = exact === undefined ? "" : ` is ${grouped(exact)}, which`;
  ctx.error("E0210", site, `\`${x} ${expr.op} ${y}\`${shown} leaves the range of exact integers, ±${LARGEST_EXACT}`);
  return false;
}

function exactResult(op: BinaryExpr["op"], x: bigint, y: bigint): bigint | undefined {
  switch (op) {
    case "+":
      return x + y;
    case "-":
      return x - y;
    case "*":
      return x * y;
    default:
      return undefined;
  }
}

/** The number of elements of `shape`, counting its static dimensions only. */
export function staticElements(shape: Shape): number {
  let n = 1;
  for (const d of shape) if (typeof d === "number") n *= d;
  return n;
}

/** Reports a tensor of `shape` that holds too many elements; false when it did. */
export function checkTensorSize(ctx: Elaboration, what: string, shape: Shape, site: Site): boolean {
  const elements = staticElements(shape);
  if (elements <= MAX_TENSOR_ELEMENTS) return true;
  const symbolic = shape.some((d) => typeof d === "string") ? " (counting its static dimensions only)" : "";
  ctx.error(
    "E0211",
    site,
    `${what}, [${shape.join(", ")}], holds ${grouped(elements)} elements${symbolic}, more than the ${grouped(MAX_TENSOR_ELEMENTS)} (2^31 − 1) a tensor may hold`,
  );
  return false;
}

/**
 * Checks the output and the parameters of a new `kind` layer instance at `site`, and the
 * model's running parameter total. Passing the total stops the elaboration, as the expansion
 * limit does: every later layer would pass it again. False when something was reported.
 */
export function checkLayerSizes(ctx: Elaboration, kind: string, output: Shape, leaves: readonly LeafParam[], site: Site): boolean {
  for (const leaf of leaves) {
    if (!checkTensorSize(ctx, `the ${leaf.buffer ? "buffer" : "parameter"} ${leaf.leaf} of ${kind}`, leaf.shape, site)) return false;
  }
  if (!checkTensorSize(ctx, `the output of ${kind}`, output, site)) return false;
  const before = ctx.parameterElements;
  ctx.parameterElements += leaves.reduce((sum, leaf) => sum + staticElements(leaf.shape), 0);
  if (ctx.parameterElements <= MAX_PARAMETERS) return true;
  ctx.error(
    "E0212",
    site,
    `with this ${kind} the model holds ${grouped(ctx.parameterElements)} parameter and buffer elements (${grouped(before)} before it), more than the limit of ${grouped(MAX_PARAMETERS)}`,
  );
  ctx.overLimit = true;
  return false;
}
