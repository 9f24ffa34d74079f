/**
 * The checker's diagnostics: several errors per run without cascades, argument checking,
 * recursion and cycles, the expansion limit, and robustness on broken input.
 */
import { describe, expect, it } from "vitest";
import { check, codes } from "./support.js";

describe("errors without cascades", () => {
  it("reports independent mistakes once each, and nothing downstream of them", () => {
    const r = check(`
model M(x: [N, 3, 8, 8]) {
  a = x -> conv(4, 3, strides: 2) -> relu -> conv(8, 3) -> dense(3)
  b = x -> cnov(4, 3) -> norm
  c = a + b
  d = x -> conv(4, 3) -> maxpool(2) -> group(groups: 3)
  return (c, d)
}`);
    expect(codes(r)).toEqual([
      "E0302 conv has no argument `strides`; did you mean `stride`?",
      "E0301 unknown name `cnov`; did you mean `conv`?",
      "E0204 group(groups: 3) needs channels divisible by 3, got 4",
    ]);
  });

  it("checks every model with allModels, reporting a shared block's mistake once", () => {
    const r = check(
      `block B(x) { return x -> conv(4, 3, pad: 1) -> group(groups: 3) }
model A(x: [N, 3, 8, 8]) { return x -> B }
model C(x: [N, 3, 8, 8]) { return x -> B }`,
      { allModels: true },
    );
    expect(codes(r)).toEqual(["E0204 group(groups: 3) needs channels divisible by 3, got 4"]);
    expect(r.models).toHaveLength(2);
  });

  it("checks block arguments like operator arguments", () => {
    const text = (call: string) => `block U(x, c: int, f: layer = relu, ks: [int] = [3, 3]) { return x -> conv(c, 3) -> f -> maxpool(ks) }
model M(x: [N, 3, 8, 8]) { return x -> ${call} }`;
    expect(codes(check(text("U(4, relu, [1], 5)")))[0]).toMatch(/^E0304 block U takes at most 3 arguments/);
    expect(codes(check(text("U(c: 4, c: 5)")))).toEqual(["E0303 argument `c` of block U is given twice"]);
    expect(codes(check(text("U(4, ff: relu)")))).toEqual(["E0302 block U has no argument `ff`; did you mean `f`?"]);
    expect(codes(check(text("U()")))).toEqual(["E0305 block U is missing its required argument `c`"]);
    expect(codes(check(text("U(2.5)")))).toEqual(["E0306 argument `c` of block U: expected int, got float 2.5"]);
    expect(codes(check(text("U(4, f: 3)")))).toEqual(["E0306 argument `f` of block U: expected layer, got int 3"]);
    expect(codes(check(text("U(4, f: gelu, ks: [1, 2])")))).toEqual([]);
  });

  it("checks operator ranges and enums", () => {
    const one = (stage: string, shape = "[N, 8, 8, 8]") => codes(check(`model M(x: ${shape}) { return x -> ${stage} }`));
    expect(one("conv(4, 0)")).toEqual(["E0207 conv argument `kernel` must be >= 1, got 0"]);
    expect(one('conv(4, 3, ws: "fancy")')).toEqual(['E0207 conv argument `ws` must be one of "none", "standard", "scaled", got "fancy"']);
    expect(one("batch(eps: 0)")).toEqual(["E0207 batch argument `eps` must be > 0, got 0"]);
    expect(one("batch(momentum: 1.5)")).toEqual(["E0207 batch argument `momentum` must be in [0, 1], got 1.5"]);
    expect(one("batch_renorm(rmax: 0.5)")).toEqual(["E0207 batch_renorm argument `rmax` must be >= 1, got 0.5"]);
    expect(one("batch_renorm(dmax: -1)")).toEqual(["E0207 batch_renorm argument `dmax` must be >= 0, got -1"]);
    expect(one("conv(6, 3, groups: 3)")).toEqual(["E0204 conv(groups: 3) needs input channels divisible by 3, got 8"]);
    expect(one("conv(6, 3, groups: 4)")).toEqual(["E0204 conv(groups: 4) needs out divisible by 4, got 6"]);
    expect(one("maxout(pieces: 3)")).toEqual(["E0204 maxout(pieces: 3) needs channels divisible by 3, got 8"]);
    expect(one("maxpool(3, pad: 2)")).toEqual(["E0207 maxpool pad must be at most half the kernel, got pad 2 for kernel 3"]);
    expect(one("instance", "[N, 8]")).toEqual(["E0201 instance needs a rank-4 input [N, C, H, W], got [N,8]"]);
    expect(one("frn", "[N, 8]")[0]).toMatch(/^E0201/);
    expect(one("channel_norm", "[N, 8]")).toEqual([
      "E0201 channel_norm needs a rank-4 input [N, C, H, W], got [N,8] (on features, use layer: it normalizes each sample over its features)",
    ]);
    expect(one("channel_norm", "[N, 8, 8]")).toEqual(["E0201 channel_norm needs a rank-4 input [N, C, H, W], got [N,8,8]"]);
    expect(one("concat(axis: 0)")[0]).toMatch(/^E0209 concat takes two or more tensor inputs, got 1/);
    expect(one("slice(2, 9)")).toEqual(["E0207 slice end 9 is past the 8 channels of its input"]);
    expect(one("slice(5, 5)")).toEqual(["E0207 slice needs start < end, got start 5 and end 5"]);
    expect(one("slice(-1, 5)")).toEqual(["E0207 slice argument `start` must be >= 0, got -1"]);
    expect(one("slice(0, 4)", "[N, 8, 8]")).toEqual(["E0201 slice needs a rank-2 input [N, F] or a rank-4 input [N, C, H, W], got [N,8,8]"]);
    expect(one("slice(0, 4)", "[N, C, 8, 8]")).toEqual(["E0206 slice needs a static channel count, but it is the symbolic dimension C"]);
    expect(one("channel_shuffle(3)")).toEqual(["E0204 channel_shuffle(groups: 3) needs channels divisible by 3, got 8"]);
    expect(one("channel_shuffle(2)", "[N, 8]")).toEqual(["E0201 channel_shuffle needs a rank-4 input [N, C, H, W], got [N,8]"]);
    expect(one("standardize(mean: [0], std: [0])", "[N, 1, 4, 4]")).toEqual(["E0207 standardize argument `std` must be > 0, got 0"]);
  });

  it("points a slice's range error at the argument at fault", () => {
    const source = "model M(x: [N, 8, 4, 4]) { return x -> slice(6, 2 * 5) }";
    const squiggled = (text: string) => check(text).diagnostics.map((d) => text.slice(d.span.start, d.span.end));
    expect(squiggled(source)).toEqual(["2 * 5"]);
    expect(squiggled(source.replace("slice(6, 2 * 5)", "slice(start: 7, end: 7)"))).toEqual(["start: 7"]);
  });

  it("catches compile-time type errors and division by zero", () => {
    const one = (expr: string) => codes(check(`model M(x: [N, 8]) { return x -> dense(${expr}) }`));
    expect(one("7 % 0")).toEqual(["E0308 remainder by zero"]);
    expect(one("8 / 2")).toEqual(["E0306 dense argument `out` expects an int, got float 4.0"]);
    expect(one("8 // 2 + 2 * 3 - 1")).toEqual([]);
    expect(one("if 1 then 2 else 3")).toEqual(["E0307 the condition of if must be a bool, got int 1"]);
    expect(one('"a" + 1')[0]).toMatch(/^E0307/);
    expect(one("x")[0]).toBe("E0305 dense is missing its required argument `out`");
    expect(one("2, x")[0]).toBe("E0306 dense argument `bias` expects a bool (true or false), got a tensor");
  });
});

describe("recursion, cycles and limits", () => {
  it("refuses indirect block recursion with the chain", () => {
    const r = check(`block A(x) { return x -> B }\nblock B(x) { return x -> relu -> A }\nmodel M(x: [N, 3]) { return x -> A }`);
    expect(codes(r)).toEqual(["E0404 block A calls itself: A -> B -> A; recursion cannot be expanded"]);
  });

  it("refuses a let that needs itself", () => {
    const r = check(`let a = b + 1\nlet b = a * 2\nmodel M(x: [N, 3]) { return x -> dense(a) }`);
    expect(codes(r)[0]).toMatch(/^E0404 `let [ab]` refers to itself/);
  });

  it("refuses a huge expansion in milliseconds", () => {
    const start = performance.now();
    const r = check(`model M(x: [N, 3, 8, 8]) { return x -> [[conv(3, 3, pad: 1)] * 1000] * 100000000 }`);
    const nested = check(`model M(x: [N, 3, 8, 8]) { return x -> [[conv(3, 3, pad: 1) -> relu] * 1000] * 1000 }`);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(r.diagnostics.map((d) => d.code)).toEqual(["E0405"]);
    expect(codes(nested)).toEqual(["E0405 this expands the model to about 2,000,000 layer instances, more than the limit of 100,000"]);
    expect(codes(check(`model M(x: [N, 3]) { return x -> relu * 5 }`, { maxLayers: 4 }))[0]).toMatch(/^E0405/);
    const empty = check(`block Id(x) { return x }\nmodel M(x: [N, 3]) { return x -> [Id * 100000] * 100000 }`);
    expect(empty.diagnostics.map((d) => d.code)).toEqual(["E0405"]);
  });

  it("survives broken syntax and empty files", () => {
    for (const text of ["", "model", "model M(", "model M(x: [N, 3]) { return x -> }", "block B(x) { y = }", "let = 3"]) {
      const r = check(text, { allModels: true });
      expect(r.diagnostics.every((d) => d.span.start <= d.span.end && d.span.end <= text.length)).toBe(true);
    }
  });
});
