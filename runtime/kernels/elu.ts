/** Elu: `x` where positive, `alpha · (e^x - 1)` elsewhere, `nn.ELU` and ONNX `Elu`. */
import { outputTensor, type Tensor } from "../tensor.js";

/** The default scale of the negative part, as `nn.ELU`'s (the layer's default too). */
export const ELU_ALPHA = 1;

/** Attributes of {@link elu}. */
export interface EluAttributes {
  /** Saturation value for large negative inputs is `-alpha` (default 1). */
  alpha?: number;
}

/** Returns the ELU of every element, in `out` when a buffer is passed. */
export function elu(x: Tensor, attributes: EluAttributes = {}, out?: Float32Array): Tensor {
  const alpha = attributes.alpha ?? ELU_ALPHA;
  const y = outputTensor(x.shape, out, "elu");
  const src = x.data;
  const dst = y.data;
  // expm1 keeps the relative precision of e^x - 1 for inputs just below zero.
  for (let i = 0; i < src.length; i++) dst[i] = src[i] > 0 ? src[i] : alpha * Math.expm1(src[i]);
  return y;
}
