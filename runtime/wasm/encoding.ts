/**
 * The byte-level encodings of the WebAssembly binary format: LEB128 integers, IEEE-754 floats,
 * length-prefixed names and vectors, all appended to a growable byte buffer.
 */

/** A growable byte buffer that the encoders append to. */
export class ByteWriter {
  private bytes = new Uint8Array(256);
  private length = 0;

  /** The bytes written so far (a copy of exactly that many). */
  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }

  /** Appends raw bytes. */
  raw(values: ArrayLike<number>): this {
    this.reserve(values.length);
    for (let i = 0; i < values.length; i++) this.bytes[this.length++] = values[i] & 0xff;
    return this;
  }

  /** Appends one byte. */
  byte(value: number): this {
    return this.raw([value]);
  }

  /** Appends an unsigned LEB128 integer (u32 and smaller). */
  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`wasm: ${value} is not a u32`);
    let v = value;
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  /** Appends a signed LEB128 integer (i32). */
  i32(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) throw new Error(`wasm: ${value} is not an i32`);
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** Appends a little-endian IEEE-754 single. */
  f32(value: number): this {
    return this.raw(new Uint8Array(new Float32Array([value]).buffer));
  }

  /** Appends a UTF-8 name prefixed by its byte length. */
  /** A float64, little-endian. */
  f64(value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    return this.raw(bytes);
  }

  name(text: string): this {
    const utf8 = new TextEncoder().encode(text);
    return this.u32(utf8.length).raw(utf8);
  }

  /** Appends `bytes` prefixed by their length, as sections and function bodies are framed. */
  sized(bytes: Uint8Array): this {
    return this.u32(bytes.length).raw(bytes);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + extra));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }
}
