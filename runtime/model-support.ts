/**
 * What every generated module needs besides kernels: reading a checkpoint from a path, bytes or
 * a name → Float32Array record; checking it against the model's parameter list (every problem
 * reported at once, each naming the parameter); checking forward inputs; and copying the state
 * out. The compiler performs the same checks at
 * compile time (`compiler/weights/match.ts`); this copy exists because a generated module cannot
 * import the compiler.
 */
import { readSafetensorsTensors, isStepCounter } from "./safetensors.js";
import { valueProblem } from "./weights/values.js";
import type { Tensor } from "./tensor.js";

/** A model parameter or buffer: its name (`Basic0.conv0.weight`) and shape. */
export type ParameterSpec = readonly [name: string, shape: readonly number[]];

/** Where `load()` takes weights from: a path or URL, safetensors bytes, or tensors by name. */
export type WeightsSource = string | URL | Uint8Array | Readonly<Record<string, Float32Array>>;

/** A checkpoint tensor before it is checked; a record source gives no shapes. */
interface Found {
  shape?: number[];
  data: Float32Array;
}

/**
 * Reads and checks the weights of a model with the given parameters. Returns a record (with no
 * prototype, so any name is a plain key) of every parameter as a tensor; throws one Error that
 * lists every missing, unexpected, wrongly shaped, non-finite or impossible (a negative running
 * variance) weight by name.
 */
export async function loadWeights(model: string, parameters: readonly ParameterSpec[], source: WeightsSource): Promise<Record<string, Tensor>> {
  return bindWeights(model, parameters, await readCheckpoint(source), describeSource(source));
}

/** The checkpoint as the summary line of a load error names it: its path or URL, or what it is. */
function describeSource(source: WeightsSource): string {
  if (typeof source === "string") return source;
  if (source instanceof URL) return source.href;
  if (source instanceof Uint8Array) return `${source.length.toLocaleString("en-US")} bytes of safetensors`;
  return "a record of weights";
}

/**
 * Reads the weights of a train-mode model, whose checkpoint may also hold an optimizer's state
 * (`optim.<parameter>.<slot>` and `optim.step`, as a training module's `state()` returns them):
 * those tensors come back apart, for the optimizer to resume from; the rest is checked as
 * {@link loadWeights} checks it. Everything comes back copied, as training changes it in place.
 */
export async function splitOptimizerState(
  model: string,
  parameters: readonly ParameterSpec[],
  source: WeightsSource,
): Promise<{ weights: Record<string, Tensor>; optimizer?: Record<string, Float32Array> }> {
  const found = await readCheckpoint(source);
  const names = new Set(parameters.map(([name]) => name));
  const optimizer: Record<string, Float32Array> = Object.create(null) as Record<string, Float32Array>;
  let any = false;
  for (const [name, tensor] of found) {
    if (!isOptimizerState(name, names)) continue;
    optimizer[name] = tensor.data;
    found.delete(name);
    any = true;
  }
  // Training updates the weights in place: it must never write into the caller's arrays.
  const weights = bindWeights(model, parameters, found, describeSource(source));
  for (const name of Object.keys(weights)) weights[name] = { shape: weights[name].shape, data: weights[name].data.slice() };
  for (const name of Object.keys(optimizer)) optimizer[name] = optimizer[name].slice();
  return { weights, optimizer: any ? optimizer : undefined };
}

/** True for `optim.step` and `optim.<parameter>.<slot>` names that are not parameters themselves. */
export function isOptimizerState(name: string, parameters: ReadonlySet<string>): boolean {
  if (parameters.has(name) || !name.startsWith("optim.")) return false;
  if (name === "optim.step") return true;
  const rest = name.slice("optim.".length);
  const dot = rest.lastIndexOf(".");
  return dot > 0 && parameters.has(rest.slice(0, dot));
}

async function readCheckpoint(source: WeightsSource): Promise<Map<string, Found>> {
  if (source instanceof Uint8Array) return readSafetensorsTensors(source);
  if (typeof source === "string" || source instanceof URL) return readSafetensorsTensors(await readBytes(source));
  if (typeof source !== "object" || source === null) throw new Error(`load: expected a path, safetensors bytes or a record of Float32Array, got ${String(source)}`);
  const found = new Map<string, Found>();
  for (const name of Object.keys(source)) {
    if (isStepCounter(name)) continue;
    const data: unknown = source[name];
    if (!(data instanceof Float32Array)) throw new Error(`load: weight \`${name}\` must be a Float32Array`);
    found.set(name, { data });
  }
  return found;
}

/**
 * The bytes of a file (Node) or of a URL (fetch): an http(s), blob or data URL, or, where there is
 * no file system (a browser), any path, which `fetch` resolves against the page.
 */
async function readBytes(location: string | URL): Promise<Uint8Array> {
  const href = typeof location === "string" ? location : location.href;
  // Node's file system through `process.getBuiltinModule`, so a bundler for the browser finds no import to resolve.
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  const fs = host.process?.getBuiltinModule?.("node:fs/promises") as { readFile(path: string | URL): Promise<Uint8Array> } | undefined;
  if (/^(https?|blob|data):/i.test(href) || fs === undefined) {
    const fetchUrl = (globalThis as { fetch?: (url: string) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer> }> }).fetch;
    if (!fetchUrl) throw new Error(`load: cannot fetch ${href}: this environment has no fetch`);
    const response = await fetchUrl(href);
    if (!response.ok) throw new Error(`load: fetching ${href} failed with HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  try {
    return new Uint8Array(await fs.readFile(location));
  } catch (error) {
    throw new Error(`load: cannot read weights file ${href}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * Checks every parameter of the model against the checkpoint `found` (read from `source`).
 * Throws one Error whose first line sums the problems up (the checkpoint, and how many
 * parameters are missing, unexpected, mis-shaped or hold impossible values), followed by one
 * line per problem naming the parameter.
 */
function bindWeights(model: string, parameters: readonly ParameterSpec[], found: Map<string, Found>, source: string): Record<string, Tensor> {
  const weights: Record<string, Tensor> = Object.create(null) as Record<string, Tensor>;
  const problems: string[] = [];
  const counts = { missing: 0, unexpected: 0, misShaped: 0, badValues: 0 };
  for (const [name, shape] of parameters) {
    const tensor = found.get(name);
    const expected = `[${shape.join(",")}]`;
    const count = shape.reduce((a, b) => a * b, 1);
    if (!tensor) {
      counts.missing++;
      problems.push(`model parameter \`${name}\` ${expected} is missing`);
    } else if (tensor.shape ? tensor.shape.join(",") !== shape.join(",") : tensor.data.length !== count) {
      counts.misShaped++;
      const got = tensor.shape ? `shape [${tensor.shape.join(",")}]` : `${tensor.data.length} values`;
      problems.push(`model parameter \`${name}\` has shape ${expected}, but the weights give ${got}`);
    } else {
      const problem = valueProblem(name, tensor.data);
      if (problem) {
        counts.badValues++;
        problems.push(problem.message);
      } else weights[name] = { shape: [...shape], data: tensor.data };
    }
  }
  const known = new Set(parameters.map(([name]) => name));
  for (const name of found.keys()) {
    if (known.has(name)) continue;
    counts.unexpected++;
    problems.push(`weight \`${name}\` matches no parameter of the model`);
  }
  if (problems.length === 0) return weights;
  const tally = [`${counts.missing} missing`, `${counts.unexpected} unexpected`, `${counts.misShaped} mis-shaped`];
  if (counts.badValues > 0) tally.push(`${counts.badValues} with impossible values`);
  const summary = `cannot load ${model} from ${source}: ${tally.join(", ")} (the model has ${parameters.length} parameters and buffers, the checkpoint ${found.size} tensors)`;
  throw new Error(`${summary}\n  ${problems.join("\n  ")}`);
}

/**
 * The sizes that symbolic dimensions (`N`, `H`) took in the inputs checked so far, with the
 * input each was first read from: `checkInput` returns it, and takes it back for the next input.
 */
export type InputSizes = ReadonlyMap<string, { readonly size: number; readonly input: string }>;

/**
 * Checks a forward input before any kernel runs: a `{ shape, data: Float32Array }` of the
 * expected rank whose static dimensions (numbers in `expected`) match, with as many values as
 * its shape says, and whose symbolic dimensions (names in `expected`; null for one that need
 * agree with nothing) agree with each other and with the sizes `earlier` inputs gave them.
 * Returns the sizes known after this input, for the next one.
 */
export function checkInput(value: unknown, expected: readonly (number | string | null)[], what: string, earlier: InputSizes = new Map()): InputSizes {
  const t = value as Partial<Tensor> | null | undefined;
  const want = `[${expected.map((d) => (d === null ? "?" : String(d))).join(", ")}]`;
  if (typeof t !== "object" || t === null || !Array.isArray(t.shape) || !("data" in t)) {
    throw new Error(`${what}: expected a tensor { shape, data: Float32Array } of shape ${want}, got ${describeValue(t)}`);
  }
  if (!(t.data instanceof Float32Array)) {
    throw new Error(`${what}: expected Float32Array, got ${describeValue(t.data)} as data (Float32Array.from(values) converts it)`);
  }
  const ok = t.shape.length === expected.length && expected.every((d, i) => typeof d !== "number" || d === t.shape![i]);
  if (!ok) throw new Error(`${what}: expected shape ${want}, got [${t.shape.join(", ")}]`);
  const count = t.shape.reduce((a: number, b: number) => a * b, 1);
  if (count !== t.data.length) throw new Error(`${what}: shape [${t.shape.join(", ")}] needs ${count} values, got ${t.data.length}`);
  const sizes = new Map(earlier);
  const input = what.slice(what.lastIndexOf(": ") + 2);
  expected.forEach((d, axis) => {
    if (typeof d !== "string") return;
    const size = t.shape![axis];
    const known = sizes.get(d);
    if (known === undefined) sizes.set(d, { size, input: `${input}'s axis ${axis}` });
    else if (known.size !== size) {
      throw new Error(`${what}: dimension ${d} is ${size} on axis ${axis}, but ${known.size} in ${known.input}; every use of ${d} must have one size (shape ${want}, got [${t.shape!.join(", ")}])`);
    }
  });
  return sizes;
}

/** How a value that is not what was expected is named in a message: `Float64Array`, `a plain array`, `null`. */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a plain array";
  if (ArrayBuffer.isView(value)) return value.constructor.name;
  if (typeof value === "object") return value.constructor === Object || value.constructor === undefined ? "an object without shape and data" : value.constructor.name;
  return typeof value;
}

/** A copy of every parameter and buffer by name, in declaration order. */
export function copyState(weights: Readonly<Record<string, Tensor>>, parameters: readonly ParameterSpec[]): Record<string, Float32Array> {
  const state: Record<string, Float32Array> = Object.create(null) as Record<string, Float32Array>;
  for (const [name] of parameters) state[name] = weights[name].data.slice();
  return state;
}
