/**
 * Elaboration of whole models: parameter names and shapes (docs/operators.md, "Parameter names"), parameter counts against
 * PyTorch, symbolic dimensions, repeats, `for`, `if` and groups.
 */
import { describe, expect, it } from "vitest";
import { check, layerLines, learnable, model, paramLines, RESNET20 } from "./support.js";


describe("ResNet-20 of the language guide", () => {
  const m = model(RESNET20);

  it("names parameters by nnc's naming rule", () => {
    const lines = paramLines(m);
    expect(lines.slice(0, 6)).toEqual([
      "stem.conv0.weight [16,3,3,3]",
      "stem.batch0.weight [16]",
      "stem.batch0.bias [16]",
      "stem.batch0.running_mean [16]",
      "stem.batch0.running_var [16]",
      "Basic0.conv0.weight [16,16,3,3]",
    ]);
    expect(lines).toContain("Basic3.conv0.weight [32,16,3,3]");
    expect(lines).toContain("Basic3.conv2.weight [32,16,1,1]");
    expect(lines).toContain("Basic3.batch2.running_var [32]");
    expect(lines.slice(-2)).toEqual(["dense0.weight [10,64]", "dense0.bias [10]"]);
    expect(m.params.filter((p) => p.buffer).every((p) => p.name.includes("running_"))).toBe(true);
  });

  it("has PyTorch's 272,474 learnable parameters", () => {
    expect(learnable(m)).toBe(272_474);
  });

  it("keeps the batch dimension symbolic and infers every shape", () => {
    const lines = layerLines(m);
    expect(lines[0]).toBe("stem.conv0 conv [N,16,32,32]");
    expect(lines).toContain("Basic3.conv0 conv [N,32,16,16]");
    expect(lines.slice(-3)).toEqual(["global_avgpool0 global_avgpool [N,64,1,1]", "flatten0 flatten [N,64]", "dense0 dense [N,10]"]);
    expect(m.inputs).toEqual([{ name: "x", value: 0 }]);
    expect(m.values[m.outputs[0]].shape).toEqual(["N", 10]);
  });

  it("records scopes, attributes, FLOPs and config", () => {
    const conv = m.layers.find((l) => l.path === "Basic3.conv0")!;
    expect(conv.scopes).toEqual(["Basic3"]);
    expect(conv.attrs).toMatchObject({ out: 32, kernel: [3, 3], stride: [2, 2], pad: [1, 1], bias: false, ws: "none", pads: [1, 1, 1, 1] });
    expect(conv.flops).toBe(2 * 16 * 9 * 32 * 16 * 16);
    expect(m.layers.find((l) => l.path === "dense0")!.flops).toBe(2 * 64 * 10);
    expect(m.config).toEqual({ width: 16 });
  });

  it("follows --set of a config parameter", () => {
    const wide = check(RESNET20, { set: ["width=32"] }).models[0];
    expect(paramLines(wide)[0]).toBe("stem.conv0.weight [32,3,3,3]");
    expect(wide.config).toEqual({ width: 32 });
  });
});

describe("repeats, groups, for and if", () => {
  it("repeats with fresh parameters each time", () => {
    const m = model(`model M(x: [N, 3, 8, 8]) { return x -> [conv(4, 3, pad: 1) -> relu] * 3 }`);
    expect(paramLines(m)).toEqual([
      "conv0.weight [4,3,3,3]",
      "conv0.bias [4]",
      "conv1.weight [4,4,3,3]",
      "conv1.bias [4]",
      "conv2.weight [4,4,3,3]",
      "conv2.bias [4]",
    ]);
    expect(m.layers.map((l) => l.path)).toEqual(["conv0", "relu0", "conv1", "relu1", "conv2", "relu2"]);
  });

  it("chains one copy of a for body per element (the VGG template)", () => {
    const m = model(`
model Vgg(x: [N, 3, 32, 32]) {
  return x -> for c in [64, 128, 256] { [conv(c, 3, pad: same) -> norm -> relu] * 2 -> maxpool(2) }
           -> flatten -> [dense(256) -> relu -> dropout(0.5)] * 2 -> dense(10) -> softmax
}`);
    const lines = layerLines(m);
    expect(lines).toContain("conv5 conv [N,256,8,8]");
    expect(lines).toContain("maxpool2 maxpool [N,256,4,4]");
    expect(lines).toContain("flatten0 flatten [N,4096]");
    expect(lines.at(-1)).toBe("softmax0 softmax [N,10]");
    expect(paramLines(m)).toContain("dense1.weight [256,256]");
  });

  it("elaborates only the chosen side of if", () => {
    const m = model(`
model M(x: [N, 3, 8, 8], deep: bool = false) {
  return x -> if deep then conv(4, 99) else conv(4, 3)
}`);
    expect(layerLines(m)).toEqual(["conv0 conv [N,4,6,6]"]);
    const deep = check(`model M(x: [N, 3, 8, 8], deep: bool = false) { return x -> if deep then conv(4, 99) else conv(4, 3) }`, { set: ["deep=true"] });
    expect(deep.diagnostics.map((d) => d.code)).toEqual(["E0205"]);
  });

  it("labels instances and scopes", () => {
    const m = model(`
block Pair(x, c: int) { return x -> conv(c, 1) -> first: conv(c, 1) }
model M(x: [N, 3, 8, 8]) {
  return x -> head: conv(4, 1) -> body: [conv(4, 1) -> p: Pair(4)] -> Pair(4) -> conv(4, 1)
}`);
    expect(m.layers.map((l) => l.path)).toEqual(["head", "body.conv0", "body.p.conv0", "body.p.first", "Pair0.conv0", "Pair0.first", "conv1"]);
    expect(m.layers.find((l) => l.path === "body.p.first")!.scopes).toEqual(["body", "body.p"]);
  });

  it("applies calls with tensor arguments directly, and tuples to multi-input layers", () => {
    const m = model(`
block Join(a, b) { return concat(a, b, axis: 1) }
model M(x: [N, 3, 8, 8]) {
  a = conv(x, 4, 1)
  b = x -> conv(6, 1)
  c = (a, b) -> concat
  d = Join(a, b)
  e = a -> add(a)
  return (c, d, e)
}`);
    expect(layerLines(m)).toEqual([
      "conv0 conv [N,4,8,8]",
      "conv1 conv [N,6,8,8]",
      "concat0 concat [N,10,8,8]",
      "Join0.concat0 concat [N,10,8,8]",
      "add0 add [N,4,8,8]",
    ]);
    expect(m.outputs).toHaveLength(3);
  });

  it("derives symbolic spatial sizes and keeps them to the end", () => {
    const m = model(`model M(x: [N, 3, H, W]) { return x -> conv(8, 3, stride: 2) -> conv(8, 3, pad: same, stride: 2) -> flatten }`);
    expect(layerLines(m)).toEqual([
      "conv0 conv [N,8,(H-3)//2+1,(W-3)//2+1]",
      "conv1 conv [N,8,ceil(((H-3)//2+1)/2),ceil(((W-3)//2+1)/2)]",
      "flatten0 flatten [N,8*(ceil(((H-3)//2+1)/2))*(ceil(((W-3)//2+1)/2))]",
    ]);
    expect(m.layers[0].flops).toBeNaN();
  });

  it("refuses a static need on a symbolic dimension", () => {
    const r = check(`model M(x: [N, C, 8, 8]) { return x -> conv(8, 3) }`);
    expect(r.diagnostics.map((d) => d.message)).toEqual(["conv needs a static input channel count, but it is the symbolic dimension C"]);
  });

  it("reads int config parameters and lets in input shapes", () => {
    const m = model(`let size = 16\nmodel M(x: [N, c, size, size], c: int = 3) { return x -> conv(4, 3) }`);
    expect(m.values[0].shape).toEqual(["N", 3, 16, 16]);
  });
});
