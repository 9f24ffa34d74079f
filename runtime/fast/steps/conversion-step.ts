/**
 * The conversions between the plain NCHW form and the blocked layout (`layout.ts`), which the
 * analysis places where a value's producer and consumer use different forms; a conv input with
 * few channels is written unfolded (`toBlockedUnfolded`).
 *
 * Into the blocked layout: the plain value is copied into the scratch the threads share within
 * an action, then `to_blocked_rows` (`runtime/wasm/layout-kernel.ts`) writes it row by row, the
 * rows shared out across threads. Back to the plain form, which happens where a plan ends or a
 * TypeScript step follows, it runs in TypeScript over the memory.
 */
import { LAYOUT_DESC_WORDS, LayoutDesc } from "../../wasm/layout-kernel.js";
import { channelStride, fromBlocked } from "../layout.js";
import type { ActionOf, WasmStep } from "./wasm-step.js";

/** A plain value written into the blocked layout (unfolded for a stem conv). */
export const toBlockedStep: WasmStep<ActionOf<"toBlocked">> = (action, { layout, memory }) => {
  const [n, c, h, w] = layout.buffers[action.from].shape;
  memory.needSharedScratch(n * c * h * w * 4);
  const desc = memory.take(LAYOUT_DESC_WORDS);
  return ({ heap, words, at, tensor, sharedScratch, splitter }) => {
    const { kw, sw, dw, padLeft, ow } = action.unfold ?? { kw: 1, sw: 1, dw: 1, padLeft: 0, ow: w };
    const pixel = channelStride(kw * c);
    const fields: [keyof typeof LayoutDesc, number][] = [
      ["input", sharedScratch], ["channels", c], ["height", h], ["width", w],
      ["kw", kw], ["sw", sw], ["dw", dw], ["padLeft", padLeft], ["ow", ow],
      ["output", at(action.to)], ["outPixel", pixel * 4],
    ];
    for (const [name, value] of fields) words[desc / 4 + LayoutDesc[name]] = value;
    const rows = n * h;
    const values = rows * ow * pixel;
    return () => {
      heap.set(tensor(action.from).data, sharedScratch / 4);
      splitter.toBlocked(desc, rows, values);
    };
  };
};

/** A blocked value read back into plain NCHW order. */
export const toPlainStep: WasmStep<ActionOf<"toPlain">> = (action, { layout }) => {
  const [n, c, h, w] = layout.buffers[action.from].shape;
  return ({ heap, at, tensor }) => {
    const from = at(action.from) / 4;
    return () => fromBlocked(heap, from, n, c, h, w, tensor(action.to).data);
  };
};
