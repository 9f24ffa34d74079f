/**
 * `to_blocked_rows` (`runtime/wasm/layout-kernel.ts`), the WebAssembly plan's conversion of a plain
 * input into the blocked layout, against the TypeScript conversions of `layout.ts` (`toBlocked`,
 * `toBlockedUnfolded`), value for value: the unfolded stem of an RGB image (straight-line code), other
 * channel counts (the loop), dilation, strides, padding wider than the image, padded channels that
 * must be written as zeros over whatever the memory held; a call cut into row ranges as the
 * splitter cuts it; and a large conversion split between the caller and a worker.
 */
import { afterAll, describe, expect, it } from "vitest";
import { instantiatePlanKernels, planModuleBytes } from "../../runtime/fast/plan-module.js";
import { RowSplitter } from "../../runtime/fast/plan-threads.js";
import { channelStride, toBlocked, toBlockedUnfolded } from "../../runtime/fast/layout.js";
import { LAYOUT_DESC_WORDS, LayoutDesc } from "../../runtime/wasm/layout-kernel.js";

type Unfold = { kw: number; sw: number; dw: number; padLeft: number; ow: number };

const desc = 64;
const input = desc + 4 * LAYOUT_DESC_WORDS + 60;

/** A memory with the plan module over it, the input `x` written in and the descriptor set; the output filled with NaN. */
function setUp(shape: number[], u: Unfold | undefined, shared = false) {
  const [n, c, h, w] = shape;
  const unfold = u ?? { kw: 1, sw: 1, dw: 1, padLeft: 0, ow: w };
  const pixel = channelStride(unfold.kw * c);
  const output = input + Math.ceil((n * c * h * w * 4) / 64) * 64;
  const values = n * h * unfold.ow * pixel;
  const pages = Math.ceil((output + values * 4) / 65536);
  const memory = shared ? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true }) : new WebAssembly.Memory({ initial: pages });
  const module = new WebAssembly.Module(planModuleBytes(pages, shared) as Uint8Array<ArrayBuffer>);
  const kernels = instantiatePlanKernels(module, memory);
  const heap = new Float32Array(memory.buffer);
  const words = new Int32Array(memory.buffer);
  const x = Float32Array.from({ length: n * c * h * w }, (_, i) => Math.sin(i * 0.37) + i * 1e-3);
  heap.set(x, input / 4);
  const fields: [keyof typeof LayoutDesc, number][] = [
    ["input", input], ["channels", c], ["height", h], ["width", w], ["kw", unfold.kw], ["sw", unfold.sw], ["dw", unfold.dw],
    ["padLeft", unfold.padLeft], ["ow", unfold.ow], ["output", output], ["outPixel", pixel * 4],
  ];
  for (const [name, value] of fields) words[desc / 4 + LayoutDesc[name]] = value;
  const out = heap.subarray(output / 4, output / 4 + values);
  out.fill(NaN);
  const expected = new Float32Array(values);
  if (u === undefined) toBlocked(x, n, c, h, w, expected, 0);
  else toBlockedUnfolded(x, n, c, h, w, u, expected, 0);
  return { kernels, module, memory, out, expected, rows: n * h, values };
}

const cases: [string, number[], Unfold | undefined][] = [
  ["a 7×7 stride-2 stem over an RGB image", [1, 3, 30, 30], { kw: 7, sw: 2, dw: 1, padLeft: 3, ow: 15 }],
  ["an RGB stem over an image narrower than its window", [2, 3, 5, 2], { kw: 7, sw: 1, dw: 1, padLeft: 3, ow: 2 }],
  ["two channels, 5 taps, stride 3, dilation 2, asymmetric pads", [2, 2, 11, 10], { kw: 5, sw: 3, dw: 2, padLeft: 2, ow: 3 }],
  ["one channel, a window wider than the image", [1, 1, 4, 3], { kw: 5, sw: 1, dw: 1, padLeft: 3, ow: 4 }],
  ["plain: three channels (a stride of 4)", [2, 3, 6, 7], undefined],
  ["plain: five channels (three padded channels)", [1, 5, 4, 9], undefined],
];

describe("to_blocked_rows", () => {
  it.each(cases)("%s", (_, shape, unfold) => {
    const { kernels, out, expected, rows } = setUp(shape, unfold);
    kernels.toBlockedRows(desc, 0, rows);
    expect(out).toEqual(expected);
  });

  it.each(cases)("in row ranges: %s", (_, shape, unfold) => {
    const { kernels, out, expected, rows } = setUp(shape, unfold);
    // Out of order, as chunks may run: the second half, the first row, then the rest.
    const half = Math.floor(rows / 2);
    kernels.toBlockedRows(desc, half, rows);
    kernels.toBlockedRows(desc, 0, 1);
    kernels.toBlockedRows(desc, 1, half);
    expect(out).toEqual(expected);
  });
});

describe("split across threads", () => {
  // ResNet-18's stem at 112 × 112: 112 rows of 56 pixels of 24 floats, above the splitting threshold.
  const { kernels, module, memory, out, expected, rows, values } = setUp([1, 3, 112, 112], { kw: 7, sw: 2, dw: 1, padLeft: 3, ow: 56 }, true);
  const splitter = new RowSplitter(kernels, 2, module, memory);
  afterAll(() => splitter.close());

  it("writes every row, on the caller and the worker", () => {
    expect(splitter.threads).toBe(2);
    for (let call = 0; call < 50; call++) {
      out.fill(NaN);
      splitter.toBlocked(desc, rows, values);
      // Counted by hand: vitest's deep equality walks a view of a shared memory very slowly.
      let wrong = 0;
      for (let i = 0; i < values; i++) if (!(out[i] === expected[i])) wrong++;
      expect(wrong, `call ${call}`).toBe(0);
    }
    expect(splitter.workerChunks).toBeGreaterThan(0);
  });
});
