/**
 * The element types of the safetensors format and their conversion to float32.
 *
 * nnc computes in float32, but PyTorch checkpoints may carry half (F16), bfloat16 (BF16) or
 * double (F64) tensors, so those are read and converted (rounding to nearest, as `tensor.float()`
 * does). Integer tensors are not weights; the reader decodes them only for the buffers it knows
 * to skip (`num_batches_tracked`). All data in a safetensors file is little-endian, whatever the
 * host, so every access goes through a `DataView` with the little-endian flag set.
 */

/** The floating-point element types nnc reads as weights. */
export const FLOAT_DTYPES = ["F32", "F16", "BF16", "F64"] as const;

/** How one element type is laid out and decoded. */
interface DtypeInfo {
  /** Bytes per element. */
  readonly size: number;
  /** Whether the type holds integers (or booleans) rather than real numbers. */
  readonly integer: boolean;
  /** Reads element `i` of the data starting at `view`'s offset 0; absent when not supported. */
  readonly read?: (view: DataView, i: number) => number;
}

const DTYPES: Readonly<Record<string, DtypeInfo>> = {
  F64: { size: 8, integer: false, read: (v, i) => v.getFloat64(i * 8, true) },
  F32: { size: 4, integer: false, read: (v, i) => v.getFloat32(i * 4, true) },
  F16: { size: 2, integer: false, read: (v, i) => halfToFloat(v.getUint16(i * 2, true)) },
  BF16: { size: 2, integer: false, read: (v, i) => bfloat16ToFloat(v.getUint16(i * 2, true)) },
  F8_E4M3: { size: 1, integer: false },
  F8_E5M2: { size: 1, integer: false },
  I64: { size: 8, integer: true, read: (v, i) => Number(v.getBigInt64(i * 8, true)) },
  U64: { size: 8, integer: true, read: (v, i) => Number(v.getBigUint64(i * 8, true)) },
  I32: { size: 4, integer: true, read: (v, i) => v.getInt32(i * 4, true) },
  U32: { size: 4, integer: true, read: (v, i) => v.getUint32(i * 4, true) },
  I16: { size: 2, integer: true, read: (v, i) => v.getInt16(i * 2, true) },
  U16: { size: 2, integer: true, read: (v, i) => v.getUint16(i * 2, true) },
  I8: { size: 1, integer: true, read: (v, i) => v.getInt8(i) },
  U8: { size: 1, integer: true, read: (v, i) => v.getUint8(i) },
  BOOL: { size: 1, integer: true, read: (v, i) => (v.getUint8(i) === 0 ? 0 : 1) },
};

/** The element type's description, or `undefined` for a name the format does not define. */
export function dtypeInfo(dtype: string): DtypeInfo | undefined {
  return Object.hasOwn(DTYPES, dtype) ? DTYPES[dtype] : undefined;
}

/**
 * Decodes `count` little-endian elements of `dtype` from `bytes` into float32. A finite value
 * that float32 cannot hold (an F64 of 1e300) is reported through `outOfRange` with its flat
 * index, rather than silently becoming Infinity.
 */
export function decodeToFloat32(bytes: Uint8Array, dtype: string, count: number, outOfRange?: (value: number, index: number) => never): Float32Array {
  const read = dtypeInfo(dtype)?.read;
  if (!read) throw new Error(`decodeToFloat32: dtype ${dtype} has no decoder`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const v = read(view, i);
    out[i] = v;
    if (outOfRange && Number.isFinite(v) && !Number.isFinite(out[i])) outOfRange(v, i);
  }
  return out;
}

/** Encodes float32 values as little-endian bytes (the F32 layout of the format). */
export function encodeFloat32(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}


const bfloat16Scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 is the upper half of a float32, so widening is a shift. */
function bfloat16ToFloat(bits: number): number {
  bfloat16Scratch.setUint32(0, bits << 16, false);
  return bfloat16Scratch.getFloat32(0, false);
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
