/**
 * LogSoftmax over axis 1, `nn.LogSoftmax(dim=1)` and ONNX `LogSoftmax(axis=1)`:
 * `x - max - log Σ e^(x-max)`, which stays finite where `log(softmax(x))` would underflow to -∞.
 */
import { outputTensor, type Tensor } from "../tensor.js";
import { softmaxAxis1 } from "./softmax.js";

/** Returns the log-softmax of `x` `[N, C, ...]` over axis 1, in `out` when a buffer is passed. */
export function logSoftmax(x: Tensor, out?: Float32Array): Tensor {
  const y = outputTensor(x.shape, out, "logSoftmax");
  softmaxAxis1(x, y.data, true);
  return y;
}
