/**
 * The TypeScript side of the Winograd conv (`runtime/wasm/winograd-kernel.ts`): which convs take
 * it, which tile, how each is cut, and the descriptors.
 *
 * A conv takes it when it is 3×3 with stride 1, no dilation and one group, and has at least 16
 * input channels (ResNet-20's 16-channel stage gains about as much as the wider ones; fewer were
 * not measured, and their GEMMs get very short).
 *
 * **Tile.** A conv with at least {@link MIN_LARGE_BLOCKS} blocks of 4×4 outputs over the batch
 * runs as F(4×4, 3×3): 36 multiply-adds per channel pair and 16 outputs instead of F(2×2, 3×3)'s
 * 64, its transforms costing about as much per output. Its U (36 values per channel pair, 4 times
 * the 9-tap weights) is never kept: the plan keeps the 9-tap weights and makes U on every forward,
 * like F(2×2, 3×3)'s wider convs below, which few blocks do not repay (measured by
 * `npm run bench:conv`: 16 blocks 1.13–1.19× faster than F(2×2, 3×3), 4 blocks 0.95–0.97×). The
 * forms below are the same for both tiles, with 36 values of ξ instead of 16 and U's transform
 * `wino4_u`. Smaller convs, and every conv with `winogradTile: 2`, run as F(2×2, 3×3).
 *
 * **U.** Above 64 × 64 channels the plan stores the 9-tap
 * weights (`packWinogradSource`) and transforms them to U = G g Gᵀ (16 values per channel pair)
 * on every forward, into scratch: storing U would take 16/9 of the weights' memory, which for ResNet-18's wide stages
 * pushes the plan past its memory bound (weights + 2 × the largest pair of live activations),
 * while the transform costs a few percent of the conv. Two forms:
 *
 * - **narrow** (U of at most {@link NARROW_U_BYTES}: up to 128 × 128 channels): all of U is
 *   transformed into the shared scratch before the call (`wino_u` per block of 8 output
 *   channels), then `wino_rows` runs rows of output blocks, each thread a chunk of one row's tiles
 *   at a time through every output block. Up to 64 × 64 channels ({@link STORED_U_BYTES}) U is
 *   transformed once, at load, and kept instead of the 9-tap weights: it is small (ResNet-18's
 *   four such convs add 0.4 MiB), and on many small images (ResNet-20 at batch 32) the transform
 *   on every forward, on the calling thread, cost two threads 4 %;
 * - **wide** (more channels): the output rows are cut into passes whose V (every tile of the
 *   pass, `wino_in`) fits {@link PASS_V_BYTES} (1 MiB) of shared scratch; then `wino_blocks` runs the
 *   output blocks, each thread transforming one block's U into its own scratch and multiplying it
 *   with the pass's V. U is made once per block and pass, V once per pass.
 */
import { CONV_NR } from "../wasm/conv-kernel.js";
import { WINO4_XIS, WINO_DESC_WORDS, WinoDesc, WinoWide } from "../wasm/winograd-kernel.js";
import type { WindowGeometry } from "./plan-graph.js";
import { channelStride } from "./layout.js";

/** Scratch a thread's chunk of tiles may use (V and M together), in bytes (narrow form). */
const CHUNK_BYTES = 128 * 1024;
/** The largest U the narrow form transforms whole (128 × 128 channels). */
export const NARROW_U_BYTES = 16 * 128 * 128 * 4;
/** The largest U the plan keeps, transformed at load (64 × 64 channels). */
export const STORED_U_BYTES = 16 * 64 * 64 * 4;
/**
 * The most V a wide conv's pass holds (at least one row of output blocks): as much as the narrow
 * form's largest U, which the shared scratch holds anyway, so that ResNet-18's 14×14 stage runs
 * in one pass (each pass transforms U again).
 */
export const PASS_V_BYTES = NARROW_U_BYTES;
/** Bytes added to U's stride between values of ξ, which is otherwise often a multiple of 4 KiB (see `wino_u`). */
const U_PAD = 64;

/** Whether a conv of weight shape `[m, c, kh, kw]` over `window` runs as Winograd F(2×2, 3×3). */
export function winogradFits(weightShape: readonly number[], window: WindowGeometry, group: number): boolean {
  const [, c, kh, kw] = weightShape as [number, number, number, number];
  return (
    kh === 3 && kw === 3 && window.sh === 1 && window.sw === 1 && window.dh === 1 && window.dw === 1 && group === 1 &&
    channelStride(c) >= 16
  );
}

/** The geometry of a Winograd conv: blocks of 2×2 (or 4×4) outputs, how it is cut, its scratch. */
export interface WinogradShape {
  /** Outputs per side of a block: 2, F(2×2, 3×3), or 4, F(4×4, 3×3) (whose U is never stored). */
  tile: 2 | 4;
  /** Values of ξ per tile: 16, or 36 for F(4×4, 3×3). */
  xis: number;
  /** Rows and columns of output blocks (per image). */
  th: number;
  tw: number;
  /** Whether it runs in the wide form. */
  wide: boolean;
  /** Narrow: whether U is transformed once, at load, and kept (else on every forward, into the shared scratch). */
  stored: boolean;
  /** Narrow: tiles transformed and multiplied at a time. */
  chunk: number;
  /** Wide: rows of output blocks per pass. */
  passRows: number;
  /** Bytes of V per ξ: a narrow chunk's (V is `[ξ][tile][Cs_in]`) or a wide pass's. */
  vXi: number;
  /** Bytes of U per ξ: all of U (narrow, `[ξ][block][Cs_in][8]`) or one block's (wide), padded. */
  uXi: number;
  /** Scratch bytes shared by the threads: U (narrow) or the pass's V (wide). */
  shared: number;
  /** Scratch bytes per thread: V and M of a chunk (narrow), one block's U and a row's M (wide). */
  scratch: number;
  /** Wide: the start of a thread's M row within its scratch. */
  mAt: number;
}

/**
 * The fewest 4×4 output blocks (over the batch) for which a conv runs as F(4×4, 3×3): its U is
 * made on every forward, 2.25 times F(2×2, 3×3)'s, which few blocks do not repay.
 */
export const MIN_LARGE_BLOCKS = 16;

/**
 * Sizes for a conv with `c` input and `m` output channels whose output is `n × oh × ow`; up to
 * `largest` (4: F(4×4, 3×3) when it has at least {@link MIN_LARGE_BLOCKS} blocks of 4×4 outputs;
 * 2: always F(2×2, 3×3)).
 */
export function winogradShape(m: number, c: number, n: number, oh: number, ow: number, largest: 2 | 4 = 4): WinogradShape {
  const [csIn, csOut] = [channelStride(c), channelStride(m)];
  const tile = largest === 4 && n * Math.ceil(oh / 4) * Math.ceil(ow / 4) >= MIN_LARGE_BLOCKS ? 4 : 2;
  const xis = tile === 4 ? WINO4_XIS : 16;
  const th = Math.ceil(oh / tile);
  const tw = Math.ceil(ow / tile);
  if (xis * csIn * csOut * 4 <= NARROW_U_BYTES) {
    // F(4×4, 3×3)'s tiles take 2.25 times the scratch: twice the bytes keeps chunks as long.
    const chunkBytes = tile === 4 ? 2 * CHUNK_BYTES : CHUNK_BYTES;
    const chunk = Math.max(1, Math.min(tw, Math.floor(chunkBytes / (xis * 4 * (csIn + csOut)))));
    const vXi = chunk * csIn * 4;
    const mXi = chunk * csOut * 4;
    const uXi = csIn * csOut * 4 + U_PAD;
    const stored = tile === 2 && 16 * csIn * csOut * 4 <= STORED_U_BYTES;
    // A stored U is made at load from the 9-tap weights, packed into the shared scratch for the while.
    const shared = stored ? 9 * csIn * csOut * 4 : xis * uXi;
    return { tile, xis, th, tw, wide: false, stored, chunk, passRows: 0, vXi, uXi, shared, scratch: xis * (vXi + mXi), mAt: 0 };
  }
  const rowV = xis * tw * csIn * 4;
  const passRows = Math.max(1, Math.floor(PASS_V_BYTES / rowV));
  const uXi = csIn * CONV_NR * 4 + U_PAD;
  // A thread's M row: each tile's 2 quads of the block, `xis` values each.
  const mRow = tw * 32 * xis;
  return { tile, xis, th, tw, wide: true, stored: false, chunk: tw, passRows, vXi: passRows * tw * csIn * 4, uXi, shared: passRows * rowV, scratch: xis * uXi + mRow, mAt: xis * uXi };
}

/**
 * Writes a Winograd conv's weights `w` (`[m, c, 3, 3]`) at `heap[at…]` for `wino_u`: per block of
 * 8 output channels, per input channel (padded to its stride with zeros), the 9 taps' 8 values.
 */
export function packWinogradSource(w: Float32Array, m: number, c: number, heap: Float32Array, at: number): void {
  const cs = channelStride(c);
  const blocks = channelStride(m) / CONV_NR;
  heap.fill(0, at, at + blocks * cs * 9 * CONV_NR);
  for (let o = 0; o < m; o++) {
    const block = at + Math.floor(o / CONV_NR) * cs * 9 * CONV_NR + (o % CONV_NR);
    for (let i = 0; i < c; i++) {
      for (let tap = 0; tap < 9; tap++) heap[block + (i * 9 + tap) * CONV_NR] = w[(o * c + i) * 9 + tap];
    }
  }
}

/** Where a Winograd conv's pieces live in the WebAssembly memory (bytes). */
export interface WinogradPlacement {
  input: number;
  output: number;
  residual: number;
  /** The kept weights: the 9 taps (`packWinogradSource`), or U when it is stored. */
  weights: number;
  bias: number;
  zero: number;
  /** The shared scratch: U (narrow, unless stored) or V (wide). */
  shared: number;
  /** Where `wino_rows` reads U: the kept U (stored) or the shared scratch. */
  u: number;
  /** Thread 0's scratch. */
  scratch: number;
  /** Wide: the per-block descriptors of `wino_out`. */
  blockDescs: number;
}

/** A Winograd conv's channels, image and window. */
export interface WinogradConv {
  m: number;
  c: number;
  h: number;
  w: number;
  window: WindowGeometry;
  relu: boolean;
}

/** Writes the Winograd descriptor at `desc` (and, wide, the extra fields and the per-block descriptors). */
export function writeWinogradDescs(words: Int32Array, desc: number, placement: WinogradPlacement, conv: WinogradConv, shape: WinogradShape): void {
  const { m, c, h, w, window } = conv;
  const [csIn, csOut] = [channelStride(c) * 4, channelStride(m) * 4];
  const panel = csIn * CONV_NR;
  const wino: [keyof typeof WinoDesc, number][] = [
    ["input", placement.input], ["inImage", h * w * csIn], ["inRow", w * csIn], ["inPixel", csIn],
    ["height", h], ["width", w], ["icQuads", csIn / 16], ["padTop", window.padTop], ["padLeft", window.padLeft],
    ["u", placement.u], ["uXi", shape.uXi], ["panel", panel], ["ocBlocks", csOut / 32], ["bias", placement.bias],
    ["output", placement.output], ["outImage", window.oh * window.ow * csOut], ["outPixel", csOut],
    ["residual", placement.residual], ["resImage", window.oh * window.ow * csOut], ["resPixel", csOut],
    ["oh", window.oh], ["ow", window.ow], ["th", shape.th], ["tw", shape.tw], ["flags", conv.relu ? 1 : 0],
    ["zero", placement.zero], ["scratch", placement.scratch], ["scratchStride", shape.scratch],
    ["chunk", shape.chunk], ["vXi", shape.vXi],
  ];
  for (const [name, value] of wino) words[desc / 4 + WinoDesc[name]] = value;
  if (!shape.wide) return;
  const extra: [keyof typeof WinoWide, number][] = [
    ["src", placement.weights], ["srcPanel", 9 * panel], ["uBase", placement.scratch], ["uStride", shape.scratch],
    ["mBase", placement.scratch + shape.mAt], ["mStride", shape.scratch], ["passStart", 0], ["passEnd", 0],
    ["blockDescs", placement.blockDescs], ["vPass", placement.shared],
  ];
  for (const [name, value] of extra) words[desc / 4 + WinoWide[name]] = value;
  // Block ob's descriptor for `wino_out`: the conv's, narrowed to its 8 output channels.
  const blocks = csOut / 32;
  for (let ob = 0; ob < blocks; ob++) {
    const at = placement.blockDescs / 4 + ob * WINO_DESC_WORDS;
    words.copyWithin(at, desc / 4, desc / 4 + WINO_DESC_WORDS);
    words[at + WinoDesc.output] += 32 * ob;
    words[at + WinoDesc.bias] += 32 * ob;
    if (placement.residual !== 0) words[at + WinoDesc.residual] += 32 * ob;
    words[at + WinoDesc.ocBlocks] = 1;
  }
}
