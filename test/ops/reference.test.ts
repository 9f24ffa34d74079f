/**
 * The layer reference's completeness: every registered layer carries a reference entry (shape
 * rule, formula, example) whose example compiles, and whose formula is split into training and
 * inference exactly where the layer computes differently in the two modes. The generated
 * document's staleness is `generated.test.ts`'s.
 */
import { describe, expect, it } from "vitest";
import { lowerModel } from "../../compiler/ir/lower.js";
import { paramsListing } from "../../compiler/cli/tables.js";
import { IR_OPERATORS, LAYER_LIST } from "../../runtime/ops/index.js";
import type { LayerOperator } from "../../runtime/ops/types.js";
import { checkExample, onnxNodesOf, operatorsDoc, torchFormOf } from "../../scripts/gen-operator-docs.js";

/** The texts of a reference entry, by what they are. */
function texts(layer: LayerOperator): Record<string, string> {
  const r = layer.reference;
  const out: Record<string, string> = { shape: r.shape };
  if (typeof r.formula === "string") out.formula = r.formula;
  else Object.assign(out, { train: r.formula.train, eval: r.formula.eval });
  if (r.inference !== undefined) out.inference = r.inference;
  return out;
}

/** Whether the layer's example computes differently in training: a kernel call of its own, or running statistics to update. */
function trainsDifferently(layer: LayerOperator): boolean {
  const { model } = checkExample(layer);
  return lowerModel(model).nodes.some((node) => {
    const op = IR_OPERATORS.get(node.op)!;
    return (op.updates?.length ?? 0) > 0 || JSON.stringify(op.kernel(node, true)) !== JSON.stringify(op.kernel(node, false));
  });
}

describe.each(LAYER_LIST.map((layer) => [layer.name, layer] as const))("%s", (_name, layer) => {
  it("has a reference entry: shape rule, formula, example", () => {
    for (const [what, text] of Object.entries(texts(layer))) {
      expect(text.trim().length, `${layer.name}: empty ${what}`).toBeGreaterThan(10);
      // Inline math comes in pairs of `$`; an odd count leaves the rest of the paragraph as math.
      expect((text.match(/\$/g) ?? []).length % 2, `${layer.name}: unbalanced $ in its ${what}`).toBe(0);
      // One paragraph of printable text: a control character is a TeX command eaten by an escape (`\f` of `\frac`).
      expect(text, `${layer.name}: a control character in its ${what}`).not.toMatch(/[\u0000-\u001f]/);
      // Markdown takes a backslash before punctuation as an escape and drops it (TeX's \, would print a comma).
      expect(text, `${layer.name}: a backslash before punctuation in its ${what}`).not.toMatch(/\\[!-/:-@[-`{-~]/);
    }
  });

  it("has an example that checks cleanly, the layer alone", () => {
    const { model, instance } = checkExample(layer);
    expect(instance.kind).toBe(layer.name);
    // The parameters the reference lists are the example's, as `nnc params` prints them.
    expect(paramsListing(model)).toBe(instance.params.map((p) => `${p.name}\t[${p.shape.join(",")}]\n`).join(""));
  });

  it("gives training and inference formulas exactly where they differ", () => {
    const split = typeof layer.reference.formula !== "string";
    expect(split, split ? `${layer.name} computes the same in both modes: give one formula` : `${layer.name} trains differently: give train and eval`).toBe(trainsDifferently(layer));
  });
});

describe("the generated reference", () => {
  // Written once, on first use, so that a layer whose example fails is reported by the tests above, not at collection.
  let text: string | undefined;
  const generated = (): string => (text ??= operatorsDoc());

  it("has a section per layer with every part", () => {
    const doc = generated();
    for (const layer of LAYER_LIST) {
      const start = doc.indexOf(`\n### ${layer.name}\n`);
      expect(start, layer.name).toBeGreaterThan(0);
      const end = doc.indexOf("\n### ", start + 1);
      const section = doc.slice(start, end < 0 ? undefined : end);
      for (const part of ["**Example**", "**Shape.**", "**Parameters", "**PyTorch**", "**ONNX**"]) expect(section, `${layer.name}: ${part}`).toContain(part);
      expect(/\*\*Formula\*\*|\*\*Training\.\*\*[^]*\*\*Inference\.\*\*/.test(section), `${layer.name}: formula`).toBe(true);
    }
  });

  it("derives the PyTorch form from the registry's torch form", () => {
    const conv = LAYER_LIST.find((l) => l.name === "conv")!;
    expect(torchFormOf(conv, checkExample(conv))).toEqual({ module: "nn.Conv2d(3, 16, 3, padding=1)", call: "self.conv0(x)", uses: [] });
    const frn = LAYER_LIST.find((l) => l.name === "frn")!;
    expect(torchFormOf(frn, checkExample(frn)).uses).toEqual(["FilterResponseNorm"]);
    expect(generated()).toContain("`self.batch0 = nn.BatchNorm2d(8)` in `__init__`, and `self.batch0(x)` in `forward`");
  });

  it("derives the ONNX nodes per opset from the ONNX emitter", () => {
    const group = LAYER_LIST.find((l) => l.name === "group")!;
    const nodes = onnxNodesOf(checkExample(group));
    expect(nodes.get(21)).toEqual(["GroupNormalization"]);
    expect(nodes.get(17)).toEqual(["Reshape", "InstanceNormalization", "Reshape", "Mul", "Add"]);
    expect(generated()).toContain("opset 17–19: `Div`, `Erf`, `Add`, `Mul` ×2; opset 20–21: `Gelu`.");
  });

  it("lists the parameters with their kind and initial value", () => {
    const doc = generated();
    expect(doc).toContain("| `batch0.running_var` | `[8]` | buffer | 1 |");
    expect(doc).toContain("| `prelu0.weight` | `[8]` | learnable | 0.25 |");
    expect(doc).toContain("| `conv0.weight` | `[16, 3, 3, 3]` | learnable | random, as PyTorch's default initialization |");
  });
});
