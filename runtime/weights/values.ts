/**
 * The checks on a checkpoint's values that every reader of weights shares (`nnc compile
 * --weights` and a generated module's `load()`): every value finite, and running statistics
 * that a normalization can divide by — a variance at least 0, a standard deviation above 0.
 * A negative `running_var` would make the folded weights NaN.
 */

/** A problem with a parameter's values, for a message that names it. */
export interface ValueProblem {
  readonly kind: "non-finite" | "invalid-statistic";
  readonly message: string;
}

/**
 * What is wrong with the values of model parameter `name`, or undefined. `from` names the
 * checkpoint tensor it came from when that differs (`(checkpoint tensor \`…\`)`).
 */
export function valueProblem(name: string, data: Float32Array, from = ""): ValueProblem | undefined {
  let count = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      if (first < 0) first = i;
      count++;
    }
  }
  const what = `model parameter \`${name}\`${from}`;
  if (count > 0) {
    return { kind: "non-finite", message: `${what} has ${count} non-finite value${count === 1 ? "" : "s"}, the first ${data[first]} at flat index ${first}` };
  }
  const statistic = /(^|\.)running_(var|std)$/.exec(name)?.[2];
  if (statistic === undefined) return undefined;
  const bad = statistic === "var" ? data.findIndex((v) => v < 0) : data.findIndex((v) => !(v > 0));
  if (bad < 0) return undefined;
  const rule = statistic === "var" ? "a running variance must be at least 0" : "a running standard deviation must be above 0";
  return { kind: "invalid-statistic", message: `${what} has the value ${data[bad]} at flat index ${bad}: ${rule}` };
}
