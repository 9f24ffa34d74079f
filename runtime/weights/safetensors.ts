/**
 * Reading and writing safetensors files (https://github.com/huggingface/safetensors), strictly.
 * The one reader of checkpoints: `nnc compile --weights` and a generated module's `load()` (through
 * `runtime/safetensors.ts`) read with it, so both accept and refuse the same files with the same
 * messages.
 *
 * Layout: an 8-byte little-endian unsigned header length N, then N bytes of UTF-8 JSON, then the
 * data buffer. The header is an object mapping each tensor name to `{dtype, shape, data_offsets}`
 * (offsets relative to the start of the data buffer), plus an optional `__metadata__` object of
 * string values. The reader enforces what the reference implementation enforces: the header fits
 * in the file, the tensors tile the data buffer exactly (no gap, no overlap, nothing left over),
 * and each tensor's byte length is its element count times its dtype's size.
 *
 * Order. A safetensors header is a JSON object, and `safetensors.torch.save_file` writes it
 * sorted by dtype and name, so a file's own key order is not its model's declaration order. The
 * reader therefore takes the order from the metadata key `order` (a JSON array of every tensor
 * name) when present, which nnc's writer always records, and otherwise from the order of the keys
 * as written in the header text. The returned map iterates in that order.
 */
import { dtypeInfo, decodeToFloat32, encodeFloat32, FLOAT_DTYPES } from "./dtypes.js";
import { topLevelKeys } from "./json-key-order.js";
import { WeightsError } from "./weights-error.js";

/** One tensor of a file, converted to float32; `dtype` is the type it was stored as. */
export interface SafetensorsTensor {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A whole file: its tensors in declaration order (see the module comment) and its metadata. */
export interface SafetensorsFile {
  readonly tensors: Map<string, SafetensorsTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A tensor to write; `data` is row-major and must hold exactly product(shape) values. */
export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The header size limit of the reference implementation (100 MB), against hostile lengths. */
export const MAX_HEADER_BYTES = 100_000_000;

/** The metadata key under which the writer records the tensors' declaration order. */
export const ORDER_METADATA_KEY = "order";

const METADATA_KEY = "__metadata__";

/**
 * PyTorch's BatchNorm counts its training steps in an integer buffer `num_batches_tracked`.
 * It is no weight: such buffers are accepted and ignored.
 */
export function isIgnoredBuffer(name: string): boolean {
  return name === "num_batches_tracked" || name.endsWith(".num_batches_tracked");
}

/** Reads a safetensors file; the map iterates in the checkpoint's declaration order. */
export function readSafetensors(bytes: Uint8Array): Map<string, SafetensorsTensor> {
  return readSafetensorsFile(bytes).tensors;
}

/** Reads a safetensors file with its metadata. Throws `WeightsError` on any malformation. */
export function readSafetensorsFile(bytes: Uint8Array): SafetensorsFile {
  const { header, keys, dataStart } = readHeader(bytes);
  const metadata = readMetadata(header[METADATA_KEY]);
  const buffer = bytes.subarray(dataStart);
  const entries = keys.filter((k) => k !== METADATA_KEY).map((name) => readEntry(name, header[name], buffer.length));
  checkTiling(entries, buffer.length);
  const decoded = new Map<string, SafetensorsTensor>();
  for (const e of entries) decoded.set(e.name, decodeEntry(e, buffer));
  const order = declarationOrder(metadata, entries.map((e) => e.name));
  const tensors = new Map(order.map((name) => [name, decoded.get(name)!] as const));
  return { tensors, metadata };
}

/**
 * Writes F32 tensors as a safetensors file. Tensors are laid out sorted by name, as the reference
 * writer does, so equal inputs give equal bytes; their given order is recorded in the `order`
 * metadata. The header is padded with spaces to a multiple of 8 bytes, again as the reference does.
 */
export function writeSafetensors(tensors: readonly TensorToWrite[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  if (Object.hasOwn(metadata, ORDER_METADATA_KEY)) {
    throw new WeightsError(`metadata key \`${ORDER_METADATA_KEY}\` is reserved: the writer records the tensors' order itself`);
  }
  const seen = new Set<string>();
  for (const t of tensors) checkWritable(t, seen);
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const allMetadata = { ...metadata, [ORDER_METADATA_KEY]: JSON.stringify(tensors.map((t) => t.name)) };
  const parts = [`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(allMetadata)}`];
  let offset = 0;
  for (const t of sorted) {
    const end = offset + t.data.length * 4;
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: "F32", shape: t.shape, data_offsets: [offset, end] })}`);
    offset = end;
  }
  // Keys are joined by hand: a JavaScript object would move integer-like names to the front.
  const json = new TextEncoder().encode(`{${parts.join(",")}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const t of sorted) {
    out.set(encodeFloat32(t.data), at);
    at += t.data.length * 4;
  }
  return out;
}

function checkWritable(t: TensorToWrite, seen: Set<string>): void {
  if (t.name === METADATA_KEY) throw new WeightsError(`a tensor cannot be named \`${METADATA_KEY}\``, t.name);
  if (seen.has(t.name)) throw new WeightsError(`tensor \`${t.name}\` is given twice`, t.name);
  seen.add(t.name);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new WeightsError(`tensor \`${t.name}\`: shape [${t.shape.join(",")}] must hold non-negative integers`, t.name);
  }
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) {
    throw new WeightsError(`tensor \`${t.name}\`: shape [${t.shape.join(",")}] holds ${count} values, but ${t.data.length} were given`, t.name);
  }
}

/** One checked header entry, before its data is decoded. */
interface Entry {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

function readHeader(bytes: Uint8Array): { header: Record<string, unknown>; keys: string[]; dataStart: number } {
  if (bytes.length < 8) {
    throw new WeightsError(`not a safetensors file: ${bytes.length} bytes is too short to hold the 8-byte header length`);
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new WeightsError(`not a safetensors file: the header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  const n = Number(length);
  const available = bytes.length - 8;
  if (n > available) throw new WeightsError(`not a safetensors file: the header length ${n} exceeds the ${available} bytes that follow it`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw new WeightsError("safetensors header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new WeightsError(`safetensors header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new WeightsError(`safetensors header must be a JSON object, got ${Array.isArray(header) ? "an array" : JSON.stringify(header)}`);
  }
  const keys = topLevelKeys(text);
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) throw new WeightsError(`tensor \`${key}\` appears twice in the safetensors header`, key);
    seen.add(key);
  }
  return { header: header as Record<string, unknown>, keys, dataStart: 8 + n };
}

function readMetadata(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new WeightsError(`safetensors \`${METADATA_KEY}\` must be an object of strings`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== "string") throw new WeightsError(`safetensors \`${METADATA_KEY}\` value \`${key}\` must be a string, got ${JSON.stringify(v)}`);
  }
  return value as Record<string, string>;
}

function readEntry(name: string, value: unknown, bufferLength: number): Entry {
  const fail = (what: string): never => {
    throw new WeightsError(`tensor \`${name}\`: ${what}`, name);
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail("header entry must be an object with dtype, shape and data_offsets");
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== "string") fail("header entry has no dtype string");
  const info = dtypeInfo(dtype as string) ?? fail(`unknown dtype ${JSON.stringify(dtype)}`);
  const isCount = (d: unknown): d is number => Number.isSafeInteger(d) && (d as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) fail(`shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(`data_offsets must be two integers [begin, end] with begin <= end, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  if (end > bufferLength) fail(`data_offsets [${begin}, ${end}] run past the end of the ${bufferLength}-byte data buffer`);
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  if (count * info.size !== end - begin) {
    fail(`shape [${(shape as number[]).join(",")}] of ${dtype} needs ${count * info.size} bytes, but data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype: dtype as string, shape: shape as number[], begin, end };
}

/** The tensors must tile the data buffer: sorted by offset, each starts where the last ended. */
function checkTiling(entries: readonly Entry[], bufferLength: number): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const e of sorted) {
    if (e.begin < cursor) {
      throw new WeightsError(`tensor \`${e.name}\`: data_offsets [${e.begin}, ${e.end}] overlap tensor \`${previous!.name}\` [${previous!.begin}, ${previous!.end}]`, e.name);
    }
    if (e.begin > cursor) {
      throw new WeightsError(`tensor \`${e.name}\`: data_offsets [${e.begin}, ${e.end}] leave bytes ${cursor} to ${e.begin} of the data buffer unused`, e.name);
    }
    cursor = e.end;
    previous = e;
  }
  if (cursor !== bufferLength) {
    throw new WeightsError(`the data buffer has ${bufferLength - cursor} bytes after the last tensor that belong to no tensor`);
  }
}

function decodeEntry(e: Entry, buffer: Uint8Array): SafetensorsTensor {
  const info = dtypeInfo(e.dtype)!;
  const readable = info.read && (!info.integer || isIgnoredBuffer(e.name));
  if (!readable) {
    const why = info.integer ? `has integer dtype ${e.dtype}, but weights are floating point` : `has dtype ${e.dtype}, which nnc does not read`;
    throw new WeightsError(`tensor \`${e.name}\` ${why} (nnc reads ${FLOAT_DTYPES.join(", ")})`, e.name);
  }
  const count = e.shape.reduce((a, b) => a * b, 1);
  const outOfRange = (value: number, index: number): never => {
    throw new WeightsError(`tensor \`${e.name}\`: value ${value} at flat index ${index} is outside float32's range (about ±3.4e38)`, e.name);
  };
  return { dtype: e.dtype, shape: e.shape, data: decodeToFloat32(buffer.subarray(e.begin, e.end), e.dtype, count, outOfRange) };
}

/** The `order` metadata when present (it must list every tensor once), else the header's key order. */
function declarationOrder(metadata: Readonly<Record<string, string>>, headerOrder: readonly string[]): readonly string[] {
  const text = metadata[ORDER_METADATA_KEY];
  if (text === undefined) return headerOrder;
  let order: unknown;
  try {
    order = JSON.parse(text);
  } catch {
    order = undefined;
  }
  if (!Array.isArray(order) || !order.every((n) => typeof n === "string")) {
    throw new WeightsError(`safetensors metadata \`${ORDER_METADATA_KEY}\` must be a JSON array of tensor names`);
  }
  const names = new Set(headerOrder);
  const listed = new Set<string>();
  for (const name of order as string[]) {
    if (!names.has(name)) throw new WeightsError(`safetensors metadata \`${ORDER_METADATA_KEY}\` lists \`${name}\`, which is not a tensor in the file`, name);
    if (listed.has(name)) throw new WeightsError(`safetensors metadata \`${ORDER_METADATA_KEY}\` lists \`${name}\` twice`, name);
    listed.add(name);
  }
  const unlisted = headerOrder.find((n) => !listed.has(n));
  if (unlisted !== undefined) throw new WeightsError(`safetensors metadata \`${ORDER_METADATA_KEY}\` does not list tensor \`${unlisted}\``, unlisted);
  return order as string[];
}
