/**
 * `MaxPool`, `AveragePool` and their global forms on a blocked input: a `PoolDesc` descriptor for
 * the `pool_rows` kernel (`runtime/wasm/window-kernels.ts`), whose rows the splitter may share
 * out across threads.
 */
import { POOL_DESC_WORDS, PoolDesc } from "../../wasm/window-kernels.js";
import { channelStride } from "../layout.js";
import type { ActionOf, WasmStep } from "./wasm-step.js";

/** A pool over a blocked input. */
export const poolStep: WasmStep<ActionOf<"pool">> = (action, { layout, memory }) => {
  if (layout.buffers[action.input].form !== "blocked") return undefined;
  const desc = memory.take(POOL_DESC_WORDS);
  return ({ words, at, splitter }) => {
    const [n, c, h, w] = layout.buffers[action.input].shape;
    const win = action.window;
    const cs = channelStride(c) * 4;
    const fields: [keyof typeof PoolDesc, number][] = [
      ["input", at(action.input)],
      ["inImage", h * w * cs],
      ["height", h],
      ["width", w],
      ["inPixel", cs],
      ["output", at(action.output)],
      ["outImage", win.oh * win.ow * cs],
      ["outPixel", cs],
      ["oh", win.oh],
      ["ow", win.ow],
      ["kh", win.kh],
      ["kw", win.kw],
      ["sh", win.sh],
      ["sw", win.sw],
      ["padTop", win.padTop],
      ["padLeft", win.padLeft],
      ["quads", cs / 16],
      ["average", action.average ? 1 : 0],
      ["dh", 1],
      ["dw", 1],
    ];
    for (const [name, value] of fields) words[desc / 4 + PoolDesc[name]] = value;
    const rows = n * win.oh;
    const work = n * win.oh * win.ow * win.kh * win.kw * channelStride(c);
    return () => splitter.pool(desc, rows, work);
  };
};
