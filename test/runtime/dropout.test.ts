/**
 * Dropout's structural and statistical properties (its random stream is the runtime's own, so
 * there is nothing to compare with PyTorch): identity at inference, survivors scaled by
 * 1/(1-p), a drop rate near p, and reproducibility from the seed.
 */
import { describe, expect, it } from "vitest";
import { createRandom, dropout, tensor } from "../../runtime/index.js";
import { randomTensor } from "./fixtures.js";

const x = randomTensor([4, 50, 50], 1);

describe("dropout", () => {
  it("is a copy of the input at inference, drawing no random numbers", () => {
    let draws = 0;
    const y = dropout(x, { p: 0.5, training: false }, () => (draws++, 0));
    expect(y.data).toEqual(x.data);
    expect(y.data).not.toBe(x.data);
    expect(draws).toBe(0);
  });

  it.each([0.1, 0.5, 0.8])("keeps each element scaled by 1/(1-p) or zeroes it, at rate p = %s", (p) => {
    const y = dropout(x, { p, training: true }, createRandom(7));
    const scale = 1 / (1 - p);
    let dropped = 0;
    let misscaled = 0;
    for (let i = 0; i < x.data.length; i++) {
      if (y.data[i] === 0 && x.data[i] !== 0) dropped++;
      else if (y.data[i] !== Math.fround(x.data[i] * scale)) misscaled++;
    }
    expect(misscaled).toBe(0);
    const rate = dropped / x.data.length;
    // 10,000 Bernoulli draws: the standard deviation of the rate is at most 0.005.
    expect(Math.abs(rate - p)).toBeLessThan(0.025);
  });

  it("keeps the mean of a constant input", () => {
    const ones = tensor([100_000], new Float32Array(100_000).fill(1));
    const y = dropout(ones, { p: 0.3, training: true }, createRandom(3));
    const mean = y.data.reduce((a, b) => a + b, 0) / y.data.length;
    expect(Math.abs(mean - 1)).toBeLessThan(0.01);
  });

  it("draws the same mask from the same seed and another from another seed", () => {
    const a = dropout(x, { training: true }, createRandom(42));
    const b = dropout(x, { training: true }, createRandom(42));
    const c = dropout(x, { training: true }, createRandom(43));
    expect(a.data).toEqual(b.data);
    expect(a.data).not.toEqual(c.data);
  });

  it("rejects p outside [0, 1)", () => {
    expect(() => dropout(x, { p: 1, training: true }, createRandom(1))).toThrow(/p must be in \[0, 1\)/);
  });
});

describe("createRandom", () => {
  it("yields numbers in [0, 1) with a uniform mean and no short cycle", () => {
    const next = createRandom(0);
    const seen = new Set<number>();
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const v = next();
      expect(v >= 0 && v < 1).toBe(true);
      sum += v;
      seen.add(v);
    }
    expect(Math.abs(sum / 20_000 - 0.5)).toBeLessThan(0.01);
    expect(seen.size).toBeGreaterThan(19_990);
  });
});
