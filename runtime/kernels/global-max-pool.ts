/** GlobalMaxPool: the maximum of every channel's H×W plane, ONNX `GlobalMaxPool`. */
import { assertRank, outputTensor, type Tensor } from "../tensor.js";

/** Takes the maximum of `x` `[N, C, H, W]` over H and W, giving `[N, C, 1, 1]`. */
export function globalMaxPool(x: Tensor, out?: Float32Array): Tensor {
  assertRank(x, [4], "globalMaxPool: input");
  const [n, c, h, w] = x.shape;
  const plane = h * w;
  const y = outputTensor([n, c, 1, 1], out, "globalMaxPool");
  for (let p = 0; p < n * c; p++) {
    let best = -Infinity;
    for (let i = p * plane, end = i + plane; i < end; i++) {
      const v = x.data[i];
      // A NaN wins and stays, as in PyTorch.
      if (v > best || Number.isNaN(v)) best = v;
    }
    y.data[p] = best;
  }
  return y;
}
