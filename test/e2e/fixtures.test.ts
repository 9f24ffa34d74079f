/**
 * The end-to-end reference fixtures, `test/fixtures/e2e/<example>.json` (written by
 * `scripts/torch_e2e.py`; format in its header and in `test/fixtures/e2e/README.md`), without
 * running any model: each is well formed and agrees with the checked model (inputs, parameter
 * names and shapes in declaration order, one running statistic per buffer), and the TypeScript
 * synthetic generator (`test/support/synthetic.ts`) reproduces, bit for bit, every weight and
 * input that the Python generator fed the PyTorch twin (CRC-32 of the float32 bytes, the first
 * values and the range of each tensor).
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import {
  checksum,
  fnv1a32,
  roleRange,
  streamWord,
  syntheticInput,
  syntheticRole,
  syntheticTensor,
  syntheticWeights,
} from "../support/synthetic.js";
import { diskHost, EXAMPLES } from "../support/disk.js";

interface TensorRecord {
  shape: number[];
  data: number[];
}

interface E2eFixture {
  example: string;
  model: string;
  generator: string;
  inputs: { name: string; synthetic: string; shape: number[] }[];
  batch: number;
  tensors: { name: string; shape: number[]; range: [number, number]; crc32: number; first: number[] }[];
  eval: { outputs: TensorRecord[]; scale: number; float32_error: number; input_sensitivity: number };
  train: {
    outputs: TensorRecord[];
    scale: number;
    float32_error: number;
    dropout: "none" | "keep_all";
    running: Record<string, number[]>;
    running_float32_error: number;
  } | null;
}

/**
 * The least `input_sensitivity` an example's eval record must show, where not 0.05. EfficientNet-B0's
 * sixteen sigmoid gates and 1280 SiLU features leave its synthetic output about 4% input-driven:
 * 400 times the tolerance, so a wrong early layer still shows.
 */
const MIN_SENSITIVITY: Partial<Record<string, number>> = { efficientnet_b0: 0.03 };

/**
 * The most `running_float32_error` an example's train record may show, where not 1e-5. RegNetX's
 * synthetic activations reach about 1e4 before its BatchNorms (eval scale 1.1e4), so a float32
 * batch variance of about 1e8 keeps only ~1.4e-5 of its value: still 7 times inside the 1e-4 the
 * comparisons allow.
 */
const MAX_RUNNING_F32_ERROR: Partial<Record<string, number>> = { regnetx_400mf: 2e-5 };

/** Examples without a train record: torchvision's EfficientNet drops residual branches at random in training. */
const EVAL_ONLY = new Set(["efficientnet_b0"]);

function checked(name: string) {
  const path = `examples/${name}.nn`;
  const result = checkSource(path, readFileSync(path, "utf8"), diskHost);
  expect(result.diagnostics).toEqual([]);
  expect(result.models).toHaveLength(1);
  return result.models[0];
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const maxAbs = (records: readonly TensorRecord[]) => Math.max(...records.flatMap((r) => r.data.map(Math.abs)));

function expectTensor(record: TensorRecord) {
  expect(record.shape.every((d) => Number.isInteger(d) && d > 0)).toBe(true);
  expect(record.data).toHaveLength(product(record.shape));
  expect(record.data.every(Number.isFinite)).toBe(true);
  // Written with 9 significant digits: every value is (reads back as) a float32.
  expect(record.data.every((v) => Math.abs(Math.fround(v) - v) <= Math.abs(v) * 2 ** -24)).toBe(true);
}

describe("the synthetic generator", () => {
  it("hashes names with FNV-1a 32", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
  });

  it("draws uniform float32 values in [lo, hi)", () => {
    const t = syntheticTensor("some.tensor", [1000], [-0.25, 0.75]);
    expect(Math.min(...t)).toBeGreaterThanOrEqual(-0.25);
    expect(Math.max(...t)).toBeLessThan(0.75);
    const mean = t.reduce((a, b) => a + b, 0) / t.length;
    expect(Math.abs(mean - 0.25)).toBeLessThan(0.05);
    expect(streamWord(fnv1a32("some.tensor"), 0)).not.toBe(streamWord(fnv1a32("some.tensor"), 1));
    expect(syntheticInput(0, [4])).toEqual(syntheticTensor("input:0", [4], [-1, 1]));
  });

  it("picks ranges by role", () => {
    const params = [
      { name: "c.weight", shape: [8, 4, 3, 3] },
      { name: "c.bias", shape: [8] },
      { name: "n.weight", shape: [8] },
      { name: "n.bias", shape: [8] },
      { name: "n.running_var", shape: [8] },
      { name: "prelu0.weight", shape: [8] },
      { name: "s.mean_weight", shape: [3] },
    ];
    const ranges = params.map((p) => roleRange(syntheticRole(p, params)));
    expect(ranges).toEqual([
      [-Math.sqrt(6 / 36), Math.sqrt(6 / 36)],
      [-1 / 6, 1 / 6],
      [0.5, 1.5],
      [-0.5, 0.5],
      [0.5, 2],
      [0, 0.5],
      [-1, 1],
    ]);
    expect(() => syntheticRole({ name: "x.unknown", shape: [1] }, [])).toThrow(/no role/);
  });
});

it("has a fixture for every example", () => {
  const fixtures = readdirSync("test/fixtures/e2e").filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
  expect(fixtures).toEqual(EXAMPLES);
});

describe.each(EXAMPLES)("test/fixtures/e2e/%s.json", (name) => {
  const fixture = JSON.parse(readFileSync(`test/fixtures/e2e/${name}.json`, "utf8")) as E2eFixture;

  it("is well formed and matches the checked model", () => {
    const model = checked(name);
    expect(fixture.example).toBe(name);
    expect(fixture.model).toBe(model.name);
    expect(fixture.generator).toBe("nnc-synthetic-v1");
    expect(fixture.inputs.map((i) => i.name)).toEqual(model.inputs.map((i) => i.name));
    fixture.inputs.forEach((input, k) => {
      expect(input.synthetic).toBe(`input:${k}`);
      const declared = model.values[model.inputs[k].value].shape;
      expect(input.shape).toHaveLength(declared.length);
      expect(input.shape[0]).toBe(fixture.batch);
      declared.forEach((d, i) => {
        if (typeof d === "number") expect(input.shape[i]).toBe(d);
      });
    });
    expect(fixture.tensors.map((t) => [t.name, t.shape])).toEqual([
      ...fixture.inputs.map((i) => [i.synthetic, i.shape]),
      ...model.params.map((p) => [p.name, p.shape]),
    ]);

    for (const record of [fixture.eval, ...(fixture.train ? [fixture.train] : [])]) {
      expect(record.outputs).toHaveLength(model.outputs.length);
      record.outputs.forEach((out, k) => {
        expectTensor(out);
        const declared = model.values[model.outputs[k]].shape;
        expect(out.shape).toHaveLength(declared.length);
        expect(out.shape[0]).toBe(fixture.batch);
        declared.forEach((d, i) => {
          if (typeof d === "number") expect(out.shape[i]).toBe(d);
        });
      });
      expect(record.scale).toBeGreaterThan(0);
      expect(Math.abs(record.scale - maxAbs(record.outputs))).toBeLessThanOrEqual(record.scale * 1e-7);
      // The float32 twin lands well within the tolerance the issue asks for.
      expect(record.float32_error).toBeLessThan(1e-5);
    }
    // The output depends on the input: a wrong first layer cannot hide below the tolerance.
    expect(fixture.eval.input_sensitivity).toBeGreaterThan(MIN_SENSITIVITY[name] ?? 0.05);
  });

  it.runIf(!EVAL_ONLY.has(name))("has a train record with every running statistic", () => {
    const model = checked(name);
    const train = fixture.train;
    expect(train).not.toBeNull();
    if (!train) return;
    const hasDropout = model.layers.some((l) => l.kind === "dropout");
    expect(train.dropout).toBe(hasDropout ? "keep_all" : "none");
    const buffers = model.params.filter((p) => p.buffer);
    expect(Object.keys(train.running)).toEqual(buffers.map((p) => p.name));
    for (const p of buffers) expectTensor({ shape: [...p.shape], data: train.running[p.name] });
    expect(train.running_float32_error).toBeLessThan(MAX_RUNNING_F32_ERROR[name] ?? 1e-5);
    // One training forward moves every BatchNorm-style running statistic.
    const start = syntheticWeights(buffers);
    for (const p of buffers) {
      const before = start.get(p.name)!;
      expect(train.running[p.name].some((v, i) => Math.fround(v) !== before[i]), p.name).toBe(true);
    }
  });

  it("is reproduced bit for bit by the TypeScript generator", () => {
    const model = checked(name);
    const expected = new Map(fixture.tensors.map((t) => [t.name, t]));
    fixture.inputs.forEach((input, k) => {
      const t = expected.get(input.synthetic)!;
      expect(t.range).toEqual(roleRange({ kind: "input" }));
      const data = syntheticInput(k, input.shape);
      expect({ crc32: checksum(data), first: Array.from(data.subarray(0, 4)) }).toEqual({ crc32: t.crc32, first: t.first });
    });
    const weights = syntheticWeights(model.params);
    for (const p of model.params) {
      const t = expected.get(p.name)!;
      expect(roleRange(syntheticRole(p, model.params)), p.name).toEqual(t.range);
      const data = weights.get(p.name)!;
      expect(data).toHaveLength(product(p.shape));
      expect({ name: p.name, crc32: checksum(data), first: Array.from(data.subarray(0, 4)) }).toEqual({
        name: p.name,
        crc32: t.crc32,
        first: t.first,
      });
    }
  });
});
