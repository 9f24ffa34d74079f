/**
 * 3×3 unit-stride convs on the training products' heap as Winograd F(2×2, 3×3) (Lavin & Gray,
 * 2016): per 2×2 block of outputs ("tile") 16 multiplies per pair of channels instead of 36, so
 * the products take 2.25× fewer multiply-adds than im2col's (`heap-conv.ts`). It serves a conv's
 * forward and, through it, a unit-stride conv's input gradient (the conv of dY with the flipped
 * weights).
 *
 * For each chunk of images:
 *
 * 1. the images are copied into zero-padded planes (`copy_rows`), each row 2·⌈tw/4⌉·4 + 2 wide;
 * 2. `wino_planes_in` (`runtime/wasm/plane-winograd-kernel.ts`) writes V_ξ = (Bᵀ d B)_ξ of every
 *    tile as 16 matrices `[C × T]`, the B operands of the GEMM micro-kernel;
 * 3. 16 products M_ξ `[M × T]` = U_ξ `[M × C]` · V_ξ, where U = G g Gᵀ was packed once per call
 *    (in float64, rounded once);
 * 4. `wino_planes_out` writes Y = Aᵀ M A + bias (and relu) into the chunk's NCHW output, which is
 *    copied out.
 *
 * The result equals the direct conv's to float32 rounding (the sums are reordered and the
 * transforms add a few roundings); `test/train/products.test.ts` holds it to the same bound as
 * im2col's. Chunks keep V and M (16·T·(C + M) floats) within {@link CHUNK_FLOATS}, so that the
 * GEMMs read V from cache; each product splits across the training threads as any other.
 */
import type { FusedActivation } from "./epilogue.js";
import { rowStride } from "../fast/product.js";
import { MR } from "../wasm/gemm-kernel.js";
import type { ProductHeap } from "./wasm-products.js";
import type { Tensor } from "../tensor.js";
import type { Window2d } from "../window.js";

/** Floats of V and M a chunk of images may take: 1 MiB. */
const CHUNK_FLOATS = 1 << 18;
/** The fewest input channels for which Winograd pays: below, the transforms cost more than the products save. */
export const WINOGRAD_MIN_CHANNELS = 16;

/**
 * Whether {@link convWinogradOnHeap} takes a conv of `c` input channels: a 3×3 window, unit
 * stride and dilation, no negative padding, and no activation or relu.
 */
export function winogradTakes(c: number, win: Window2d, activation: FusedActivation | undefined): boolean {
  const { kh, kw, sh, sw, dh, dw, pads } = win;
  return (
    c >= WINOGRAD_MIN_CHANNELS &&
    kh === 3 && kw === 3 && sh === 1 && sw === 1 && dh === 1 && dw === 1 &&
    [pads.top, pads.left, pads.bottom, pads.right].every((p) => p >= 0) &&
    win.oh > 0 && win.ow > 0 &&
    (activation === undefined || activation.kind === "relu")
  );
}

/**
 * `y` (`[N, M, oh, ow]`, overwritten) = conv of `x` `[N, C, H, W]` with `weight` `[M, C, 3, 3]`
 * and `bias`, relu applied when `activation` is relu; for a conv {@link winogradTakes}.
 */
export function convWinogradOnHeap(
  heap: ProductHeap,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  win: Window2d,
  activation: FusedActivation | undefined,
  y: Float32Array,
): void {
  const [n, c, h, w] = x.shape;
  const m = weight.shape[0];
  const { oh, ow, pads } = win;
  const th = Math.ceil(oh / 2);
  const tw = Math.ceil(ow / 2);
  const tiles = th * tw;
  const rowFloats = 2 * Math.ceil(tw / 4) * 4 + 2;
  const planeFloats = (2 * th + 2) * rowFloats;
  const rows = Math.ceil(m / MR) * MR;
  const per = Math.max(1, Math.min(n, Math.floor(CHUNK_FLOATS / (16 * tiles * (c + rows)))));
  // Three columns past the last tile: the input transform's last group of four may write there.
  const ld = rowStride(per * tiles + 3);
  const image = c * h * w;
  const outImage = m * oh * ow;

  const aAt = 0;
  const zeroBias = aAt + 16 * rows * c;
  const biasAt = zeroBias + rows;
  const xAt = biasAt + rows;
  const xpAt = xAt + per * image;
  const vAt = xpAt + per * c * planeFloats + 4;
  const mAt = vAt + 16 * c * ld;
  const yAt = mAt + 16 * rows * ld;
  heap.layout(0, 0, 0, yAt + per * outImage);
  const f = heap.floats;

  packTransformedWeights(f, aAt, weight.data, m, c, rows);
  f.fill(0, zeroBias, xAt);
  if (bias !== undefined) f.set(bias.data.subarray(0, m), biasAt);
  // The padding stays zero: every chunk writes the same interiors.
  f.fill(0, xpAt, vAt);
  const relu = activation?.kind === "relu" ? 1 : 0;

  for (let first = 0; first < n; first += per) {
    const count = Math.min(per, n - first);
    f.set(x.data.subarray(first * image, (first + count) * image), xAt);
    const inside = xpAt + pads.top * rowFloats + pads.left;
    for (let plane = 0; plane < count * c; plane++) {
      heap.copyRows((xAt + plane * h * w) * 4, w * 4, (inside + plane * planeFloats) * 4, rowFloats * 4, h, w);
    }
    heap.winogradInput(xpAt * 4, c, count, th, tw, rowFloats * 4, planeFloats * 4, vAt * 4, c * ld * 4, ld * 4);
    for (let xi = 0; xi < 16; xi++) {
      const product = { m, n: count * tiles, k: c, paddedRows: rows, ld, a: aAt + xi * rows * c, b: vAt + xi * c * ld, c: mAt + xi * rows * ld, bias: zeroBias, extra: 0 };
      heap.run(product);
    }
    heap.winogradOutput(mAt * 4, rows * ld * 4, ld * 4, m, count, th, tw, oh, ow, yAt * 4, biasAt * 4, relu);
    y.set(heap.floats.subarray(yAt, yAt + count * outImage), first * outImage);
  }
}

/**
 * U_ξ = (G g Gᵀ)_ξ for each output row o and input channel i of the weight `[m, c, 3, 3]`, packed
 * as the micro-kernel's A: ξ's matrix at `at + ξ·rows·c`, block q holding, for each input
 * channel, rows 4q … 4q + 3 side by side; rows past `m` zero.
 *
 *   G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]
 */
function packTransformedWeights(f: Float32Array, at: number, weight: Float32Array, m: number, c: number, rows: number): void {
  const xiStride = rows * c;
  f.fill(0, at, at + 16 * xiStride);
  const gg = new Float64Array(12);
  for (let o = 0; o < m; o++) {
    const block = at + Math.floor(o / MR) * MR * c + (o % MR);
    for (let i = 0; i < c; i++) {
      const g = (o * c + i) * 9;
      // G·g: 4 rows of 3.
      for (let col = 0; col < 3; col++) {
        const [g0, g1, g2] = [weight[g + col], weight[g + 3 + col], weight[g + 6 + col]];
        gg[col] = g0;
        gg[3 + col] = (g0 + g1 + g2) / 2;
        gg[6 + col] = (g0 - g1 + g2) / 2;
        gg[9 + col] = g2;
      }
      const to = block + i * MR;
      for (let r = 0; r < 4; r++) {
        const [a0, a1, a2] = [gg[3 * r], gg[3 * r + 1], gg[3 * r + 2]];
        f[to + (4 * r) * xiStride] = a0;
        f[to + (4 * r + 1) * xiStride] = (a0 + a1 + a2) / 2;
        f[to + (4 * r + 2) * xiStride] = (a0 - a1 + a2) / 2;
        f[to + (4 * r + 3) * xiStride] = a2;
      }
    }
  }
}
