/**
 * A small safetensors reader for generated modules, which cannot import the compiler (the
 * compiler's strict reader is `compiler/weights/safetensors.ts`). It reads what the compiler's
 * writer and PyTorch's `save_file` write: an 8-byte little-endian header length, a JSON header
 * of `{dtype, shape, data_offsets}` entries, then the data. Floating-point tensors (F32, F64,
 * F16, BF16) become float32; PyTorch's integer `num_batches_tracked` buffers are skipped, and
 * any other tensor is rejected with a message naming it.
 */

/** One tensor read from a checkpoint. */
export interface CheckpointTensor {
  shape: number[];
  data: Float32Array;
}

const SIZES: Readonly<Record<string, number>> = { F64: 8, F32: 4, F16: 2, BF16: 2 };

/** True for PyTorch's BatchNorm step counters (`num_batches_tracked`), which are no weights: `load` ignores them. */
export function isStepCounter(name: string): boolean {
  return name === "num_batches_tracked" || name.endsWith(".num_batches_tracked");
}

/** Reads a safetensors file into float32 tensors by name; throws an Error naming what is wrong. */
export function readSafetensorsTensors(bytes: Uint8Array): Map<string, CheckpointTensor> {
  if (bytes.length < 8) throw new Error(`not a safetensors file: ${bytes.length} bytes is too short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw new Error(`not a safetensors file: the header length ${headerLength} exceeds the file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new Error("not a safetensors file: the header is not JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) throw new Error("not a safetensors file: the header is not an object");
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, CheckpointTensor>();
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__" || isStepCounter(name)) continue;
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const size = typeof dtype === "string" && Object.hasOwn(SIZES, dtype) ? SIZES[dtype] : undefined;
    if (size === undefined) throw new Error(`checkpoint tensor \`${name}\` has dtype ${JSON.stringify(dtype)}; weights must be F32, F64, F16 or BF16`);
    const validShape = Array.isArray(shape) && shape.every((d) => Number.isSafeInteger(d) && d >= 0);
    const validOffsets = Array.isArray(offsets) && offsets.length === 2 && offsets.every((d) => Number.isSafeInteger(d) && d >= 0);
    if (!validShape || !validOffsets) throw new Error(`checkpoint tensor \`${name}\` has a malformed header entry`);
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    const [begin, end] = offsets as number[];
    if (end - begin !== count * size || dataStart + end > bytes.length) {
      throw new Error(`checkpoint tensor \`${name}\`: data_offsets [${begin}, ${end}] do not fit shape [${(shape as number[]).join(", ")}] of ${dtype as string} in the file`);
    }
    tensors.set(name, { shape: [...(shape as number[])], data: decode(view, dataStart + begin, count, dtype as string) });
  }
  return tensors;
}

function decode(view: DataView, at: number, count: number, dtype: string): Float32Array {
  const out = new Float32Array(count);
  switch (dtype) {
    case "F32":
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(at + 4 * i, true);
      break;
    case "F64":
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(at + 8 * i, true);
      break;
    case "F16":
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(at + 2 * i, true));
      break;
    default: {
      // bfloat16 is the upper half of a float32.
      const widened = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        widened.setUint32(0, view.getUint16(at + 2 * i, true) << 16);
        out[i] = widened.getFloat32(0);
      }
    }
  }
  return out;
}

/** IEEE 754 binary16 to a number (exact: every half is a float32). */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
