/**
 * The limits of `compiler/check/limits.ts`: integers stay exact (E0210), no tensor passes
 * 2^31 − 1 elements (E0211) and no model 1,000,000,000 parameters (E0212); each is a located
 * error from the checker, and symbolic dimensions do not count.
 */
import { describe, expect, it } from "vitest";
import { MAX_PARAMETERS, MAX_TENSOR_ELEMENTS } from "../../compiler/check/limits.js";
import { check, codes, learnable, model } from "./support.js";

/** The only diagnostic of `text`, with the text its span covers. */
function only(text: string): { code: string; at: string; start: number; message: string } {
  const { diagnostics } = check(text);
  expect(diagnostics.map((d) => `${d.code} ${d.message}`)).toHaveLength(1);
  const [d] = diagnostics;
  return { code: d.code, at: text.slice(d.span.start, d.span.end), start: d.span.start, message: d.message };
}

describe("exact integers", () => {
  it("refuses a literal past 2^53 − 1 at the literal", () => {
    const text = "model M(x: [N, 3, 8, 8]) { return x -> conv(9007199254740993 - 9007199254740992, 3) }";
    expect(only(text)).toMatchObject({ code: "E0210", at: "9007199254740993" });
    expect(only("model M(x: [N, 4]) { return x -> dense(9007199254740992 // 4503599627370496) }")).toMatchObject({ code: "E0210", at: "9007199254740992" });
  });

  it("accepts 2^53 − 1 and computes with it exactly", () => {
    const m = model("model M(x: [N, 4], w: int = 9007199254740991) { return x -> dense(w - 9007199254740990 + 2) }");
    expect(m.values[m.layers[0].output].shape).toEqual(["N", 3]);
  });

  it("refuses arithmetic that leaves the range at the expression, with the exact result", () => {
    const sum = only("model M(x: [N, 4], w: int = 9007199254740991) { return x -> dense(w + 2 - w) }");
    expect(sum).toMatchObject({ code: "E0210", at: "w + 2" });
    expect(sum.message).toContain("9,007,199,254,740,993");
    expect(only("model M(x: [N, 4]) { return x -> dense(-9007199254740991 - 1) }")).toMatchObject({ code: "E0210", at: "-9007199254740991 - 1" });
    expect(only("model M(x: [N, 4]) { return x -> dense(100000000 * 100000000 // 100000000) }")).toMatchObject({ code: "E0210", at: "100000000 * 100000000" });
  });

  it("refuses an inexact dimension without a cascade on the input's uses", () => {
    expect(only("model M(x: [N, 9007199254740993]) { return x -> dense(10) }")).toMatchObject({ code: "E0210", at: "9007199254740993" });
  });

  it("refuses an inexact --set value (as a malformed override: it has no place in the file)", () => {
    const result = check("model M(x: [N, 4], w: int = 3) { return x -> dense(w) }", { set: ["w=99999999999999999999"] });
    expect(codes(result)).toEqual([expect.stringMatching(/^E0002 .*99999999999999999999 is larger than 9,007,199,254,740,991/)]);
  });
});

describe("tensor sizes", () => {
  it("refuses conv(1000000000000, 3) at the layer, naming its weight", () => {
    const text = "model M(x: [N, 3, 32, 32]) {\n  return x -> conv(1000000000000, 3)\n}";
    const d = only(text);
    expect(d).toMatchObject({ code: "E0211", at: "conv(1000000000000, 3)" });
    expect(d.message).toContain("weight of conv, [1000000000000, 3, 3, 3]");
  });

  it("refuses dense(1000000000) at the layer", () => {
    expect(only("model M(x: [N, 784]) { return x -> dense(1000000000) }")).toMatchObject({ code: "E0211", at: "dense(1000000000)" });
  });

  it("counts static dimensions only, up to 2^31 − 1 elements", () => {
    expect(MAX_TENSOR_ELEMENTS).toBe(2 ** 31 - 1);
    expect(check(`model M(x: [N, ${MAX_TENSOR_ELEMENTS}]) { return x -> relu }`).diagnostics).toEqual([]);
    expect(check("model M(x: [N, C, H, W]) { return x -> relu }").diagnostics).toEqual([]);
    expect(only(`model M(x: [N, ${MAX_TENSOR_ELEMENTS + 1}]) { return x -> relu }`)).toMatchObject({ code: "E0211", at: `x: [N, ${MAX_TENSOR_ELEMENTS + 1}]` });
  });

  it("refuses an activation that grows past the limit", () => {
    const d = only("model M(x: [N, 3, 256, 256]) { return x -> conv(40000, 1) }");
    expect(d).toMatchObject({ code: "E0211", at: "conv(40000, 1)" });
    expect(d.message).toContain("the output of conv");
  });
});

describe("the parameter total", () => {
  it("refuses the layer that passes 1,000,000,000 parameters, once", () => {
    expect(MAX_PARAMETERS).toBe(1_000_000_000);
    const text = "model M(x: [N, 40000]) { return x -> dense(20000) -> dense(20000) -> dense(20000) -> dense(20000) -> dense(10) }";
    const d = only(text);
    expect(d.code).toBe("E0212");
    // 800,020,000 parameters after the first dense, 1,200,040,000 after the second.
    expect(d.start).toBe(text.indexOf("dense(20000)", text.indexOf("dense(20000)") + 1));
  });

  it("accepts a model just under it", () => {
    expect(learnable(model("model M(x: [N, 40000]) { return x -> dense(20000) -> dense(5000) }"))).toBe(40000 * 20000 + 20000 + 20000 * 5000 + 5000);
  });
});
