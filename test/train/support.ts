/**
 * Helpers of the training tests: a model from `.nn` text, its lowered graph, and the comparison of
 * a tensor with a reference that names the worst element when they differ.
 *
 * Tolerance: `|actual − expected| ≤ relative · max(max|expected|, SCALE_FLOOR)` element by element,
 * i.e. relative to the reference tensor's largest magnitude, with an absolute floor of
 * `relative · SCALE_FLOOR` (1e-7 at the default 1e-4) for tensors that are all but zero.
 */
import { expect } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { createRandom, type Tensor } from "../../runtime/index.js";
import { diskHost } from "../support/disk.js";

/** The default tolerance, relative to the reference tensor's largest magnitude. */
export const RELATIVE_TOLERANCE = 1e-4;

/** The smallest scale a reference tensor is measured against. */
export const SCALE_FLOOR = 1e-3;

/** A tensor as the fixtures store it. */
export interface StoredTensor {
  readonly shape: number[];
  readonly data: number[];
}

/** A stored tensor as a runtime tensor (float32: the stored values are float32 values, so exactly). */
export function tensorOf(stored: StoredTensor): Tensor {
  return { shape: [...stored.shape], data: Float32Array.from(stored.data) };
}

/** The one model of `source`, checked without diagnostics (a failure lists them). */
export function checkedModel(source: string, file = "model.nn"): CheckedModel {
  const result = checkSource(file, source, diskHost);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code}: ${d.message}`), `checking ${file}`).toEqual([]);
  return result.models[0] as CheckedModel;
}

/** The lowered graph of the one model of `source`, and the checked model. */
export function loweredModel(source: string, file = "model.nn"): { model: CheckedModel; graph: Graph } {
  const model = checkedModel(source, file);
  return { model, graph: lowerModel(model) };
}

/** Where two tensors differ most: the flat index, the values, and the difference relative to the scale. */
export interface Deviation {
  readonly index: number;
  readonly actual: number;
  readonly expected: number;
  /** `|actual − expected| / scale`; Infinity where `actual` is not a number. */
  readonly relative: number;
  readonly scale: number;
}

/** The worst element of `actual` against `expected` (same size). */
export function worstDeviation(actual: Tensor, expected: Tensor): Deviation {
  let scale = SCALE_FLOOR;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  let worst: Deviation = { index: -1, actual: NaN, expected: NaN, relative: 0, scale };
  for (let i = 0; i < expected.data.length; i++) {
    const difference = Math.abs(actual.data[i] - expected.data[i]);
    const relative = Number.isNaN(difference) ? Infinity : difference / scale;
    if (relative > worst.relative || worst.index < 0) worst = { index: i, actual: actual.data[i], expected: expected.data[i], relative, scale };
  }
  return worst;
}

/** The multi-index of flat `index` in `shape`: `[1, 0, 2, 3]`. */
export function position(shape: readonly number[], index: number): number[] {
  const at: number[] = [];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    at.unshift(index % shape[axis]);
    index = Math.floor(index / shape[axis]);
  }
  return at;
}

/**
 * Expects `actual` to match the reference `expected` within `tolerance` of the reference's scale;
 * a failure names `label` and the worst element with both values.
 */
export function expectClose(label: string, actual: Tensor | undefined, expected: Tensor, tolerance = RELATIVE_TOLERANCE): void {
  expect(actual, `${label}: not computed`).toBeDefined();
  expect(actual!.shape, `${label}: shape`).toEqual(expected.shape);
  const worst = worstDeviation(actual!, expected);
  const where = `[${position(expected.shape, worst.index).join(", ")}]`;
  const message =
    `${label}${where} is ${worst.actual}, expected ${worst.expected} ` +
    `(off by ${worst.relative.toExponential(2)} of the scale ${worst.scale.toPrecision(4)}; tolerance ${tolerance})`;
  expect(worst.relative, message).toBeLessThanOrEqual(tolerance);
}

/** A tensor of uniform values in [lo, hi) from the runtime's seeded generator. */
export function randomTensor(shape: number[], seed: number, lo = -1, hi = 1): Tensor {
  const random = createRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return { shape, data: Float32Array.from({ length: size }, () => lo + (hi - lo) * random()) };
}
