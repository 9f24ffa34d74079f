/**
 * Conv against PyTorch's `F.conv2d` (fixtures conv_*), against a direct seven-loop convolution at
 * sizes that cross the GEMM's panel and slab boundaries, and with its fused epilogue.
 */
import { describe, expect, it } from "vitest";
import { conv, relu, leakyRelu, samePads, type ConvAttributes, type PadSpec, type Tensor } from "../../runtime/index.js";
import { casesOf, expectClose, output, randomTensor } from "./fixtures.js";

/** Convolution by definition, in double, with `pads` as [top, left, bottom, right]. */
function naiveConv(x: Tensor, w: Tensor, bias: Tensor | undefined, stride: [number, number], pads: number[], dilation: [number, number], group: number): Tensor {
  const [n, c, h, wd] = x.shape;
  const [m, cg, kh, kw] = w.shape;
  const oh = Math.floor((h + pads[0] + pads[2] - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const ow = Math.floor((wd + pads[1] + pads[3] - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
  const y = new Float32Array(n * m * oh * ow);
  const mg = m / group;
  for (let b = 0; b < n; b++)
    for (let o = 0; o < m; o++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let sum = bias ? bias.data[o] : 0;
          const g = Math.floor(o / mg);
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * stride[0] - pads[0] + ky * dilation[0];
                const ix = ox * stride[1] - pads[1] + kx * dilation[1];
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                sum += x.data[((b * c + g * cg + ci) * h + iy) * wd + ix] * w.data[((o * cg + ci) * kh + ky) * kw + kx];
              }
          y[((b * m + o) * oh + oy) * ow + ox] = sum;
        }
  return { shape: [n, m, oh, ow], data: y };
}

describe("conv against PyTorch", () => {
  const cases = casesOf("conv");
  it("covers the attribute combinations the fixture script writes", () => {
    expect(cases.length).toBeGreaterThanOrEqual(13);
  });
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_, c) => {
    const a = c.attributes;
    const attributes: ConvAttributes = {
      strides: a.strides as ConvAttributes["strides"],
      pads: a.pads as PadSpec,
      dilations: a.dilations as ConvAttributes["dilations"],
      group: a.group as number,
    };
    const y = conv(c.inputs.x, c.inputs.weight, c.inputs.bias, attributes);
    expectClose(y, output(c, "y"), c.name);
  });
});

describe("conv against a direct convolution", () => {
  it("matches where K and oh*ow cross the GEMM's 256-wide blocks (K = 30*3*3 = 270, 17*17 = 289 positions)", () => {
    const x = randomTensor([2, 30, 17, 17], 1);
    const w = randomTensor([9, 30, 3, 3], 2);
    const bias = randomTensor([9], 3);
    const y = conv(x, w, bias, { pads: 1 });
    expectClose(y, naiveConv(x, w, bias, [1, 1], [1, 1, 1, 1], [1, 1], 1), "large conv");
  });

  it("matches with groups, stride, dilation and asymmetric pads together", () => {
    const x = randomTensor([2, 6, 11, 9], 4);
    const w = randomTensor([9, 2, 3, 2], 5);
    const y = conv(x, w, undefined, { group: 3, strides: [2, 3], dilations: [2, 1], pads: [1, 0, 2, 3] });
    expectClose(y, naiveConv(x, w, undefined, [2, 3], [1, 0, 2, 3], [2, 1], 3), "grouped conv");
  });

  it("matches on the depthwise path with stride, dilation and asymmetric pads", () => {
    const x = randomTensor([2, 5, 10, 9], 14);
    const w = randomTensor([5, 1, 3, 3], 15);
    const bias = randomTensor([5], 16);
    const y = conv(x, w, bias, { group: 5, strides: [2, 1], dilations: [1, 2], pads: [2, 1, 0, 3] });
    expectClose(y, naiveConv(x, w, bias, [2, 1], [2, 1, 0, 3], [1, 2], 5), "depthwise conv");
  });

  it("matches on the direct 1x1 path with groups", () => {
    const x = randomTensor([2, 6, 5, 4], 17);
    const w = randomTensor([4, 3, 1, 1], 18);
    const y = conv(x, w, undefined, { group: 2 });
    expectClose(y, naiveConv(x, w, undefined, [1, 1], [0, 0, 0, 0], [1, 1], 2), "grouped 1x1 conv");
  });

  it("pads 'same' so that the output is ceil(size / stride)", () => {
    const x = randomTensor([1, 3, 9, 8], 6);
    const w = randomTensor([4, 3, 3, 3], 7);
    const pads = samePads(9, 8, 3, 2);
    const y = conv(x, w, undefined, { strides: 2, pads });
    expect(y.shape).toEqual([1, 4, 5, 4]);
    expectClose(y, naiveConv(x, w, undefined, [2, 2], [pads.top, pads.left, pads.bottom, pads.right], [1, 1], 1), "same conv");
  });
});

describe("conv's fused epilogue", () => {
  const x = randomTensor([2, 5, 9, 9], 8);
  const w = randomTensor([7, 5, 3, 3], 9);
  const bias = randomTensor([7], 10);

  it("equals conv followed by relu, and really clips something", () => {
    const plain = conv(x, w, bias, { pads: 1 });
    const fused = conv(x, w, bias, { pads: 1, activation: { kind: "relu" } });
    expect(plain.data.some((v) => v < 0)).toBe(true);
    expect(fused.data).toEqual(relu(plain).data);
  });

  it("equals conv followed by leaky_relu with its alpha", () => {
    const plain = conv(x, w, bias, { strides: 2 });
    const fused = conv(x, w, bias, { strides: 2, activation: { kind: "leaky_relu", alpha: 0.2 } });
    expect(fused.data).toEqual(leakyRelu(plain, { alpha: 0.2 }).data);
  });

  it("applies the activation on the depthwise path too", () => {
    const wd = randomTensor([5, 1, 3, 3], 19);
    const fused = conv(x, wd, undefined, { group: 5, pads: 1, activation: { kind: "relu" } });
    expect(fused.data).toEqual(relu(conv(x, wd, undefined, { group: 5, pads: 1 })).data);
  });

  it("applies the activation on the direct 1x1 path too", () => {
    const w1 = randomTensor([4, 5, 1, 1], 11);
    const fused = conv(x, w1, undefined, { activation: { kind: "relu" } });
    expect(fused.data).toEqual(relu(conv(x, w1)).data);
  });
});

describe("conv's output buffer", () => {
  it("writes into a reused, dirty, longer buffer and returns a view of its prefix", () => {
    const x = randomTensor([1, 3, 6, 6], 12);
    const w = randomTensor([4, 3, 3, 3], 13);
    const buffer = new Float32Array(4 * 4 * 4 + 10).fill(Number.NaN);
    const y = conv(x, w, undefined, {}, buffer);
    expect(y.data.buffer).toBe(buffer.buffer);
    expect(y.data.length).toBe(64);
    expect(y.data).toEqual(conv(x, w).data);
  });

  it("rejects a buffer that is too short", () => {
    expect(() => conv(randomTensor([1, 3, 6, 6], 1), randomTensor([4, 3, 3, 3], 2), undefined, {}, new Float32Array(10))).toThrow(
      /output buffer holds 10 values, needs 64/,
    );
  });
});

describe("conv's errors", () => {
  it("names a group that does not divide the channels", () => {
    expect(() => conv(randomTensor([1, 6, 5, 5], 1), randomTensor([4, 2, 3, 3], 2), undefined, { group: 4 })).toThrow(/group 4 must divide/);
  });
  it("names a weight whose input channels do not match", () => {
    expect(() => conv(randomTensor([1, 6, 5, 5], 1), randomTensor([4, 5, 3, 3], 2))).toThrow(/conv: weight: expected shape \[4, 6, 3, 3\]/);
  });
  it("names a kernel that does not fit", () => {
    expect(() => conv(randomTensor([1, 1, 2, 2], 1), randomTensor([1, 1, 3, 3], 2))).toThrow(/does not fit/);
  });
});
