/**
 * AdaptiveAveragePool: `nn.AdaptiveAvgPool2d` — the mean of each channel over the bins that
 * split H and W into `outputSize` parts (see `adaptiveBins`: bin `i` of `out` over `size` covers
 * `[floor(i·size/out), ceil((i+1)·size/out))`). ONNX has no such operator; nnc writes it as two
 * MatMuls (`runtime/ops/pool.ts`), and lowers the case where the bins are one uniform window to
 * `AveragePool`.
 */
import { assertRank, outputTensor, type Tensor } from "../tensor.js";
import { adaptiveBins, pair, type IntPair } from "../window.js";
import { rectangleMean } from "./average-pool.js";

/** Attributes of {@link adaptiveAveragePool}. */
export interface AdaptiveAveragePoolAttributes {
  /** The output height and width, an int or `[h, w]`. */
  outputSize: IntPair;
}

/** Average-pools `x` `[N, C, H, W]` to `[N, C, h, w]` by adaptive bins, in `out` when a buffer is passed. */
export function adaptiveAveragePool(x: Tensor, attributes: AdaptiveAveragePoolAttributes, out?: Float32Array): Tensor {
  assertRank(x, [4], "adaptiveAveragePool: input");
  const [n, c, h, w] = x.shape;
  const [oh, ow] = pair(attributes.outputSize, "adaptiveAveragePool: outputSize", 1);
  const rows = adaptiveBins(h, oh);
  const cols = adaptiveBins(w, ow);
  const y = outputTensor([n, c, oh, ow], out, "adaptiveAveragePool");
  const src = x.data;
  const dst = y.data;
  let o = 0;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * h * w;
    for (let i = 0; i < oh; i++) {
      const y0 = rows.start[i];
      const y1 = rows.end[i];
      for (let j = 0; j < ow; j++) {
        dst[o++] = rectangleMean(src, base, w, y0, y1, cols.start[j], cols.end[j]);
      }
    }
  }
  return y;
}
