import { describe, expect, it } from "vitest";
import { readSafetensors, readSafetensorsFile, writeSafetensors } from "../../runtime/weights/safetensors.js";
import { topLevelKeys } from "../../runtime/weights/json-key-order.js";
import { WeightsError } from "../../runtime/weights/weights-error.js";
import { concatBytes, f32Bytes, f64Bytes, i64Bytes, rawFile, u16Bytes } from "./raw-file.js";

/** The `WeightsError` that reading `bytes` throws. */
function readError(bytes: Uint8Array): WeightsError {
  try {
    readSafetensors(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsError);
    return e as WeightsError;
  }
  throw new Error("expected the read to fail");
}

function headerText(bytes: Uint8Array): string {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return new TextDecoder().decode(bytes.subarray(8, 8 + n));
}

const entry = (dtype: string, shape: number[], begin: number, end: number) => ({ dtype, shape, data_offsets: [begin, end] });

describe("writeSafetensors and readSafetensors", () => {
  const tensors = [
    { name: "conv0.weight", shape: [2, 1, 1, 2], data: new Float32Array([1, -2.5, 3e-8, 1e30]) },
    { name: "batch0.bias", shape: [2], data: new Float32Array([0.1, -0.1]) },
    { name: "scalar", shape: [], data: new Float32Array([7]) },
    { name: "empty", shape: [0, 3], data: new Float32Array(0) },
  ];

  it("round-trips names, shapes, values, metadata and order", () => {
    const file = readSafetensorsFile(writeSafetensors(tensors, { model: "Test" }));
    expect([...file.tensors.keys()]).toEqual(tensors.map((t) => t.name));
    for (const t of tensors) {
      const back = file.tensors.get(t.name)!;
      expect(back.dtype).toBe("F32");
      expect(back.shape).toEqual(t.shape);
      expect(back.data).toEqual(t.data);
    }
    expect(file.metadata.model).toBe("Test");
    expect(JSON.parse(file.metadata.order)).toEqual(tensors.map((t) => t.name));
  });

  it("lays tensors out sorted by name behind a space-padded header, deterministically", () => {
    const bytes = writeSafetensors(tensors);
    expect(Buffer.compare(writeSafetensors(tensors), bytes)).toBe(0);
    const text = headerText(bytes);
    expect(text.length % 8).toBe(0);
    expect(text).toMatch(/^\{.*\} *$/);
    const header = JSON.parse(text);
    expect(topLevelKeys(text)).toEqual(["__metadata__", "batch0.bias", "conv0.weight", "empty", "scalar"]);
    expect(header["batch0.bias"]).toEqual(entry("F32", [2], 0, 8));
    expect(header["conv0.weight"]).toEqual(entry("F32", [2, 1, 1, 2], 8, 24));
    expect(header["empty"]).toEqual(entry("F32", [0, 3], 24, 24));
    expect(header["scalar"]).toEqual(entry("F32", [], 24, 28));
    expect(bytes.length).toBe(8 + text.length + 28);
  });

  it("keeps integer-like names in their order", () => {
    const named = ["10", "2", "b", "1"].map((name) => ({ name, shape: [1], data: new Float32Array([Number(name) || 0]) }));
    const bytes = writeSafetensors(named);
    expect(topLevelKeys(headerText(bytes))).toEqual(["__metadata__", "1", "10", "2", "b"]);
    expect([...readSafetensors(bytes).keys()]).toEqual(["10", "2", "b", "1"]);
  });

  it("refuses data that does not fit the shape, duplicate names and a reserved metadata key", () => {
    const bad = { name: "w", shape: [2, 2], data: new Float32Array(3) };
    expect(() => writeSafetensors([bad])).toThrow("tensor `w`: shape [2,2] holds 4 values, but 3 were given");
    const t = { name: "w", shape: [1], data: new Float32Array(1) };
    expect(() => writeSafetensors([t, t])).toThrow("tensor `w` is given twice");
    expect(() => writeSafetensors([{ ...t, name: "__metadata__" }])).toThrow(WeightsError);
    expect(() => writeSafetensors([t], { order: "[]" })).toThrow("metadata key `order` is reserved");
  });
});

describe("readSafetensors order", () => {
  it("follows the header's key order, integer-like keys included, when there is no order metadata", () => {
    const header = `{"b":${JSON.stringify(entry("F32", [1], 0, 4))},"10":${JSON.stringify(entry("F32", [1], 4, 8))},"a":${JSON.stringify(entry("F32", [1], 8, 12))}}`;
    expect([...readSafetensors(rawFile(header, f32Bytes([1, 2, 3]))).keys()]).toEqual(["b", "10", "a"]);
  });

  const two = (order: string) => rawFile({ __metadata__: { order }, a: entry("F32", [1], 0, 4), b: entry("F32", [1], 4, 8) }, f32Bytes([1, 2]));

  it("follows the order metadata when present", () => {
    expect([...readSafetensors(two('["b","a"]')).keys()]).toEqual(["b", "a"]);
  });

  it("rejects order metadata that is not a permutation of the tensors", () => {
    expect(readError(two("b, a")).message).toMatch(/`order` must be a JSON array of tensor names/);
    expect(readError(two('["b"]')).message).toMatch(/does not list tensor `a`/);
    expect(readError(two('["b","a","c"]')).message).toMatch(/lists `c`, which is not a tensor in the file/);
    expect(readError(two('["b","a","a"]')).message).toMatch(/lists `a` twice/);
  });
});

describe("readSafetensors dtypes", () => {
  it("converts F16, BF16 and F64 to float32", () => {
    const f16 = u16Bytes([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x7e00, 0x8000]);
    const bf16 = u16Bytes([0x3f80, 0xc040]);
    const f64 = f64Bytes([1 / 3, -1e30]);
    const header = { h: entry("F16", [8], 0, 16), b: entry("BF16", [2], 16, 20), d: entry("F64", [2], 20, 36) };
    const read = readSafetensors(rawFile(header, concatBytes(f16, bf16, f64)));
    expect([...read.get("h")!.data]).toEqual([1, -2, 65504, 2 ** -24, Infinity, -Infinity, NaN, -0]);
    expect([...read.get("b")!.data]).toEqual([1, -3]);
    expect([...read.get("d")!.data]).toEqual([Math.fround(1 / 3), Math.fround(-1e30)]);
    expect(read.get("h")!.dtype).toBe("F16");
  });

  it("refuses a finite F64 value that float32 cannot hold, saying so (not \"non-finite\")", () => {
    const e = readError(rawFile({ w: entry("F64", [2], 0, 16) }, f64Bytes([0.5, 1e300])));
    expect(e.message).toBe("tensor `w`: value 1e+300 at flat index 1 is outside float32's range (about ±3.4e38)");
    expect(e.tensor).toBe("w");
  });

  it("parses an integer num_batches_tracked buffer", () => {
    const count = i64Bytes([12345n]);
    const read = readSafetensors(rawFile({ "bn.num_batches_tracked": entry("I64", [], 0, 8) }, count));
    expect(read.get("bn.num_batches_tracked")).toEqual({ dtype: "I64", shape: [], data: new Float32Array([12345]) });
  });

  it("rejects integer weights, naming the tensor", () => {
    const e = readError(rawFile({ "conv0.weight": entry("I32", [2], 0, 8) }, new Uint8Array(8)));
    expect(e.message).toBe("tensor `conv0.weight` has integer dtype I32, but weights are floating point (nnc reads F32, F16, BF16, F64)");
    expect(e.tensor).toBe("conv0.weight");
  });

  it("rejects float8 and unknown dtypes, naming the tensor", () => {
    expect(readError(rawFile({ w: entry("F8_E4M3", [2], 0, 2) }, new Uint8Array(2))).message).toMatch(/^tensor `w` has dtype F8_E4M3, which nnc does not read/);
    expect(readError(rawFile({ w: entry("F128", [1], 0, 16) }, new Uint8Array(16))).message).toBe('tensor `w`: unknown dtype "F128"');
    expect(readError(rawFile({ w: entry("toString", [1], 0, 4) }, new Uint8Array(4))).message).toBe('tensor `w`: unknown dtype "toString"');
  });
});

describe("readSafetensors validation", () => {
  const w = entry("F32", [2], 0, 8);

  it("rejects a file too short for the length field", () => {
    expect(readError(new Uint8Array(5)).message).toMatch(/5 bytes is too short/);
  });

  it("rejects a header length beyond the file or the size limit", () => {
    expect(readError(rawFile({ w }, f32Bytes([1, 2]), { claimedLength: 1000n })).message).toMatch(/header length 1000 exceeds the \d+ bytes that follow it/);
    expect(readError(rawFile({ w }, f32Bytes([1, 2]), { claimedLength: 2n ** 63n })).message).toMatch(/exceeds the 100000000-byte limit/);
  });

  it("rejects a header that is not UTF-8, not JSON, or not an object", () => {
    const latin1 = concatBytes(new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0]), new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d, 0x20]));
    expect(readError(latin1).message).toBe("safetensors header is not valid UTF-8");
    expect(readError(rawFile('{"w": {"dtype": "F32",')).message).toMatch(/^safetensors header is not valid JSON: /);
    expect(readError(rawFile("[1, 2]")).message).toBe("safetensors header must be a JSON object, got an array");
    expect(readError(rawFile("null")).message).toBe("safetensors header must be a JSON object, got null");
  });

  it("rejects a tensor named twice in the header", () => {
    const text = `{"w":${JSON.stringify(w)},"w":${JSON.stringify(w)}}`;
    expect(readError(rawFile(text, f32Bytes([1, 2]))).message).toBe("tensor `w` appears twice in the safetensors header");
  });

  it("rejects malformed metadata", () => {
    expect(readError(rawFile({ __metadata__: ["a"] })).message).toMatch(/`__metadata__` must be an object of strings/);
    expect(readError(rawFile({ __metadata__: { epoch: 3 } })).message).toBe("safetensors `__metadata__` value `epoch` must be a string, got 3");
  });

  it("rejects malformed entries, naming the tensor", () => {
    const message = (value: unknown) => readError(rawFile({ w: value }, f32Bytes([1, 2]))).message;
    expect(message(3)).toBe("tensor `w`: header entry must be an object with dtype, shape and data_offsets");
    expect(message({ shape: [2], data_offsets: [0, 8] })).toBe("tensor `w`: header entry has no dtype string");
    expect(message({ dtype: "F32", data_offsets: [0, 8] })).toMatch(/^tensor `w`: shape must be a list of non-negative integers/);
    expect(message(entry("F32", [-2], 0, 8))).toMatch(/^tensor `w`: shape must be a list of non-negative integers, got \[-2\]/);
    expect(message(entry("F32", [2.5], 0, 8))).toMatch(/^tensor `w`: shape must be/);
    expect(message({ dtype: "F32", shape: [2] })).toMatch(/^tensor `w`: data_offsets must be two integers/);
    expect(message({ dtype: "F32", shape: [2], data_offsets: [0, 4, 8] })).toMatch(/^tensor `w`: data_offsets must be two integers/);
    expect(message(entry("F32", [2], 8, 0))).toMatch(/^tensor `w`: data_offsets must be two integers \[begin, end\] with begin <= end, got \[8,0\]/);
  });

  it("rejects offsets past the data buffer", () => {
    expect(readError(rawFile({ w: entry("F32", [3], 0, 12) }, f32Bytes([1, 2]))).message).toBe(
      "tensor `w`: data_offsets [0, 12] run past the end of the 8-byte data buffer",
    );
  });

  it("rejects a byte length that is not the element count times the dtype size", () => {
    expect(readError(rawFile({ w: entry("F32", [3], 0, 8) }, f32Bytes([1, 2]))).message).toBe(
      "tensor `w`: shape [3] of F32 needs 12 bytes, but data_offsets [0, 8] span 8",
    );
  });

  it("rejects overlapping tensors", () => {
    const header = { a: entry("F32", [2], 0, 8), b: entry("F32", [2], 4, 12) };
    expect(readError(rawFile(header, f32Bytes([1, 2, 3]))).message).toBe("tensor `b`: data_offsets [4, 12] overlap tensor `a` [0, 8]");
  });

  it("rejects a gap between tensors, or before the first", () => {
    const header = { a: entry("F32", [1], 0, 4), b: entry("F32", [1], 8, 12) };
    expect(readError(rawFile(header, f32Bytes([1, 2, 3]))).message).toBe("tensor `b`: data_offsets [8, 12] leave bytes 4 to 8 of the data buffer unused");
    expect(readError(rawFile({ a: entry("F32", [1], 4, 8) }, f32Bytes([1, 2]))).message).toMatch(/^tensor `a`: .* leave bytes 0 to 4/);
  });

  it("rejects bytes after the last tensor", () => {
    expect(readError(rawFile({ w }, f32Bytes([1, 2, 3]))).message).toBe("the data buffer has 4 bytes after the last tensor that belong to no tensor");
  });

  it("accepts an empty file and empty tensors sharing an offset", () => {
    expect(readSafetensors(rawFile("{}")).size).toBe(0);
    const header = { e1: entry("F32", [0], 4, 4), a: entry("F32", [1], 0, 4), e2: entry("F32", [2, 0], 4, 4), b: entry("F32", [1], 4, 8) };
    expect([...readSafetensors(rawFile(header, f32Bytes([1, 2]))).keys()]).toEqual(["e1", "a", "e2", "b"]);
  });

  it("reads a view into a larger buffer", () => {
    const bytes = writeSafetensors([{ name: "w", shape: [2], data: new Float32Array([1, 2]) }]);
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(readSafetensors(padded.subarray(3)).get("w")!.data).toEqual(new Float32Array([1, 2]));
  });
});
