/** The static memory plan: no two tensors live at once overlap, reuse happens, and bad ranges are named. */
import { describe, expect, it } from "vitest";
import { planBuffers, type LiveRange } from "../../runtime/fast/index.js";

function overlapsWhileLive(ranges: readonly LiveRange[], offsets: number[]): boolean {
  for (let i = 0; i < ranges.length; i++)
    for (let j = i + 1; j < ranges.length; j++) {
      const live = ranges[i].first <= ranges[j].last && ranges[j].first <= ranges[i].last;
      const overlap = offsets[i] < offsets[j] + ranges[j].size && offsets[j] < offsets[i] + ranges[i].size;
      if (live && overlap && ranges[i].size > 0 && ranges[j].size > 0) return true;
    }
  return false;
}

describe("planBuffers", () => {
  it("reuses the memory of a chain: the arena is the largest adjacent pair", () => {
    const chain = [100, 50, 80, 20].map((size, i) => ({ size, first: i, last: i + 1 }));
    const plan = planBuffers(chain);
    expect(overlapsWhileLive(chain, plan.offsets)).toBe(false);
    expect(plan.total).toBe(150);
  });

  it("keeps a residual branch alive across the block", () => {
    const ranges = [
      { size: 64, first: 0, last: 3 }, // the block's input, read again by the add
      { size: 64, first: 1, last: 2 },
      { size: 64, first: 2, last: 3 },
      { size: 64, first: 3, last: 4 },
    ];
    const plan = planBuffers(ranges);
    expect(overlapsWhileLive(ranges, plan.offsets)).toBe(false);
    expect(plan.total).toBe(192);
  });

  it("never overlaps live tensors on random graphs", () => {
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let trial = 0; trial < 50; trial++) {
      const ranges = Array.from({ length: 20 }, () => {
        const first = next(30);
        return { size: next(100), first, last: first + next(6) };
      });
      const plan = planBuffers(ranges);
      expect(overlapsWhileLive(ranges, plan.offsets)).toBe(false);
      expect(plan.total).toBeLessThanOrEqual(ranges.reduce((sum, r) => sum + r.size, 0));
    }
  });

  it("rejects a range that ends before it starts", () => {
    expect(() => planBuffers([{ size: 4, first: 3, last: 1 }])).toThrow(/range 0 needs/);
  });
});
