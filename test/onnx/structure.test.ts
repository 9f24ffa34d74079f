/**
 * What an emitted model says about itself, read back by decoding the bytes: versions, producer,
 * names, doc strings, metadata, symbolic shapes, and which operators appear at which opset and
 * with or without fusion.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { emitOnnx, irVersionFor, OnnxEmitError } from "../../compiler/emit/onnx/emit-onnx.js";
import { initializerValues } from "../../compiler/emit/onnx/initializers.js";
import { onnx } from "../../compiler/emit/onnx/proto.js";
import { VERSION } from "../../compiler/version.js";
import { syntheticWeights } from "../support/synthetic.js";
import { checkFile, checkText, compile, paramTensors, type Checked } from "./support.js";

interface DecodedNode {
  name: string;
  opType: string;
  input: string[];
  docString: string;
  attribute: { name: string; f: number; i: number }[];
}
interface DecodedValue {
  name: string;
  type: { tensorType: { shape: { dim: { dimParam: string; dimValue: number }[] } } };
}
/** The fields of a decoded model that these tests read. */
interface Decoded {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsetImport: { domain: string; version: number }[];
  metadataProps: { key: string; value: string }[];
  graph: { node: DecodedNode[]; initializer: { name: string; dataType: number; rawData: Uint8Array }[]; input: DecodedValue[]; output: DecodedValue[] };
}

/** The model as a plain object: int64 fields as numbers, every field present. */
const decode = (bytes: Uint8Array): Decoded =>
  onnx.ModelProto.toObject(onnx.ModelProto.decode(bytes), { longs: Number, defaults: true, arrays: true }) as unknown as Decoded;
const num = (v: unknown): number => (typeof v === "number" ? v : (v as { toNumber(): number }).toNumber());
const ops = (m: Decoded): string[] => m.graph!.node.map((n) => n.opType!);

function compiled(checked: Checked, fuse: boolean, opset = 17): Decoded {
  const params = paramTensors(checked.model, syntheticWeights(checked.model.params));
  return decode(compile(checked, params, fuse, opset).bytes);
}

const resnet20 = checkFile("examples/resnet20.nn");
const zoo = checkFile("examples/norm_zoo.nn");

describe("ONNX model structure", () => {
  it("writes the opset, the matching IR version and the producer", () => {
    expect([17, 18, 19, 20, 21].map(irVersionFor)).toEqual([8, 8, 9, 9, 10]);
    for (const opset of [17, 19, 21]) {
      const m = compiled(resnet20, true, opset);
      expect(num(m.irVersion)).toBe(irVersionFor(opset));
      expect(m.opsetImport.map((o) => [o.domain, num(o.version)])).toEqual([["", opset]]);
      expect([m.producerName, m.producerVersion]).toEqual(["nnc", VERSION]);
    }
  });

  it("records the source hash and the caller's metadata, sorted", () => {
    const m = compiled(resnet20, true);
    const hash = createHash("sha256").update(readFileSync("examples/resnet20.nn", "utf8")).digest("hex");
    expect(m.metadataProps.map((p) => [p.key, p.value])).toEqual([
      ["fuse", "true"],
      ["nnc.source", "examples/resnet20.nn"],
      ["nnc.source_sha256", hash],
    ]);
  });

  it("names nodes and initializers after nnc's parameter paths and each node's source line", () => {
    const m = compiled(resnet20, false);
    const names = m.graph!.node.map((n) => n.name);
    expect(names).toContain("stem.conv0");
    expect(names).toContain("Basic0.batch0");
    const inits = m.graph!.initializer.map((t) => t.name);
    expect(inits).toContain("stem.conv0.weight");
    expect(inits).toContain("Basic0.batch0.running_var");
    const conv = m.graph!.node.find((n) => n.name === "stem.conv0")!;
    expect(conv.docString).toMatch(/^examples\/resnet20\.nn:\d+: .*conv\(/);
  });

  it("keeps the batch symbolic and bakes no batch size into a Reshape", () => {
    for (const checked of [resnet20, zoo]) {
      const m = compiled(checked, true);
      const input = m.graph!.input[0].type!.tensorType!.shape!.dim!;
      expect(input[0].dimParam).toBe("N");
      expect(m.graph!.output[0].type!.tensorType!.shape!.dim![0].dimParam).toBe("N");
      const shapes = new Map(m.graph!.initializer.map((t) => [t.name, t]));
      for (const node of m.graph!.node.filter((n) => n.opType === "Reshape")) {
        const target = initializerValues(shapes.get(node.input![1])!);
        expect(target[0], `${node.name} shape ${target}`).toBe(0);
      }
    }
  });

  it("leaves no BatchNormalization where the fold applies, and keeps it with --no-fuse", () => {
    const fused = compiled(resnet20, true);
    expect(ops(fused)).not.toContain("BatchNormalization");
    expect(ops(fused)).not.toContain("Mul");
    const unfused = compiled(resnet20, false);
    const bn = unfused.graph!.node.filter((n) => n.opType === "BatchNormalization");
    expect(bn.length).toBe(resnet20.model.layers.filter((l) => l.kind === "batch").length);
    // ONNX's momentum weighs the running statistic: 1 − PyTorch's 0.1.
    expect(bn[0].attribute!.find((a) => a.name === "momentum")!.f).toBeCloseTo(0.9, 6);
  });

  it("drops parameters that folding made unused", () => {
    const m = compiled(resnet20, true);
    const inits = m.graph!.initializer.map((t) => t.name!);
    expect(inits.filter((n) => n.includes("running_") || n.endsWith("batch0.weight"))).toEqual([]);
    const read = new Set(m.graph!.node.flatMap((n) => n.input!));
    expect(inits.filter((n) => !read.has(n))).toEqual([]);
  });

  it("writes group norm as a decomposition below opset 21 and natively at 21", () => {
    for (const opset of [17, 18, 19, 20]) expect(ops(compiled(zoo, true, opset))).not.toContain("GroupNormalization");
    expect(ops(compiled(zoo, true, 17))).toContain("InstanceNormalization");
    expect(ops(compiled(zoo, true, 21))).toContain("GroupNormalization");
  });

  it("writes the fused activation of a Conv back out as its own node", () => {
    const m = compiled(resnet20, true);
    const stem = m.graph!.node.findIndex((n) => n.name === "stem.conv0");
    expect(m.graph!.node[stem].opType).toBe("Conv");
    expect(m.graph!.node[stem + 1]).toMatchObject({ opType: "Relu", name: "stem.conv0.relu" });
  });

  it("uses Gelu natively from opset 20 and its erf form below", () => {
    const gelu = checkText("gelu.nn", "model M(x: [N, 4]) {\n  return x -> gelu\n}\n");
    expect(ops(compiled(gelu, true, 19))).toEqual(["Div", "Erf", "Add", "Mul", "Mul"]);
    expect(ops(compiled(gelu, true, 20))).toEqual(["Gelu"]);
  });

  it("is deterministic", () => {
    const params = paramTensors(zoo.model, syntheticWeights(zoo.model.params));
    expect(compile(zoo, params, true).bytes).toEqual(compile(zoo, params, true).bytes);
  });

  it("refuses training mode, unknown opsets and missing weights with a clear error", () => {
    const params = paramTensors(resnet20.model, syntheticWeights(resnet20.model.params));
    const { graph } = compile(resnet20, params, true);
    const options = { opset: 17, sourcePath: "r.nn", sources: () => undefined, metadata: {} };
    expect(() => emitOnnx(graph, params, { ...options, mode: "train" })).toThrow(OnnxEmitError);
    expect(() => emitOnnx(graph, params, { ...options, mode: "train" })).toThrow(/inference only/);
    expect(() => emitOnnx(graph, params, { ...options, opset: 16 })).toThrow(/opsets 17 to 21/);
    expect(() => emitOnnx(graph, new Map(), options)).toThrow(/no tensor stem\.conv0\.weight/);
  });
});
