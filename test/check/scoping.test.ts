/**
 * `use` aliases (dynamic scope), `--set` overrides of aliases and parameters, and imports.
 */
import { describe, expect, it } from "vitest";
import { check, codes, model, paramLines, RESNET20 } from "./support.js";

describe("use and dynamic scope", () => {
  it("defaults norm to batch() and act to relu", () => {
    const m = model(`model M(x: [N, 3, 8, 8]) { return x -> conv(4, 3) -> norm -> act }`);
    expect(m.layers.map((l) => l.path)).toEqual(["conv0", "batch0", "relu0"]);
  });

  it("reaches into called blocks unless a nearer use rebinds it", () => {
    const m = model(`
block Inner(x) { return x -> norm }
block Outer(x) {
  y = x -> Inner
  use norm = instance()
  return y -> Inner
}
model M(x: [N, 8, 4, 4]) {
  use norm = layer()
  return x -> norm -> Outer -> Inner
}`);
    expect(m.layers.map((l) => `${l.path}:${l.kind}`)).toEqual([
      "layer0:layer",
      "Outer0.Inner0.layer0:layer",
      "Outer0.Inner1.instance0:instance",
      "Inner0.layer0:layer",
    ]);
  });

  it("--set norm replaces the model's top-level use norm everywhere", () => {
    const r = check(RESNET20, { set: ["norm=group(groups: 8)"] });
    expect(codes(r)).toEqual([]);
    const names = paramLines(r.models[0]);
    expect(names).toContain("Basic0.group0.weight [16]");
    expect(names.some((n) => n.includes("batch"))).toBe(false);
    expect(r.models[0].layers.filter((l) => l.kind === "group").every((l) => l.attrs.groups === 8)).toBe(true);
  });

  it("reports group divisibility at the use site, with a note on the alias", () => {
    const r = check(`
model M(x: [N, 3, 8, 8]) {
  use norm = group(groups: 8)
  return x -> conv(12, 3) -> norm
}`);
    expect(codes(r)).toEqual(["E0204 group(groups: 8) needs channels divisible by 8, got 12"]);
    const text = r.sources.get("main.nn")!.text;
    const d = r.diagnostics[0];
    expect(text.slice(d.span.start, d.span.end)).toBe("norm");
    expect(text.slice(d.related[0].span.start, d.related[0].span.end)).toBe("group(groups: 8)");
  });

  it("rejects bad --set values and names with E0002", () => {
    expect(codes(check(RESNET20, { set: ["depth=3"] }))).toEqual([
      "E0002 --set depth=3: model ResNet20 has no parameter `depth` (its parameters: width)",
    ]);
    expect(check(RESNET20, { set: ["width=2.5"] }).diagnostics[0].message).toBe("--set width=2.5: `width` expected int, got float 2.5");
    expect(check(RESNET20, { set: ["norm=bogus"] }).diagnostics[0].code).toBe("E0002");
    expect(check(RESNET20, { set: ["norm=3"] }).diagnostics[0].code).toBe("E0002");
    expect(check(RESNET20, { set: ["width"] }).diagnostics[0].code).toBe("E0002");
    expect(check(RESNET20, { set: ["width=("] }).diagnostics[0].code).toBe("E0002");
  });

  it("lets a layer let follow the aliases where it is used", () => {
    const m = model(`
let stage = [conv(8, 3, pad: 1) -> norm]
model M(x: [N, 3, 8, 8]) {
  use norm = frn()
  return x -> stage
}`);
    expect(m.layers.map((l) => l.kind)).toEqual(["conv", "frn"]);
    expect(paramLines(m)).toContain("frn0.tau [8]");
  });
});

describe("models and imports", () => {
  const blocks = `
let width = 8
block Unit(x, c: int) { return x -> conv(c, 3, pad: 1) -> norm -> relu }
`;

  it("imports blocks and lets relative to the importing file", () => {
    const m = model(`import "lib/blocks.nn"\nmodel M(x: [N, 3, 8, 8]) { return x -> Unit(width) }`, {}, { "lib/blocks.nn": blocks });
    expect(m.layers.map((l) => l.path)).toEqual(["Unit0.conv0", "Unit0.batch0", "Unit0.relu0"]);
    const nested = check(`import "lib/a.nn"\nmodel M(x: [N, 3, 8, 8]) { return x -> A }`, {}, {
      "lib/a.nn": `import "b.nn"\nblock A(x) { return x -> Unit(4) }`,
      "lib/b.nn": blocks,
    });
    expect(codes(nested)).toEqual([]);
    expect([...nested.sources.keys()]).toEqual(["main.nn", "lib/a.nn", "lib/b.nn"]);
  });

  it("reports a missing import at the import, and a cycle with its chain", () => {
    expect(codes(check(`import "nope.nn"\nmodel M(x: [N, 3]) { return x }`))).toEqual(["E0402 cannot read the imported file 'nope.nn'"]);
    const cycle = check(`import "a.nn"\nmodel M(x: [N, 3]) { return x }`, {}, { "a.nn": `import "main.nn"` });
    expect(codes(cycle)).toEqual(["E0403 import cycle: main.nn -> a.nn -> main.nn"]);
    expect(cycle.diagnostics[0].file).toBe("a.nn");
  });

  it("picks the last model by default, --model by name, and all with allModels", () => {
    const text = `model A(x: [N, 3]) { return x -> dense(2) }\nmodel B(x: [N, 3]) { return x -> dense(4) }`;
    expect(check(text).models.map((m) => m.name)).toEqual(["B"]);
    expect(check(text, { model: "A" }).models.map((m) => m.name)).toEqual(["A"]);
    expect(check(text, { allModels: true }).models.map((m) => m.name)).toEqual(["A", "B"]);
    expect(codes(check(text, { model: "C" }))).toEqual(["E0003 --model C: no model of that name in main.nn; its models: A, B"]);
  });
});
