/**
 * Hand-made safetensors bytes for the reader's tests, malformed on purpose where a test wants:
 * the header text is taken as given, and the length field can claim any value.
 */

/** Options for `rawFile`. */
export interface RawFileOptions {
  /** The header length to write instead of the true one. */
  readonly claimedLength?: bigint;
}

/** 8-byte length, then `header` (a string as is, or an object as JSON), then `data`. */
export function rawFile(header: string | object, data: Uint8Array = new Uint8Array(0), options: RawFileOptions = {}): Uint8Array {
  const text = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, options.claimedLength ?? BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

/** Little-endian float32 bytes of `values`. */
export function f32Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

/** Little-endian 16-bit words (F16 or BF16 bit patterns). */
export function u16Bytes(words: readonly number[]): Uint8Array {
  const out = new Uint8Array(words.length * 2);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint16(i * 2, w, true));
  return out;
}

/** Little-endian float64 bytes of `values`. */
export function f64Bytes(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  return out;
}

/** Little-endian int64 bytes of `values`. */
export function i64Bytes(values: readonly bigint[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, v, true));
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
