/**
 * Maxout (Goodfellow et al. 2013) over channels: output channel c is the element-wise maximum of
 * input channels `c*pieces … c*pieces + pieces - 1`, for `[N, C, ...]` of any rank >= 2. ONNX has
 * no such op; an exporter writes it as Reshape `[N, C/pieces, pieces, ...]` then ReduceMax on axis 2,
 * which groups the same consecutive channels.
 */
import { outputTensor, sizeOf, type Tensor } from "../tensor.js";

/** Attributes of {@link maxout}. */
export interface MaxoutAttributes {
  /** Channels folded into each output channel; must divide C (default 2). */
  pieces?: number;
}

/** Returns `[N, C/pieces, ...]`, in `out` when a buffer is passed. */
export function maxout(x: Tensor, attributes: MaxoutAttributes = {}, out?: Float32Array): Tensor {
  const pieces = attributes.pieces ?? 2;
  if (x.shape.length < 2) throw new Error(`maxout: input needs rank 2 or more, got [${x.shape.join(", ")}]`);
  const [n, c] = x.shape;
  if (!Number.isInteger(pieces) || pieces < 1 || c % pieces !== 0) {
    throw new Error(`maxout: pieces ${pieces} must divide the ${c} channels`);
  }
  const inner = sizeOf(x.shape.slice(2));
  const groups = c / pieces;
  const y = outputTensor([n, groups, ...x.shape.slice(2)], out, "maxout");
  const src = x.data;
  const dst = y.data;
  for (let g = 0; g < n * groups; g++) {
    // Consecutive output channels read consecutive runs of `pieces` input planes.
    const from = g * pieces * inner;
    const to = g * inner;
    dst.set(src.subarray(from, from + inner), to);
    for (let k = 1; k < pieces; k++) {
      const plane = from + k * inner;
      for (let i = 0; i < inner; i++) {
        const v = src[plane + i];
        if (v > dst[to + i] || Number.isNaN(v)) dst[to + i] = v;
      }
    }
  }
  return y;
}
