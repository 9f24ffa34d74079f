/** Weight standardization against its formula (docs/operators.md) written out in Python (fixtures ws_*). */
import { describe, expect, it } from "vitest";
import { scaledWeightStandardization, weightStandardization } from "../../runtime/index.js";
import { casesOf, expectClose, output } from "./fixtures.js";

describe("weight standardization against its formula", () => {
  it.each(casesOf("ws_standard").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(weightStandardization(c.inputs.weight, { epsilon: c.attributes.epsilon as number }), output(c, "y"), c.name);
  });
  it.each(casesOf("ws_scaled").map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(scaledWeightStandardization(c.inputs.weight, c.inputs.gain), output(c, "y"), c.name);
  });
});

describe("weight standardization properties", () => {
  it("gives every standardized filter mean 0 and variance near 1", () => {
    const w = { shape: [2, 1, 2, 2], data: new Float32Array([1, 2, 3, 4, -5, 0, 5, 10]) };
    const y = weightStandardization(w).data;
    for (const filter of [y.subarray(0, 4), y.subarray(4, 8)]) {
      const mean = filter.reduce((a, b) => a + b, 0) / 4;
      const variance = filter.reduce((a, b) => a + (b - mean) ** 2, 0) / 4;
      expect(Math.abs(mean)).toBeLessThan(1e-6);
      expect(variance).toBeCloseTo(1, 4);
    }
  });
  it("maps a constant filter to zeros rather than NaN in the scaled form", () => {
    const w = { shape: [1, 3], data: new Float32Array([0.5, 0.5, 0.5]) };
    const y = scaledWeightStandardization(w, { shape: [1], data: new Float32Array([2]) });
    expect([...y.data]).toEqual([0, 0, 0]);
  });
});
