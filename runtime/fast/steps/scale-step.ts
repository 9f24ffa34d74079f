/**
 * A `Mul` of a blocked image `[N, C, H, W]` by a factor per (sample, channel) or per sample
 * (`[N | 1, C | 1, 1, 1]`, a squeeze-and-excitation gate) on the `channel_affine` kernel
 * (`runtime/wasm/norm-kernels.ts`): y = x·a + 0 with a = the sample's factors, spread over the
 * channel stride. The factors are few (N·C), so each forward copies them from their plain buffer
 * (or once, from a constant) into a table of one vector row per sample.
 */
import type { Tensor } from "../../tensor.js";
import { channelStride } from "../layout.js";
import type { ActionOf, WasmStep } from "./wasm-step.js";

/** A per-(sample, channel) scale of a blocked input. */
export const scaleStep: WasmStep<ActionOf<"scale">> = (action, { layout, memory }) => {
  if (layout.buffers[action.input].form !== "blocked") return undefined;
  const [n, c, h, w] = layout.buffers[action.input].shape;
  const cs = channelStride(c);
  const tableAt = memory.take(n * cs);
  memory.needZeroRow(cs);
  return ({ heap, kernels, at, zero, tensor }) => {
    const [input, output] = [at(action.input), at(action.output)];
    const [pixel, quads, image] = [cs * 4, cs / 4, h * w * cs * 4];
    const table = tableAt / 4;
    heap.fill(0, table, table + n * cs);
    // Spreads the factors `[N | 1, C | 1]` over the table's `n` rows of `cs`.
    const spread = (s: Tensor): void => {
      const [sn, sc] = s.shape;
      for (let i = 0; i < n; i++)
        for (let ch = 0; ch < c; ch++) heap[table + i * cs + ch] = s.data[(sn === 1 ? 0 : i) * sc + (sc === 1 ? 0 : ch)];
    };
    const scale = action.scale;
    if (typeof scale !== "number") spread(scale);
    return () => {
      if (typeof scale === "number") spread(tensor(scale));
      for (let i = 0; i < n; i++) kernels.channelAffine(input + i * image, output + i * image, h * w, pixel, quads, tableAt + i * pixel, zero, 0);
    };
  };
};
