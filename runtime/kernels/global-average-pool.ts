/** GlobalAveragePool: the mean of every channel's H×W plane, ONNX `GlobalAveragePool`. */
import { assertRank, outputTensor, type Tensor } from "../tensor.js";

/** Averages `x` `[N, C, H, W]` over H and W to `[N, C, 1, 1]`, in `out` when a buffer is passed. */
export function globalAveragePool(x: Tensor, out?: Float32Array): Tensor {
  assertRank(x, [4], "globalAveragePool: input");
  const [n, c, h, w] = x.shape;
  const plane = h * w;
  const y = outputTensor([n, c, 1, 1], out, "globalAveragePool");
  for (let p = 0; p < n * c; p++) {
    // Accumulate in a double: planes can hold thousands of values.
    let sum = 0;
    for (let i = p * plane, end = i + plane; i < end; i++) sum += x.data[i];
    y.data[p] = sum / plane;
  }
  return y;
}
