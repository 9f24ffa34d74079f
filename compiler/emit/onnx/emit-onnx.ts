/**
 * ONNX emission (SPEC §7): an inference graph becomes a serialized `ModelProto`.
 * (Stub: the implementation lands with the ONNX issue; the signature is the contract the
 * `nnc compile --target onnx` driver calls.)
 */
import type { Tensor } from "../../../runtime/index.js";
import type { Graph } from "../../ir/graph.js";
import type { SourceFile } from "../../syntax/span.js";

/** What the ONNX emitter needs besides the graph. */
export interface OnnxOptions {
  /** The opset to target, 17 (default) to 21. */
  opset: number;
  /** The `.nn` file the model came from, as given on the command line. */
  sourcePath: string;
  /** Finds a source file's text, to name each node's source line in its `doc_string`. */
  sources: (path: string) => SourceFile | undefined;
  /** Model metadata: the normalization choices, e.g. `{ norm: "batch(momentum: 0.1)" }`. */
  metadata: Readonly<Record<string, string>>;
}

/**
 * Serializes `graph` (after the inference passes) with `params`, the checkpoint tensors by
 * their SPEC §4 names; constant nodes are evaluated into initializers.
 */
export function emitOnnx(graph: Graph, params: ReadonlyMap<string, Tensor>, options: OnnxOptions): Uint8Array {
  void graph;
  void params;
  void options;
  throw new Error("ONNX emission is not implemented yet");
}
