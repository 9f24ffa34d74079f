/**
 * Tensors as ONNX initializers. Float data goes in `raw_data` as little-endian float32 bytes
 * (the compact form every ONNX reader accepts); int64 helper tensors (Reshape shapes, reduction
 * axes) likewise as little-endian int64.
 */
import { DATA_TYPE, type ITensorProto } from "./proto.js";

/** A float32 initializer named `name`. */
export function floatInitializer(name: string, shape: readonly number[], data: Float32Array): ITensorProto {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims: [...shape], dataType: DATA_TYPE.FLOAT, rawData: bytes };
}

/** An int64 initializer named `name`: a 1-D tensor of `values`, or a scalar when `shape` is `[]`. */
export function int64Initializer(name: string, values: readonly number[], shape: readonly number[] = [values.length]): ITensorProto {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [...shape], dataType: DATA_TYPE.INT64, rawData: bytes };
}

/** The values of an initializer written by this module, as numbers (for the text dump). */
export function initializerValues(tensor: ITensorProto): number[] {
  const raw = tensor.rawData ?? new Uint8Array();
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (tensor.dataType === DATA_TYPE.INT64) {
    return Array.from({ length: raw.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  }
  if (tensor.dataType === DATA_TYPE.FLOAT) {
    return Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
  }
  throw new Error(`ONNX: initializer ${tensor.name} has a data type this emitter never writes (${tensor.dataType})`);
}
