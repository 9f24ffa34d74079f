/**
 * What the layers' PyTorch forms (`LayerOperator.torch`) share: argument lists that name only
 * what differs from PyTorch's defaults, and the forms of a module that takes the channel count.
 */
import type { AttrValue, TorchContext, TorchForm } from "./types.js";

/** A keyword argument: its name, value, PyTorch's default (omitted when equal), and whether PyTorch takes a float. */
export type Keyword = readonly [name: string, value: AttrValue, fallback: AttrValue | undefined, type?: "float"];

/** `a, b, name=value, ...`: positional values, then the keywords whose value is not PyTorch's default. */
export function pyArgs(t: TorchContext, positional: readonly (readonly [AttrValue, string])[], keywords: readonly Keyword[] = []): string {
  const out = positional.map(([v, what]) => t.value(v, what));
  for (const [name, value, fallback, type] of keywords) {
    if (fallback !== undefined && sameAs(value, fallback)) continue;
    out.push(`${name}=${t.value(value, name, type)}`);
  }
  return out.join(", ");
}

/** Equal, where a square pair `(v, v)` equals `v`. */
export function sameAs(a: AttrValue, b: AttrValue): boolean {
  const norm = (v: AttrValue): unknown => (Array.isArray(v) && v.length === 2 && v[0] === v[1] ? v[0] : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/** The static channel count (axis 1) of input 0. */
export function channelsOf(t: TorchContext): number {
  return t.inputShapes[0][1] as number;
}

/** A function of the input: `F.relu(x)`, `torch.tanh(x)`; `extra` are further arguments. */
export function functionForm(fn: string, extra: (t: TorchContext) => string = () => ""): TorchForm {
  return { call: (t) => `${fn}(${[t.inputs[0], extra(t)].filter((s) => s !== "").join(", ")})` };
}

/** A module built from the channel count and keywords, applied to input 0; `support` names a class of the generated file. */
export function channelModule(cls: (t: TorchContext) => string, keywords: (t: TorchContext) => readonly Keyword[], support = false): TorchForm {
  return {
    module: (t) => {
      const name = cls(t);
      if (support) t.use(name);
      return `${name}(${pyArgs(t, [[channelsOf(t), "channels"]], keywords(t))})`;
    },
    call: (t) => `${t.self}(${t.inputs[0]})`,
  };
}
