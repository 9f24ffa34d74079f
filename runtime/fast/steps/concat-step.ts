/**
 * `Concat` along the channels of blocked values (every part's channels a multiple of 4, so a
 * part starts on a whole quad of the output's pixels): one `copy_pixels` call per part
 * (`runtime/wasm/elementwise-kernels.ts`). It reserves nothing.
 */
import { channelStride } from "../layout.js";
import type { ActionOf, WasmStep } from "./wasm-step.js";

/** A concat whose output is blocked. */
export const concatStep: WasmStep<ActionOf<"concat">> = (action, { layout }) => {
  if (layout.buffers[action.output].form !== "blocked") return undefined;
  const [n, total, h, w] = layout.buffers[action.output].shape;
  const csOut = channelStride(total) * 4;
  return ({ kernels, at }) => {
    let channel = 0;
    const copies = action.parts.map((part) => {
      const c = layout.buffers[part].shape[1];
      const copy = [at(part), channelStride(c) * 4, at(action.output) + channel * 4, csOut, n * h * w, c / 4] as const;
      channel += c;
      return copy;
    });
    return () => {
      for (const copy of copies) kernels.copyPixels(...copy);
    };
  };
};
