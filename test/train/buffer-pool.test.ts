/**
 * The buffer pool of the IR executor (`executeGraph(..., { pool })`, `BufferPool` in
 * runtime/tensor.ts), which `nnc train` and `bench:train` use so that a training step reuses the
 * previous step's buffers instead of allocating: steps through a pool must give bit for bit the
 * steps without one, a result the caller keeps must survive the next step, and a buffer must
 * come back zero-filled.
 */
import { describe, expect, it } from "vitest";
import { BufferPool, freshFloats, withBufferPool, type Tensor } from "../../runtime/index.js";
import { executorSteps } from "./trajectory-support.js";

const STEPS = 3;

/**
 * `STEPS` steps of a trajectory fixture's run, with or without a pool; each step's results as the
 * caller holds them go to `keep`, and copies of them as they are once the step is over (clipping
 * changes gradients in place) to `after`.
 */
function steps(run: string, pool: BufferPool | undefined, keep: Tensor[][] = [], after: Float32Array[][] = []) {
  return executorSteps(run, STEPS, pool, (outputs) => {
    keep.push(outputs);
    after.push(outputs.map((t) => t.data.slice()));
  });
}

describe.each(["norm_zoo-sgd", "nfnet-agc"])("training steps of %s through a buffer pool", (run) => {
  it("equal the steps without one, bit for bit, and leave the results the caller keeps alone", () => {
    const plain = steps(run, undefined);
    const [kept, after]: [Tensor[][], Float32Array[][]] = [[], []];
    const pooled = steps(run, new BufferPool(), kept, after);
    expect(pooled.outputs).toEqual(plain.outputs);
    expect(pooled.params).toEqual(plain.params);
    // Nothing was given back: every step's results are as they were when its step ended.
    kept.forEach((outputs, step) => expect(outputs.map((t) => t.data)).toEqual(after[step]));
  });
});

describe("a buffer pool", () => {
  it("hands a buffer it got back to the next run, zero-filled, and none outside a run", () => {
    const pool = new BufferPool();
    const first = withBufferPool(pool, () => freshFloats(6).fill(7));
    const result = withBufferPool(pool, () => ({ shape: [3], data: freshFloats(3).fill(5) }));
    pool.endRun([result]);
    expect(freshFloats(6)).not.toBe(first);
    const again = withBufferPool(pool, () => freshFloats(6));
    expect(again).toBe(first);
    expect([...again]).toEqual([0, 0, 0, 0, 0, 0]);
    // The kept result stays the caller's until given back.
    expect(withBufferPool(pool, () => freshFloats(3))).not.toBe(result.data);
    pool.endRun([]);
    pool.giveBack([result]);
    expect(withBufferPool(pool, () => freshFloats(3))).toBe(result.data);
  });
});
