/**
 * Generates `to_blocked_rows(desc, rowStart, rowEnd)`, the plan's conversion of a plain NCHW
 * tensor (copied into the memory) into the blocked channels-last layout (see `layout.ts` in
 * `runtime/fast`), one image row `n·H + y` at a time so that the splitter may share the rows out
 * across threads. It writes the unfolded form a stem conv reads (`toBlockedUnfolded`): channel
 * `kx·C + ch` of output column `ox` is input channel `ch` at column `ox·sw − padLeft + kx·dw`,
 * zero outside the image; the plain conversion is the unfold with one tap (kw = sw = dw = 1, no
 * padding, OW = W). Channels past kw·C up to the channel stride are written as zeros.
 *
 * It moves single floats: the input's channels are planes apart, so a pixel gathers one float
 * from each, and the few channels of a stem (3 × 7 taps) leave too little to vectorize.
 *
 * Pointers and strides in the descriptor ({@link LayoutDesc}) are bytes.
 */
import { FunctionBody, ValueType } from "./instructions.js";
import { countedLoop } from "./loops.js";
import type { ModuleFunction } from "./module.js";

/**
 * The fields of a layout descriptor, i32 words at `desc + 4·field`: the plain input (channel 0
 * of image 0) and its channels, height and width; the taps across, their stride and dilation,
 * the left padding and the output's columns; the blocked output and its pixel stride in bytes.
 */
export const LayoutDesc = {
  input: 0, channels: 1, height: 2, width: 3, kw: 4, sw: 5, dw: 6, padLeft: 7, ow: 8, output: 9, outPixel: 10,
} as const;
/** Words in a layout descriptor. */
export const LAYOUT_DESC_WORDS = 11;

const { i32 } = ValueType;

/** `to_blocked_rows`. */
export function layoutFunction(): ModuleFunction {
  return { name: "to_blocked_rows", results: [], body: toBlockedBody() };
}

function toBlockedBody(): FunctionBody {
  const f = new FunctionBody([i32, i32, i32]);
  const [desc, rowStart, rowEnd] = [0, 1, 2];
  const get = (name: keyof typeof LayoutDesc): FunctionBody => f.localGet(desc).i32Load(LayoutDesc[name] * 4);
  const [channels, height, width, kw, sw, dw, padLeft, ow, outPixel] = Array.from({ length: 9 }, () => f.local(i32));
  const [row, image, src, plane, op, ox, kx, ix, ch, p, k, end] = Array.from({ length: 12 }, () => f.local(i32));
  const fields: [number, keyof typeof LayoutDesc][] = [
    [channels, "channels"], [height, "height"], [width, "width"], [kw, "kw"], [sw, "sw"], [dw, "dw"],
    [padLeft, "padLeft"], [ow, "ow"], [outPixel, "outPixel"],
  ];
  for (const [local, name] of fields) get(name).localSet(local);
  f.localGet(height).localGet(width).i32Mul().i32Const(4).i32Mul().localSet(plane);

  f.localGet(rowStart).localSet(row);
  countedLoop(f, row, rowEnd, 1, () => {
    // Image `row / H`, row `y = row mod H`: channel 0 of that row at input + ((image·C·H + y)·W)·4.
    f.localGet(row).localGet(height).i32DivU().localSet(image);
    get("input");
    f.localGet(image).localGet(channels).i32Const(1).i32Sub().i32Mul().localGet(height).i32Mul().localGet(row).i32Add();
    f.localGet(width).i32Mul().i32Const(4).i32Mul().i32Add().localSet(src);
    get("output");
    f.localGet(row).localGet(ow).i32Mul().localGet(outPixel).i32Mul().i32Add().localSet(op);

    f.i32Const(0).localSet(ox);
    countedLoop(f, ox, ow, 1, () => {
      f.localGet(op).localSet(k);
      f.localGet(op).localGet(outPixel).i32Add().localSet(end);
      f.localGet(ox).localGet(sw).i32Mul().localGet(padLeft).i32Sub().localSet(ix);
      f.i32Const(0).localSet(kx);
      countedLoop(f, kx, kw, 1, () => {
        f.i32Const(0).localSet(ch);
        // Inside the image across (0 ≤ ix < W, as one unsigned compare): the tap's floats, a plane apart.
        f.localGet(ix).localGet(width).i32LtU().if();
        {
          f.localGet(src).localGet(ix).i32Const(4).i32Mul().i32Add().localSet(p);
          // Three channels (an RGB image) in straight-line code, any other count in a loop.
          f.localGet(channels).i32Const(3).i32Eq().if();
          {
            for (let j = 0; j < 3; j++) {
              f.localGet(k).localGet(p).f32Load(0).f32Store(4 * j);
              if (j < 2) f.localGet(p).localGet(plane).i32Add().localSet(p);
            }
            f.localGet(k).i32Const(12).i32Add().localSet(k);
          }
          f.else();
          countedLoop(f, ch, channels, 1, () => {
            f.localGet(k).localGet(p).f32Load(0).f32Store(0);
            f.localGet(k).i32Const(4).i32Add().localSet(k);
            f.localGet(p).localGet(plane).i32Add().localSet(p);
          });
          f.end();
        }
        f.else();
        countedLoop(f, ch, channels, 1, () => {
          f.localGet(k).f32Const(0).f32Store(0);
          f.localGet(k).i32Const(4).i32Add().localSet(k);
        });
        f.end();
        f.localGet(ix).localGet(dw).i32Add().localSet(ix);
      });
      // The padded channels.
      countedLoop(f, k, end, 4, () => {
        f.localGet(k).f32Const(0).f32Store(0);
      });
      f.localGet(op).localGet(outPixel).i32Add().localSet(op);
    });
  });
  return f;
}
