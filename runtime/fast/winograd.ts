/**
 * The TypeScript side of the Winograd conv (`runtime/wasm/winograd-kernel.ts`): which convs take
 * it, the transformed weights `U = G g Gᵀ` packed for the GEMM tiles, and the descriptors.
 *
 * A conv takes it when it is 3×3 with stride 1, no dilation and one group, has at least 16
 * input channels (ResNet-20's 16-channel stage gains about as much as the wider ones; fewer
 * were not measured, and their GEMMs get very short), and at most 128 × 128 channels: U holds
 * 16 values per channel pair where the direct conv holds 9, so ResNet-18's wide late stages
 * would push the plan past its memory bound (weights + 2 × the largest pair of live
 * activations), and at batch 1 their 7×7 and 14×14 images are too small to reuse U.
 */
import { CONV_NR } from "../wasm/conv-kernel.js";
import { WinoDesc } from "../wasm/winograd-kernel.js";
import type { WindowGeometry } from "./plan-graph.js";
import { channelStride } from "./layout.js";

/** Scratch a thread's chunk of tiles may use (V and M together), in bytes. */
const CHUNK_BYTES = 128 * 1024;

/** Whether a conv of weight shape `[m, c, kh, kw]` over `window` runs as Winograd F(2×2, 3×3). */
export function winogradFits(weightShape: readonly number[], window: WindowGeometry, group: number): boolean {
  const [m, c, kh, kw] = weightShape as [number, number, number, number];
  return (
    kh === 3 && kw === 3 && window.sh === 1 && window.sw === 1 && window.dh === 1 && window.dw === 1 && group === 1 &&
    channelStride(c) >= 16 && m * c <= 128 * 128
  );
}

/** The geometry of a Winograd conv: blocks of 2×2 outputs, chunk size, scratch and weight sizes. */
export interface WinogradShape {
  /** Rows and columns of 2×2 output blocks. */
  th: number;
  tw: number;
  /** Tiles transformed and multiplied at a time. */
  chunk: number;
  /** Bytes of V (and of M) per ξ within a chunk: V is `[ξ][tile][Cs_in]`, M `[tile][quad][ξ]`. */
  vXi: number;
  mXi: number;
  /** Scratch bytes per thread: V and M for 16 values of ξ. */
  scratch: number;
  /** Floats of the packed transformed weights. */
  weightFloats: number;
}

/** Sizes for a conv with `c` input and `m` output channels whose output is `oh × ow`. */
export function winogradShape(m: number, c: number, oh: number, ow: number): WinogradShape {
  const [csIn, csOut] = [channelStride(c), channelStride(m)];
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  const chunk = Math.max(1, Math.min(tw, Math.floor(CHUNK_BYTES / (16 * 4 * (csIn + csOut)))));
  const vXi = chunk * csIn * 4;
  const mXi = chunk * csOut * 4;
  return { th, tw, chunk, vXi, mXi, scratch: 16 * (vXi + mXi), weightFloats: 16 * csIn * csOut };
}

/**
 * Writes U = G g Gᵀ for every pair (o, i) of `w` (`[m, c, 3, 3]`) at `heap[at…]` as
 * `[ξ][ob][i < Cs_in][8]`, ξ = 4·row + column of U, zeros for padded channels, with
 *
 *   G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
 */
export function packWinogradWeight(w: Float32Array, m: number, c: number, heap: Float32Array, at: number): void {
  const [csIn, csOut] = [channelStride(c), channelStride(m)];
  heap.fill(0, at, at + 16 * csIn * csOut);
  const panel = csIn * CONV_NR;
  const xiStride = (csOut / CONV_NR) * panel;
  const gg = new Float64Array(12);
  for (let o = 0; o < m; o++) {
    for (let i = 0; i < c; i++) {
      const g = (ky: number, kx: number): number => w[((o * c + i) * 3 + ky) * 3 + kx];
      // gg = G g (4 × 3)
      for (let kx = 0; kx < 3; kx++) {
        const [a, b, d] = [g(0, kx), g(1, kx), g(2, kx)];
        gg[kx] = a;
        gg[3 + kx] = (a + b + d) / 2;
        gg[6 + kx] = (a - b + d) / 2;
        gg[9 + kx] = d;
      }
      const base = at + Math.floor(o / CONV_NR) * panel + i * CONV_NR + (o % CONV_NR);
      for (let row = 0; row < 4; row++) {
        const [a, b, d] = [gg[3 * row], gg[3 * row + 1], gg[3 * row + 2]];
        const u = [a, (a + b + d) / 2, (a - b + d) / 2, d];
        for (let col = 0; col < 4; col++) heap[base + (4 * row + col) * xiStride] = u[col];
      }
    }
  }
}

/** Where a Winograd conv's pieces live in the WebAssembly memory (bytes). */
export interface WinogradPlacement {
  input: number;
  output: number;
  residual: number;
  weights: number;
  bias: number;
  zero: number;
  scratch: number;
}

/** Writes the Winograd descriptor at `desc`. */
export function writeWinogradDescs(
  words: Int32Array,
  desc: number,
  placement: WinogradPlacement,
  conv: { m: number; c: number; h: number; w: number; window: WindowGeometry; relu: boolean },
  shape: WinogradShape,
): void {
  const { m, c, h, w, window } = conv;
  const [csIn, csOut] = [channelStride(c) * 4, channelStride(m) * 4];
  const panel = csIn * CONV_NR;
  const wino: [keyof typeof WinoDesc, number][] = [
    ["input", placement.input], ["inImage", h * w * csIn], ["inRow", w * csIn], ["inPixel", csIn],
    ["height", h], ["width", w], ["icQuads", csIn / 16], ["padTop", window.padTop], ["padLeft", window.padLeft],
    ["u", placement.weights], ["uXi", (csOut / 32) * panel], ["panel", panel], ["ocBlocks", csOut / 32], ["bias", placement.bias],
    ["output", placement.output], ["outImage", window.oh * window.ow * csOut], ["outPixel", csOut],
    ["residual", placement.residual], ["resImage", window.oh * window.ow * csOut], ["resPixel", csOut],
    ["oh", window.oh], ["ow", window.ow], ["th", shape.th], ["tw", shape.tw], ["flags", conv.relu ? 1 : 0],
    ["zero", placement.zero], ["scratch", placement.scratch], ["scratchStride", shape.scratch],
    ["chunk", shape.chunk], ["vXi", shape.vXi],
  ];
  for (const [name, value] of wino) words[desc / 4 + WinoDesc[name]] = value;
}
