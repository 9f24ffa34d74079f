/**
 * Reads the PyTorch reference cases of test/fixtures/ops (written by scripts/torch_op_fixtures.py)
 * and compares kernel outputs with them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { expect } from "vitest";
import type { Tensor } from "../../runtime/index.js";

const dir = new URL("../fixtures/ops/", import.meta.url);

interface StoredTensor {
  shape: number[];
  data: number[];
}

type StoredOutputs = { [key: string]: StoredTensor | StoredOutputs };

/** One fixture file: an op, its attributes, named inputs and named (possibly nested) outputs. */
export interface OpCase {
  name: string;
  op: string;
  attributes: Record<string, unknown>;
  inputs: Record<string, Tensor>;
  outputs: StoredOutputs;
}

/** Every case of `op`, sorted by name; throws when there is none, so a test cannot pass empty. */
export function casesOf(op: string): OpCase[] {
  const cases = readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => {
      const raw = JSON.parse(readFileSync(new URL(file, dir), "utf8")) as Omit<OpCase, "name" | "inputs"> & {
        inputs: Record<string, StoredTensor>;
      };
      const inputs = Object.fromEntries(Object.entries(raw.inputs).map(([key, t]) => [key, toTensor(t)]));
      return { ...raw, name: file.slice(0, -".json".length), inputs };
    })
    .filter((c) => c.op === op);
  if (cases.length === 0) throw new Error(`no fixtures for op ${op} in test/fixtures/ops`);
  return cases;
}

/** The stored tensor at `path` in a case's outputs, e.g. `["train", "running_mean"]`. */
export function output(c: OpCase, ...path: string[]): Tensor {
  let node: StoredTensor | StoredOutputs = c.outputs;
  for (const key of path) {
    const next: StoredTensor | StoredOutputs | undefined = (node as StoredOutputs)[key];
    if (next === undefined) throw new Error(`${c.name}: no output ${path.join(".")}`);
    node = next;
  }
  return toTensor(node as StoredTensor);
}

/** A stored tensor as a runtime tensor (float64 JSON numbers rounded to float32, exactly). */
export function toTensor(t: StoredTensor): Tensor {
  return { shape: [...t.shape], data: new Float32Array(t.data) };
}

/**
 * The comparison every fixture test uses: equal shapes, and every element within
 * `1e-4 · max(1, max|expected|)` of the expected value (NaN never matches).
 */
export function expectClose(actual: Tensor, expected: Tensor, what: string, tolerance = 1e-4): void {
  expect(actual.shape, `${what}: shape`).toEqual(expected.shape);
  expect(actual.data.length, `${what}: length`).toBe(expected.data.length);
  let scale = 1;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.data.length; i++) {
    const diff = Math.abs(actual.data[i] - expected.data[i]);
    if (!(diff <= worst)) {
      worst = diff;
      at = i;
    }
  }
  const detail = at < 0 ? "" : ` (worst at ${at}: got ${actual.data[at]}, expected ${expected.data[at]})`;
  expect(worst, `${what}: max abs diff${detail}`).toBeLessThanOrEqual(tolerance * scale);
}

/** A tensor of uniform values in [-1, 1) from a small deterministic generator. */
export function randomTensor(shape: number[], seed: number): Tensor {
  let state = seed >>> 0 || 1;
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) {
    // xorshift32: enough for test data, and independent of the runtime's own generator.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    data[i] = state / 2147483648 - 1;
  }
  return { shape, data };
}
