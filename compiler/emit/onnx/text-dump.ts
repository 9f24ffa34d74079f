/**
 * A stable, readable text form of a serialized ONNX model, for golden tests and for people:
 * the header (IR version, opsets, producer, metadata), the graph's inputs and outputs with
 * their (symbolic) shapes, every initializer with its shape and a summary of its values, and
 * every node as `outputs = Op(inputs) {attributes}` with its `doc_string` underneath.
 *
 * It decodes the bytes rather than reading the emitter's structures, so it shows exactly what
 * was written. Float initializers show a rounded summary, not every value, so that a golden file
 * stays short and does not change with the last bit of a folded weight.
 */
import { initializerValues } from "./initializers.js";
import { ATTRIBUTE_TYPE, DATA_TYPE, onnx, type IAttributeProto, type ITensorProto, type IValueInfoProto } from "./proto.js";

/** The text dump of ONNX model bytes. */
export function dumpOnnx(bytes: Uint8Array): string {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph ?? {};
  const nodes = graph.node ?? [];
  const initializers = graph.initializer ?? [];
  const opsets = model.opsetImport.map((o) => `${o.domain || "ai.onnx"} ${num(o.version)}`).join(", ");
  const lines = [
    `ir_version ${num(model.irVersion)}, opset ${opsets}, producer ${model.producerName} ${model.producerVersion}`,
    `doc: ${model.docString}`,
    ...model.metadataProps.map((p) => `metadata ${p.key} = ${p.value}`),
    `graph ${graph.name}: ${nodes.length} nodes, ${initializers.length} initializers`,
    ...(graph.input ?? []).map((v) => `input ${valueInfo(v)}`),
    ...(graph.output ?? []).map((v) => `output ${valueInfo(v)}`),
    "",
    ...initializers.map((t) => `init ${t.name}: ${tensorType(t)} ${summary(t)}`),
    "",
  ];
  for (const node of nodes) {
    const attrs = (node.attribute ?? []).map(attribute).join(", ");
    lines.push(`${(node.output ?? []).join(", ")} = ${node.opType}(${(node.input ?? []).join(", ")})${attrs ? ` {${attrs}}` : ""}  [${node.name}]`);
    for (const doc of (node.docString ?? "").split("\n").filter((d) => d !== "")) lines.push(`    # ${doc}`);
  }
  return `${lines.join("\n")}\n`;
}

/** An int64 field, which protobufjs decodes as a `Long` when the `long` package is present. */
function num(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "number" ? value : value.toNumber();
}

function valueInfo(v: IValueInfoProto): string {
  const dims = v.type?.tensorType?.shape?.dim ?? [];
  const shape = dims.map((d) => (d.dimParam ? d.dimParam : String(num(d.dimValue))));
  return `${v.name}: ${elemType(v.type?.tensorType?.elemType ?? 0)}[${shape.join(", ")}]`;
}

function elemType(code: number): string {
  return code === DATA_TYPE.FLOAT ? "float" : code === DATA_TYPE.INT64 ? "int64" : `type${code}`;
}

function tensorType(t: ITensorProto): string {
  return `${elemType(t.dataType ?? 0)}[${(t.dims ?? []).map(num).join(", ")}]`;
}

/** Small tensors in full; larger float tensors as mean, min and max to 4 significant digits. */
function summary(t: ITensorProto): string {
  const values = initializerValues(t);
  const show = (v: number) => (t.dataType === DATA_TYPE.INT64 ? String(v) : String(Number(v.toPrecision(4))));
  if (values.length <= 4) return `= [${values.map(show).join(", ")}]`;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return `mean ${round(sum / values.length)} min ${round(min)} max ${round(max)}`;
}

/** Four significant digits; below 1e-6 (float noise around zero, as in a centred weight's mean) 0. */
function round(v: number): string {
  return Math.abs(v) < 1e-6 ? "0" : String(Number(v.toPrecision(4)));
}

function attribute(a: IAttributeProto): string {
  switch (a.type) {
    case ATTRIBUTE_TYPE.INT:
      return `${a.name}: ${num(a.i)}`;
    case ATTRIBUTE_TYPE.FLOAT:
      return `${a.name}: ${Number(Math.fround(a.f ?? 0).toPrecision(7))}`;
    case ATTRIBUTE_TYPE.INTS:
      return `${a.name}: [${(a.ints ?? []).map(num).join(", ")}]`;
    case ATTRIBUTE_TYPE.STRING:
      return `${a.name}: "${new TextDecoder().decode(a.s ?? new Uint8Array())}"`;
    default:
      return `${a.name}: <type ${a.type}>`;
  }
}
