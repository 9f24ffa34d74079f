/** Element-wise activations against PyTorch (fixtures relu … prelu), and erf against a series. */
import { describe, expect, it } from "vitest";
import { clip, elu, erf, gelu, hardsigmoid, hardswish, leakyRelu, prelu, relu, sigmoid, silu, tanh } from "../../runtime/index.js";
import type { Tensor } from "../../runtime/index.js";
import { casesOf, expectClose, output } from "./fixtures.js";

describe("activations against PyTorch", () => {
  it.each([
    ["relu", relu],
    ["sigmoid", sigmoid],
    ["tanh", tanh],
    ["gelu", gelu],
    ["silu", silu],
    ["hardswish", hardswish],
    ["relu6", (x: Tensor) => clip(x, { min: 0, max: 6 })],
    ["hardsigmoid", (x: Tensor) => hardsigmoid(x, { alpha: 1 / 6, beta: 0.5 })],
  ] as const)("%s", (op, kernel) => {
    for (const c of casesOf(op)) expectClose(kernel(c.inputs.x), output(c, "y"), c.name);
  });
  it.each(casesOf("leaky_relu").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(leakyRelu(c.inputs.x, { alpha: c.attributes.alpha as number }), output(c, "y"), c.name);
  });
  it.each(casesOf("elu").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(elu(c.inputs.x, { alpha: c.attributes.alpha as number }), output(c, "y"), c.name);
  });
  // hardtanh (with nn.Hardtanh's bounds and others) and clamp are both Clip.
  it.each([...casesOf("hardtanh"), ...casesOf("clamp")].map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(clip(c.inputs.x, { min: c.attributes.min as number, max: c.attributes.max as number }), output(c, "y"), c.name);
  });
  it.each(casesOf("prelu").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(prelu(c.inputs.x, c.inputs.weight), output(c, "y"), c.name);
  });
  it("leaky_relu defaults alpha to 0.01", () => {
    expect([...leakyRelu({ shape: [2], data: new Float32Array([-2, 3]) }).data]).toEqual([Math.fround(-0.02), 3]);
  });
  it("may write in place", () => {
    const x = { shape: [3], data: new Float32Array([-1, 0.5, 2]) };
    expect(relu(x, x.data).data).toBe(x.data);
    expect([...x.data]).toEqual([0, 0.5, 2]);
  });
});

/** erf by its Maclaurin series (|x| < 3) or its continued fraction (beyond), in double. */
function referenceErf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * sum; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up.
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f);
}

describe("erf", () => {
  it("is within 1e-7 absolute and relative of a double-precision reference on [-6, 6]", () => {
    let worstAbs = 0;
    let worstRel = 0;
    for (let i = -6000; i <= 6000; i++) {
      const x = i / 1000 + 1e-4;
      const want = referenceErf(x);
      const diff = Math.abs(erf(x) - want);
      worstAbs = Math.max(worstAbs, diff);
      worstRel = Math.max(worstRel, diff / Math.abs(want));
    }
    expect(worstAbs).toBeLessThan(1e-7);
    expect(worstRel).toBeLessThan(1e-7);
  });
  it("is odd and saturates", () => {
    expect(erf(0)).toBe(0);
    expect(erf(-0.7)).toBe(-erf(0.7));
    expect(Math.fround(erf(10))).toBe(1);
    expect(Math.fround(erf(-Infinity))).toBe(-1);
  });
});
