/** LeakyRelu: `x` where positive, `alpha · x` elsewhere, `nn.LeakyReLU` and ONNX `LeakyRelu`. */
import { outputTensor, type Tensor } from "../tensor.js";

/** The default slope, as `nn.LeakyReLU`'s (the layer's default too). */
export const LEAKY_RELU_ALPHA = 0.01;

/** Attributes of {@link leakyRelu}. */
export interface LeakyReluAttributes {
  /** Slope for negative inputs (default 0.01, as in PyTorch and the language). */
  alpha?: number;
}

/** Returns the leaky ReLU of every element, in `out` when a buffer is passed. */
export function leakyRelu(x: Tensor, attributes: LeakyReluAttributes = {}, out?: Float32Array): Tensor {
  const alpha = attributes.alpha ?? LEAKY_RELU_ALPHA;
  const y = outputTensor(x.shape, out, "leakyRelu");
  const src = x.data;
  const dst = y.data;
  for (let i = 0; i < src.length; i++) dst[i] = src[i] >= 0 ? src[i] : alpha * src[i];
  return y;
}
