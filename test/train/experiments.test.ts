/**
 * The normalization experiments (scripts/normalization_experiments.ts, docs/normalization.md) are
 * too slow for the suite; this keeps their inputs and their document sound: every experiment
 * model checks under each normalizer the script sets, with the layer names its PyTorch twin
 * (scripts/normalization_experiments.py) pairs tensors by, and the document shows every figure in
 * docs/normalization/ and names no figure that is not there.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";

const DIR = "experiments/normalization";
const host = { readFile: (p: string) => readFileSync(p, "utf8") };

/** The layers that own tensors, in declaration order (`conv0`, `batch0`, …). */
function layersOf(file: string, set: readonly string[] = []): { layers: string[]; errors: string[] } {
  const result = checkSource(file, readFileSync(file, "utf8"), host, { set });
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
  const layers = [...new Set((result.models[0]?.params ?? []).map((p) => p.name.slice(0, p.name.indexOf("."))))];
  return { layers, errors };
}

describe("experiment models", () => {
  it.each([
    ["none", []],
    ["batch()", ["batch0", "batch1"]],
    ["group(groups: 4)", ["group0", "group1"]],
    ["batch_renorm()", ["batch_renorm0", "batch_renorm1"]],
    ["layer()", ["layer0", "layer1"]],
    ["switchable()", ["switchable0", "switchable1"]],
  ])("small_cnn.nn checks with norm=%s", (norm, norms) => {
    const { layers, errors } = layersOf(`${DIR}/small_cnn.nn`, [`norm=${norm}`]);
    expect(errors).toEqual([]);
    expect(layers).toEqual(norms.length === 0 ? ["conv0", "conv1", "dense0"] : ["conv0", norms[0], "conv1", norms[1], "dense0"]);
  });

  it("nf_cnn.nn checks: scaled WS convolutions with a gain, no normalizer", () => {
    const result = checkSource(`${DIR}/nf_cnn.nn`, readFileSync(`${DIR}/nf_cnn.nn`, "utf8"), host);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(result.models[0]!.params.map((p) => p.name)).toEqual([
      "conv0.weight", "conv0.bias", "conv0.gain", "conv1.weight", "conv1.bias", "conv1.gain", "dense0.weight", "dense0.bias",
    ]);
  });

  it("every .nn file of the experiments checks", () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith(".nn"));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(layersOf(`${DIR}/${file}`).errors, file).toEqual([]);
  });
});

describe("docs/normalization.md", () => {
  const doc = readFileSync("docs/normalization.md", "utf8");
  const figures = readdirSync("docs/normalization").filter((f) => f.endsWith(".svg"));

  it("shows every figure of docs/normalization/", () => {
    expect(figures.length).toBeGreaterThan(0);
    expect(figures.filter((f) => !doc.includes(`(normalization/${f})`))).toEqual([]);
  });

  it("names only figures that exist", () => {
    const named = [...doc.matchAll(/\(normalization\/([^)\s]+\.svg)\)/g)].map((m) => m[1]!);
    expect(named.filter((f) => !existsSync(`docs/normalization/${f}`))).toEqual([]);
  });
});
