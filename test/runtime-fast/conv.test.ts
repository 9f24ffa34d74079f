/**
 * The fast conv and gemm, on both paths (WebAssembly and the TypeScript fallback): against the
 * PyTorch fixtures, against the TypeScript kernels at shapes that cross the WebAssembly kernel's
 * tile, slab and chunk boundaries, with every fused activation, with pre-packed weights and with
 * reused output buffers.
 */
import { afterAll, describe, expect, it } from "vitest";
import { conv as tsConv, gemm as tsGemm, type ConvAttributes, type FusedActivation, type PadSpec } from "../../runtime/index.js";
import { conv, convPacked, gemm, gemmPacked, prepackConv, prepackGemm, setWasmEnabled, wasmAvailable } from "../../runtime/fast/index.js";
import { casesOf, expectClose, output, randomTensor } from "../runtime/fixtures.js";

const activations: FusedActivation[] = [
  { kind: "relu" },
  { kind: "leaky_relu", alpha: 0.2 },
  { kind: "elu", alpha: 1 },
  { kind: "sigmoid" },
  { kind: "tanh" },
  { kind: "silu" },
];

it("has WebAssembly SIMD on this engine (Node 20), so the fast path really is tested", () => {
  expect(wasmAvailable()).toBe(true);
});

describe.each([
  ["WebAssembly", true],
  ["TypeScript fallback", false],
] as const)("fast kernels on the %s path", (_, wasm) => {
  setWasmEnabled(wasm);
  afterAll(() => setWasmEnabled(true));
  const withPath = <T>(run: () => T): T => {
    setWasmEnabled(wasm);
    return run();
  };

  describe("conv against PyTorch", () => {
    it.each(casesOf("conv").map((c) => [c.name, c] as const))("%s", (_, c) => {
      const a = c.attributes;
      const attributes: ConvAttributes = {
        strides: a.strides as ConvAttributes["strides"],
        pads: a.pads as PadSpec,
        dilations: a.dilations as ConvAttributes["dilations"],
        group: a.group as number,
      };
      expectClose(withPath(() => conv(c.inputs.x, c.inputs.weight, c.inputs.bias, attributes)), output(c, "y"), c.name);
      const packed = prepackConv(c.inputs.weight, attributes);
      expectClose(withPath(() => convPacked(c.inputs.x, packed, c.inputs.bias, attributes)), output(c, "y"), `${c.name} packed`);
    });
  });

  describe("gemm against PyTorch", () => {
    it.each(casesOf("gemm").map((c) => [c.name, c] as const))("%s", (_, c) => {
      expectClose(withPath(() => gemm(c.inputs.x, c.inputs.weight, c.inputs.bias)), output(c, "y"), c.name);
    });
  });

  describe("conv against the TypeScript kernel", () => {
    const shapes: [string, number[], number[], ConvAttributes][] = [
      ["a ResNet stem (power-of-two plane)", [1, 3, 32, 32], [16, 3, 3, 3], { pads: 1 }],
      ["a strided conv with a ragged last tile", [2, 16, 9, 9], [10, 16, 3, 3], { strides: 2, pads: 1 }],
      ["a reduction over three slabs (K = 96·3·3 = 864)", [1, 96, 6, 6], [12, 96, 3, 3], { pads: 1 }],
      ["a batch split into chunks of images", [5, 64, 40, 40], [5, 64, 3, 3], { pads: [0, 1, 2, 1], dilations: [2, 1] }],
      ["a 1x1 conv reading planes directly", [3, 8, 7, 5], [6, 8, 1, 1], {}],
      ["a 1x1 strided projection", [2, 8, 8, 8], [16, 8, 1, 1], { strides: 2 }],
    ];
    it.each(shapes)("matches on %s", (_, xs, ws, attributes) => {
      const x = randomTensor(xs, 1);
      const w = randomTensor(ws, 2);
      const bias = randomTensor([ws[0]], 3);
      expectClose(withPath(() => conv(x, w, bias, attributes)), tsConv(x, w, bias, attributes), "conv");
      expectClose(withPath(() => conv(x, w, undefined, attributes)), tsConv(x, w, undefined, attributes), "conv without bias");
    });

    it.each(activations.map((a) => [a.kind, a] as const))("fuses %s", (_, activation) => {
      const x = randomTensor([2, 5, 9, 9], 8);
      const w = randomTensor([7, 5, 3, 3], 9);
      const bias = randomTensor([7], 10);
      const attributes: ConvAttributes = { pads: 1, activation };
      expectClose(withPath(() => conv(x, w, bias, attributes)), tsConv(x, w, bias, attributes), activation.kind);
    });

    it("writes into a reused, dirty, longer buffer and returns a view of its prefix", () => {
      const x = randomTensor([1, 3, 6, 6], 12);
      const w = randomTensor([4, 3, 3, 3], 13);
      const buffer = new Float32Array(4 * 4 * 4 + 10).fill(Number.NaN);
      const y = withPath(() => conv(x, w, undefined, {}, buffer));
      expect(y.data.buffer).toBe(buffer.buffer);
      expect(y.data.length).toBe(64);
      expectClose(y, tsConv(x, w), "conv into a buffer");
    });

    it("serves one packed weight at several batch sizes and image sizes", () => {
      const w = randomTensor([8, 4, 3, 3], 14);
      const packed = prepackConv(w);
      for (const [n, size] of [[1, 5], [4, 11], [2, 3]]) {
        const x = randomTensor([n, 4, size, size], n * size);
        expectClose(withPath(() => convPacked(x, packed, undefined, { pads: 1 })), tsConv(x, w, undefined, { pads: 1 }), `n=${n}`);
      }
    });

    it("refuses a call whose group differs from the packing's", () => {
      const packed = prepackConv(randomTensor([4, 2, 3, 3], 1), { group: 2 });
      expect(() => convPacked(randomTensor([1, 4, 5, 5], 2), packed, undefined, {})).toThrow(/packed for group 2/);
    });

    it("names a weight whose input channels do not match", () => {
      expect(() => withPath(() => conv(randomTensor([1, 6, 5, 5], 1), randomTensor([4, 5, 3, 3], 2)))).toThrow(
        /conv: weight: expected shape \[4, 6, 3, 3\]/,
      );
    });
  });

  describe("gemm against the TypeScript kernel", () => {
    it.each([
      [1, 400, 120],
      [32, 84, 10],
      [7, 1000, 13],
    ])("matches with batch %i, %i features, %i units", (n, f, units) => {
      const x = randomTensor([n, f], 1);
      const w = randomTensor([units, f], 2);
      const bias = randomTensor([units], 3);
      expectClose(withPath(() => gemm(x, w, bias)), tsGemm(x, w, bias), "gemm");
      const packed = prepackGemm(w);
      for (const activation of activations) {
        expectClose(withPath(() => gemmPacked(x, packed, undefined, { activation })), tsGemm(x, w, undefined, { activation }), activation.kind);
      }
    });
  });
});
