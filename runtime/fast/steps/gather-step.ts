/**
 * A channel gather of a blocked value (a `Slice` of the channels, a `ChannelShuffle`): channel k
 * of each output pixel is channel `channels[k]` of the input pixel. A run of channels that starts
 * on a quad is `copy_pixels` of whole quads (what it copies past the run lands in the output's
 * padding); anything else is `gather_channels` (`runtime/wasm/elementwise-kernels.ts`) over a
 * table of the channels' byte offsets in a pixel, reserved here. One call over every pixel, on
 * the calling thread.
 */
import { channelStride } from "../layout.js";
import type { ActionOf, WasmStep } from "./wasm-step.js";

/** A gather whose output is blocked. */
export const gatherStep: WasmStep<ActionOf<"gather">> = (action, { layout, memory }) => {
  if (layout.buffers[action.output].form !== "blocked") return undefined;
  const [n, c, h, w] = layout.buffers[action.input].shape;
  const channels = action.channels;
  const [pixelIn, pixelOut, pixels] = [channelStride(c) * 4, channelStride(channels.length) * 4, n * h * w];
  const first = channels[0];
  const run = first % 4 === 0 && channels.every((ch, k) => ch === first + k);
  const tableAt = run ? 0 : memory.take(channels.length);
  return ({ kernels, words, at }) => {
    const [input, output] = [at(action.input), at(action.output)];
    if (run) {
      const quads = Math.ceil(channels.length / 4);
      return () => kernels.copyPixels(input + first * 4, pixelIn, output, pixelOut, pixels, quads);
    }
    channels.forEach((ch, k) => (words[tableAt / 4 + k] = ch * 4));
    return () => kernels.gatherChannels(input, pixelIn, output, pixelOut, pixels, tableAt, channels.length);
  };
};
