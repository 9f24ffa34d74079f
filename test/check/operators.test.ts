/**
 * The operator table's rules: parameters (names, shapes, buffers) of every normalizer and
 * weighted layer, output shapes of the spatial operators, and FLOPs.
 */
import { describe, expect, it } from "vitest";
import { OPERATOR_LIST } from "../../compiler/check/operators.js";
import { check, layerLines, learnable, model, paramLines } from "./support.js";

const stage = (layer: string, shape = "[N, 16, 8, 8]") => model(`model M(x: ${shape}) { return x -> ${layer} }`);

describe("operator table", () => {
  it("documents every operator and argument", () => {
    for (const op of OPERATOR_LIST) {
      expect(op.doc.length, op.name).toBeGreaterThan(5);
      for (const arg of op.args) expect(arg.doc.length, `${op.name}.${arg.name}`).toBeGreaterThan(5);
    }
    expect(OPERATOR_LIST.map((op) => op.name)).toContain("switchable");
  });
});

describe("normalizer parameters", () => {
  const cases: [string, string[], number][] = [
    ["batch", ["batch0.weight [16]", "batch0.bias [16]", "batch0.running_mean [16]", "batch0.running_var [16]"], 32],
    ["batch(affine: false)", ["batch0.running_mean [16]", "batch0.running_var [16]"], 0],
    ["batch_renorm", ["batch_renorm0.weight [16]", "batch_renorm0.bias [16]", "batch_renorm0.running_mean [16]", "batch_renorm0.running_std [16]"], 32],
    ["layer", ["layer0.weight [16]", "layer0.bias [16]"], 32],
    ["instance(affine: false)", [], 0],
    ["group(groups: 8)", ["group0.weight [16]", "group0.bias [16]"], 32],
    ["frn", ["frn0.weight [16]", "frn0.bias [16]", "frn0.tau [16]"], 48],
    [
      "switchable",
      ["switchable0.weight [16]", "switchable0.bias [16]", "switchable0.mean_weight [3]", "switchable0.var_weight [3]", "switchable0.running_mean [16]", "switchable0.running_var [16]"],
      38,
    ],
    ["none", [], 0],
  ];
  for (const [layer, names, count] of cases) {
    it(layer, () => {
      const m = stage(layer);
      expect(paramLines(m)).toEqual(names);
      expect(learnable(m)).toBe(count);
    });
  }

  it("takes [N, F] for batch and layer", () => {
    expect(paramLines(stage("batch -> layer", "[N, 10]"))).toContain("layer0.bias [10]");
  });
});

describe("weighted layers", () => {
  it("conv: weight [out, in/groups, kh, kw], bias, gain for scaled WS (PyTorch counts)", () => {
    expect(learnable(stage("conv(16, 3)", "[N, 3, 8, 8]"))).toBe(448);
    expect(learnable(stage("conv(8, 3, groups: 4, bias: false)"))).toBe(288);
    expect(paramLines(stage('conv(8, (1, 3), ws: "scaled")'))).toEqual(["conv0.weight [8,16,1,3]", "conv0.bias [8]", "conv0.gain [8]"]);
  });

  it("dense and prelu", () => {
    expect(learnable(stage("dense(10)", "[N, 64]"))).toBe(650);
    expect(paramLines(stage('dense(10, bias: false, ws: "scaled")', "[N, 64]"))).toEqual(["dense0.weight [10,64]", "dense0.gain [10]"]);
    expect(paramLines(stage("prelu -> prelu(shared: true)"))).toEqual(["prelu0.weight [16]", "prelu1.weight [1]"]);
  });
});

describe("shapes and FLOPs", () => {
  it("follows PyTorch's output sizes", () => {
    expect(layerLines(stage("conv(4, 3, stride: 2, pad: 1, dilation: 2)"))).toEqual(["conv0 conv [N,4,3,3]"]);
    expect(layerLines(stage("conv(4, 3, stride: 2, pad: same)"))).toEqual(["conv0 conv [N,4,4,4]"]);
    expect(layerLines(stage("maxpool(3, stride: 2, pad: 1) -> avgpool(2)"))).toEqual(["maxpool0 maxpool [N,16,4,4]", "avgpool0 avgpool [N,16,2,2]"]);
    expect(layerLines(stage("global_maxpool -> flatten -> maxout -> softmax"))).toEqual([
      "global_maxpool0 global_maxpool [N,16,1,1]",
      "flatten0 flatten [N,16]",
      "maxout0 maxout [N,8]",
      "softmax0 softmax [N,8]",
    ]);
  });

  it("computes explicit pads for pad: same (the odd pixel at the end)", () => {
    const m = stage("conv(4, 4, pad: same)");
    expect(m.layers[0].attrs.pads).toEqual([1, 1, 2, 2]);
  });

  it("counts FLOPs per sample", () => {
    const m = stage("conv(8, 3, pad: 1) -> relu -> batch -> global_avgpool");
    expect(m.layers.map((l) => l.flops)).toEqual([2 * 16 * 9 * 8 * 64, 8 * 64, 2 * 8 * 64, 8 * 64]);
  });

  it("concatenates along an axis and normalizes a negative one", () => {
    const m = model(`model M(x: [N, 3, 8, 8]) { return concat(x, x -> conv(5, 1), axis: -3) }`);
    expect(layerLines(m)).toEqual(["conv0 conv [N,5,8,8]", "concat0 concat [N,8,8,8]"]);
    expect(m.layers[1].attrs.axis).toBe(1);
  });

  it("rejects an add of different shapes called as a function too", () => {
    const r = check(`model M(x: [N, 3, 8, 8]) { return add(x, x -> conv(4, 1)) }`);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E0202"]);
  });
});
