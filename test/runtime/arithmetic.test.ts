/**
 * The broadcasting kernels `sub`, `mul` and `div` against PyTorch (fixtures sub_*, mul_*, div_*
 * of scripts/torch_op_fixtures.py: a per-channel gate, both operands stretching, a rank-0
 * number on either side); `add`'s fixtures, broadcasting ones included, run in tensor-ops.test.ts.
 */
import { describe, expect, it } from "vitest";
import { div, mul, sub, type Tensor } from "../../runtime/index.js";
import { casesOf, expectClose, output, randomTensor } from "./fixtures.js";

const KERNELS: Record<string, (a: Tensor, b: Tensor) => Tensor> = { sub, mul, div };

describe.each(Object.keys(KERNELS))("%s against PyTorch", (op) => {
  it.each(casesOf(op).map((c) => [c.name, c] as const))("%s", (_, c) => {
    expectClose(KERNELS[op](c.inputs.a, c.inputs.b), output(c, "y"), c.name);
  });
});

describe("broadcasting", () => {
  it("stretches a rank-0 operand over the other on either side", () => {
    const x = randomTensor([2, 3], 1);
    const two: Tensor = { shape: [], data: Float32Array.of(2) };
    expect([...div(two, x).data]).toEqual([...x.data].map((v) => Math.fround(2 / v)));
    expect(sub(x, two).shape).toEqual([2, 3]);
  });

  it("refuses shapes that do not broadcast", () => {
    expect(() => mul(randomTensor([2, 3, 4], 1), randomTensor([2, 2, 4], 2))).toThrow(/mul: shapes \[2, 3, 4\] and \[2, 2, 4\] do not broadcast/);
  });
});
