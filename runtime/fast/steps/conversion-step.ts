/**
 * The conversions between the plain NCHW form and the blocked layout (`layout.ts`), which the
 * analysis places where a value's producer and consumer use different forms; a conv input with
 * few channels is written unfolded (`toBlockedUnfolded`). They run in TypeScript over the
 * WebAssembly memory and reserve nothing.
 */
import { fromBlocked, toBlocked, toBlockedUnfolded } from "../layout.js";
import type { ActionOf, WasmStep } from "./wasm-step.js";

/** A plain value written into the blocked layout (unfolded for a stem conv). */
export const toBlockedStep: WasmStep<ActionOf<"toBlocked">> = (action, { layout }) => {
  const [n, c, h, w] = layout.buffers[action.to].shape;
  const unfold = action.unfold;
  return ({ heap, at, tensor }) => {
    const to = at(action.to) / 4;
    if (unfold !== undefined) {
      const [, cIn, , wIn] = layout.buffers[action.from].shape;
      return () => toBlockedUnfolded(tensor(action.from).data, n, cIn, h, wIn, unfold, heap, to);
    }
    return () => toBlocked(tensor(action.from).data, n, c, h, w, heap, to);
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
