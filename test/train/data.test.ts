/**
 * The data of `nnc train`: the MNIST digits read deterministically with the fixed split, data
 * files with integer labels (I32, I64, U8) and whole-number F32 labels, `x_test`/`y_test`, and
 * the checks of data against a model (exact messages).
 */
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataError, checkData, fixedSplit, idx, IDX_IMAGES, IDX_LABELS, loadDataFile, loadMnist, loadMnistSample, type TrainingData } from "../../compiler/train/data.js";
import { tempDir } from "../emit/support.js";

/** A safetensors file with tensors of any dtype, written by hand (nnc's writer writes F32 only). */
export function rawSafetensors(tensors: { name: string; dtype: "F32" | "I32" | "I64" | "U8"; shape: number[]; values: number[] }[]): Uint8Array {
  const size = { F32: 4, I32: 4, I64: 8, U8: 1 };
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const t of tensors) {
    const bytes = new Uint8Array(t.values.length * size[t.dtype]);
    const view = new DataView(bytes.buffer);
    t.values.forEach((v, i) => {
      if (t.dtype === "F32") view.setFloat32(i * 4, v, true);
      else if (t.dtype === "I32") view.setInt32(i * 4, v, true);
      else if (t.dtype === "I64") view.setBigInt64(i * 8, BigInt(v), true);
      else view.setUint8(i, v);
    });
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    chunks.push(bytes);
  }
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  let at = 8 + text.length;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function dataFile(bytes: Uint8Array): string {
  const path = join(tempDir("data"), "data.safetensors");
  writeFileSync(path, bytes);
  return path;
}

const X10 = { name: "x", dtype: "F32" as const, shape: [10, 2], values: Array.from({ length: 20 }, (_, i) => i / 20) };

/** The smallest and largest value of `values`. */
function range(values: Float32Array): [number, number] {
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  return [low, high];
}

describe("mnist", () => {
  it("reads MNIST's 60,000 training digits to train on and its 10,000 test digits as the held-out set, in [0, 1]", () => {
    const data = loadMnist();
    expect(data.train.x.shape).toEqual([60000, 1, 28, 28]);
    expect(data.heldOut.x.shape).toEqual([10000, 1, 28, 28]);
    expect(data.train.y.shape).toEqual([60000]);
    expect(data.heldOut.y.shape).toEqual([10000]);
    expect(data.description).toBe("mnist: 60000 train, 10000 held out (the test set)");
    // The files' order: torchvision's MNIST starts its training set 5, 0, 4, 1, 9 and its test set 7, 2, 1, 0, 4.
    expect([...data.train.y.data.subarray(0, 5)]).toEqual([5, 0, 4, 1, 9]);
    expect([...data.heldOut.y.data.subarray(0, 5)]).toEqual([7, 2, 1, 0, 4]);
    // The number of each digit in the test set, as published with the data set.
    const counts = Array<number>(10).fill(0);
    for (const label of data.heldOut.y.data) counts[label]++;
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    for (const set of [data.train, data.heldOut]) expect(range(set.x.data)).toEqual([0, 1]);
    // Pixels are bytes / 255: the first training digit's pixel (row 5, column 12) is 3, its (row 6, column 15) 253.
    expect(data.train.x.data[5 * 28 + 12]).toBe(Math.fround(3 / 255));
    expect(data.train.x.data[6 * 28 + 15]).toBe(Math.fround(253 / 255));
    // The sample's first zero is MNIST's second training digit (the package stores its pixels to three decimals).
    const zeros = (createRequire(import.meta.url)("mnist/src/digits/0.json") as { data: number[] }).data;
    const second = data.train.x.data.subarray(784, 2 * 784);
    expect(Math.max(...zeros.slice(0, 784).map((v, i) => Math.abs(v - second[i])))).toBeLessThan(1e-3);
  });

  it("refuses an IDX file whose header does not describe its bytes", () => {
    const dir = tempDir("idx");
    const labels = (bytes: number[]) => {
      const path = join(dir, "labels");
      writeFileSync(path, Uint8Array.from(bytes));
      return path;
    };
    const read = idx(labels([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]), IDX_LABELS, 1);
    expect([read.dims, [...read.bytes]]).toEqual([[2], [7, 3]]);
    const short = labels([0, 0, 8, 1, 0, 0, 0, 3, 7, 3]);
    expect(() => idx(short, IDX_LABELS, 1)).toThrow(new DataError(`'${short}' is not an IDX file of labels (10 bytes)`));
    const images = labels([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]);
    expect(() => idx(images, IDX_IMAGES, 3)).toThrow(new DataError(`'${images}' is not an IDX file of images (10 bytes)`));
    const none = join(dir, "none");
    expect(() => idx(none, IDX_LABELS, 1)).toThrow(`cannot read the MNIST file '${none}'`);
  });

  it("reads the sample's 10,000 digits, 8,000 to train on and 2,000 held out (every fifth), in [0, 1]", () => {
    const data = loadMnistSample();
    expect(data.train.x.shape).toEqual([8000, 1, 28, 28]);
    expect(data.heldOut.x.shape).toEqual([2000, 1, 28, 28]);
    expect(data.train.y.shape).toEqual([8000]);
    expect(data.heldOut.y.shape).toEqual([2000]);
    expect(data.description).toBe("mnist-sample: 8000 train, 2000 held out (every 5th digit)");
    for (const set of [data.train, data.heldOut]) {
      const classes = new Set(set.y.data);
      expect([...classes].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(range(set.x.data)).toEqual([0, 1]);
    }
    // The package's first 1001 digits are zeros: 200 of them (indices 4, 9, ..., 999) are held out.
    expect(data.heldOut.y.data.filter((label) => label === 0).length).toBe(200);
    // The first held-out digit is the package's fifth zero, read as stored.
    const zeros = (createRequire(import.meta.url)("mnist/src/digits/0.json") as { data: number[] }).data;
    expect(data.heldOut.x.data.subarray(0, 784)).toEqual(Float32Array.from(zeros.slice(4 * 784, 5 * 784)));
  });
});

describe("data files", () => {
  it.each(["I32", "I64", "U8"] as const)("reads %s labels as classes", (dtype) => {
    const path = dataFile(rawSafetensors([X10, { name: "y", dtype, shape: [10], values: [0, 1, 2, 0, 1, 2, 0, 1, 2, 3] }]));
    const data = loadDataFile(path);
    expect(data.train.y.data).toEqual(Float32Array.from([0, 1, 2, 0, 2, 0, 1, 2]));
    expect(data.heldOut.y.data).toEqual(Float32Array.from([1, 3]));
    expect(data.heldOut.x.data).toEqual(Float32Array.from([8, 9, 18, 19].map((i) => i / 20)));
  });

  it("takes x_test and y_test as the held-out set", () => {
    const path = dataFile(
      rawSafetensors([X10, { name: "y", dtype: "F32", shape: [10], values: Array(10).fill(1) }, { name: "x_test", dtype: "F32", shape: [3, 2], values: [1, 2, 3, 4, 5, 6] }, { name: "y_test", dtype: "U8", shape: [3], values: [0, 1, 0] }]),
    );
    const data = loadDataFile(path);
    expect(data.train.x.shape).toEqual([10, 2]);
    expect(data.heldOut.x.shape).toEqual([3, 2]);
    expect(data.description).toBe(`${path}: 10 train, 3 held out (x_test, y_test)`);
  });

  it("refuses files that are not data, with the reason", () => {
    const missing = join(tempDir("data"), "none.safetensors");
    expect(() => loadDataFile(missing)).toThrow(new DataError(`cannot read data file '${missing}': no such file or directory`));
    const noY = dataFile(rawSafetensors([X10]));
    expect(() => loadDataFile(noY)).toThrow(`${noY}: a data file needs tensors \`x\` (inputs [N, ...]) and \`y\` (targets [N]); it has \`x\``);
    const intX = dataFile(rawSafetensors([{ ...X10, dtype: "I32", values: Array(20).fill(1) }, { name: "y", dtype: "U8", shape: [10], values: Array(10).fill(0) }]));
    expect(() => loadDataFile(intX)).toThrow(`${intX}: \`x\` must be F32, got I32`);
    const short = dataFile(rawSafetensors([X10, { name: "y", dtype: "U8", shape: [9], values: Array(9).fill(0) }]));
    expect(() => loadDataFile(short)).toThrow(`${short}: \`y\` must have one target per example of \`x\` (10), got shape [9]`);
    const lone = dataFile(rawSafetensors([X10, { name: "y", dtype: "U8", shape: [10], values: Array(10).fill(0) }, { name: "x_test", dtype: "F32", shape: [1, 2], values: [0, 0] }]));
    expect(() => loadDataFile(lone)).toThrow(`${lone}: \`x_test\` and \`y_test\` come together; the file has only \`x_test\``);
    const garbage = dataFile(new Uint8Array([1, 2, 3]));
    expect(() => loadDataFile(garbage)).toThrow(`${garbage}: not a safetensors file: 3 bytes is too short to hold the 8-byte header length`);
  });
});

describe("checkData", () => {
  const tensor = (shape: number[], values?: number[]) => ({ shape, data: Float32Array.from(values ?? Array(shape.reduce((a, b) => a * b, 1)).fill(0)) });
  const data = (x: number[], y: number[], labels?: number[]): TrainingData => ({
    ...fixedSplit({ x: tensor(x), y: tensor(y, labels) }),
    description: "test data",
  });
  const classifier = { input: ["N", 2], output: ["N", 3], loss: "cross_entropy" } as const;

  it("accepts data that fits and refuses each misfit with its message", () => {
    expect(() => checkData(data([10, 2], [10]), classifier)).not.toThrow();
    expect(() => checkData(data([10, 3], [10]), classifier)).toThrow(new DataError("the model's input is [N, 2], but the training inputs are [8, 3]"));
    expect(() => checkData(data([10, 2], [10], [0, 1, 2, 0, 1, 2, 0, 1, 2, 7]), classifier)).toThrow(
      "label 7 of held-out example 1 is not a class of the model's output [N, 3] (0 to 2)",
    );
    expect(() => checkData(data([10, 2], [10], [0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0]), classifier)).toThrow("label 0.5 of training example 1 is not a class");
    expect(() => checkData(data([4, 2], [4]), classifier)).toThrow("the held-out set is empty (test data)");
    expect(() => checkData(data([10, 2], [10, 3]), classifier)).toThrow("cross_entropy needs one class label per example, shape [N], but the training targets are [8, 3]");
    expect(() => checkData(data([10, 2], [10, 3]), { ...classifier, loss: "mse" })).not.toThrow();
    expect(() => checkData(data([10, 2], [10, 4]), { ...classifier, loss: "mse" })).toThrow("mse needs targets shaped like the model's output [N, 3], but the training targets are [8, 4]");
  });
});
