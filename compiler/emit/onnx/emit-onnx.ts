/**
 * ONNX emission (docs/onnx.md): an inference graph becomes a serialized `ModelProto`.
 *
 * Every constant node of the graph (a folded weight, a standardized weight) is evaluated with the
 * IR executor and written as an initializer; every other node becomes one ONNX node or a short
 * decomposition into standard operators, written by its operator registry entry's ONNX form
 * (`runtime/ops/`). Initializers are
 * written only when a node reads them, so parameters that folding made unused are dropped.
 * Symbolic dimensions (`N`) stay symbolic, as `dim_param`, and no Reshape bakes in a batch size,
 * so one file serves every batch size. Emission is deterministic: names come from the IR
 * (the layers' dotted paths), initializers are sorted by name.
 */
import { createHash } from "node:crypto";
import type { Tensor } from "../../../runtime/index.js";
import type { Shape } from "../../check/model.js";
import type { Graph, IrNode } from "../../ir/graph.js";
import { evaluateConstants } from "../../ir/execute.js";
import type { SourceFile } from "../../syntax/span.js";
import { VERSION } from "../../version.js";
import { OnnxGraphBuilder } from "./graph-builder.js";
import { NodeEmitter, OnnxEmitError } from "./node-emitter.js";
import { irVersionFor } from "./opset.js";
import { IR_OPERATORS } from "../../../runtime/ops/index.js";
import { DATA_TYPE, onnx, type IModelProto, type IValueInfoProto } from "./proto.js";

export { OnnxEmitError } from "./node-emitter.js";
export { DEFAULT_OPSET, SUPPORTED_OPSETS, irVersionFor } from "./opset.js";

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
  /** The mode the graph was compiled for; ONNX export is inference only, so `train` is refused. */
  mode?: "inference" | "train";
}

/**
 * Serializes `graph` (after the inference passes) with `params`, the checkpoint tensors by
 * their parameter names; constant nodes are evaluated into initializers. Throws `OnnxEmitError`
 * for what the user can change (the opset, the mode, missing weights).
 */
export function emitOnnx(graph: Graph, params: ReadonlyMap<string, Tensor>, options: OnnxOptions): Uint8Array {
  return onnx.ModelProto.encode(buildOnnxModel(graph, params, options)).finish();
}

/** The `ModelProto` that `emitOnnx` serializes, as a plain message object. */
export function buildOnnxModel(graph: Graph, params: ReadonlyMap<string, Tensor>, options: OnnxOptions): IModelProto {
  if (options.mode === "train") {
    throw new OnnxEmitError("ONNX export is inference only: `--mode train` works with `--target ts`, not with `--target onnx`");
  }
  const irVersion = irVersionFor(options.opset);
  const builder = new OnnxGraphBuilder(constantValues(graph, params), graph.values.keys());
  for (const node of graph.nodes) {
    if (graph.isConstantNode(node)) continue;
    const operator = IR_OPERATORS.get(node.op);
    if (operator === undefined) throw new OnnxEmitError(`${node.name}: the IR operator ${node.op} has no ONNX form`);
    operator.onnx(new NodeEmitter(builder, graph, node, options.opset, sourceLines(node, options.sources)));
  }
  const outputs = graph.outputs.map((name) => graphOutput(graph, builder, name));
  const source = options.sources(options.sourcePath);
  return {
    irVersion,
    opsetImport: [{ domain: "", version: options.opset }],
    producerName: "nnc",
    producerVersion: VERSION,
    docString: `${graph.name}, compiled by nnc ${VERSION} from ${options.sourcePath}`,
    graph: {
      name: graph.name,
      node: builder.nodes,
      initializer: builder.sortedInitializers(),
      input: graph.inputs.map((name) => valueInfo(name, graph.value(name).shape)),
      output: outputs,
    },
    metadataProps: metadata(options, source),
  };
}

/** Every constant value the graph reads: parameters, literal constants and folded nodes. */
function constantValues(graph: Graph, params: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const constants = new Map<string, Tensor>();
  for (const value of graph.values.values()) {
    if (value.kind === "param") {
      const tensor = params.get(value.name);
      if (!tensor) throw new OnnxEmitError(`the weights have no tensor ${value.name}`);
      constants.set(value.name, tensor);
    } else if (value.kind === "const") {
      constants.set(value.name, { shape: value.shape as number[], data: value.data! });
    }
  }
  for (const [name, tensor] of evaluateConstants(graph, params)) constants.set(name, tensor);
  return constants;
}

/**
 * The output `name`. A graph output that no node writes (a model returning its input or a
 * constant) gets an Identity node, since an ONNX output must be some node's output.
 */
function graphOutput(graph: Graph, builder: OnnxGraphBuilder, name: string): IValueInfoProto {
  const produced = graph.producer(name) !== undefined && !graph.isConstant(name);
  if (produced) return valueInfo(name, graph.value(name).shape);
  const renamed = builder.fresh(`${name}.output`);
  builder.node("Identity", [builder.read(name)], renamed, {}, renamed, "");
  return valueInfo(renamed, graph.value(name).shape);
}

/** A float32 tensor's name and shape; symbolic dimensions become `dim_param`. */
function valueInfo(name: string, shape: Shape): IValueInfoProto {
  const dim = shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: DATA_TYPE.FLOAT, shape: { dim } } } };
}

/** `file:line: text` for each source line the node came from (a fused node has several). */
function sourceLines(node: IrNode, sources: OnnxOptions["sources"]): string {
  const lines = node.origins.map((origin) => {
    const file = sources(origin.file);
    if (!file) return origin.file;
    const line = file.lineCol(origin.span.start).line;
    return `${origin.file}:${line + 1}: ${file.lineText(line).trim()}`;
  });
  return [...new Set(lines)].join("\n");
}

/** The source's path and SHA-256, and the caller's normalization choices, sorted by key. */
function metadata(options: OnnxOptions, source: SourceFile | undefined): { key: string; value: string }[] {
  const entries: Record<string, string> = { ...options.metadata, "nnc.source": options.sourcePath };
  if (source) entries["nnc.source_sha256"] = createHash("sha256").update(source.text).digest("hex");
  return Object.keys(entries)
    .sort()
    .map((key) => ({ key, value: entries[key] }));
}
