/**
 * The ONNX protobuf messages, from the `onnx-proto` package (protobufjs static code generated
 * from the official `onnx.proto`). The package is CommonJS with a computed `module.exports`,
 * which Node cannot split into named exports, so the runtime namespace comes through the
 * default import and the message types through a type-only import.
 */
import onnxProto from "onnx-proto";
import type { onnx as types } from "onnx-proto";

/** The message classes (`onnx.ModelProto.encode(...)`, `.decode(...)`). */
export const onnx = onnxProto.onnx;

export type ModelProto = types.ModelProto;
export type IModelProto = types.IModelProto;
export type IGraphProto = types.IGraphProto;
export type INodeProto = types.INodeProto;
export type ITensorProto = types.ITensorProto;
export type IAttributeProto = types.IAttributeProto;
export type IValueInfoProto = types.IValueInfoProto;
export type ITypeProto = types.ITypeProto;

/** `TensorProto.DataType` codes the emitter writes. */
export const DATA_TYPE = { FLOAT: 1, INT64: 7 } as const;

/** `AttributeProto.AttributeType` codes the emitter writes. */
export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;
