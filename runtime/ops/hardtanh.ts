/**
 * `hardtanh(min: -1, max: 1)` and `clamp(min, max)`: `min(max(x, min), max)`, as `nn.Hardtanh`
 * and `torch.clamp`. Both lower to `Clip`, relu6's IR operator (`relu6.ts`), with their bounds as
 * attributes, and so share its kernel, its write-back form and its ONNX form (`Clip` with the
 * bounds as inputs, which `torch.onnx.export` writes for both). They differ only on the bounds
 * themselves, where PyTorch gives them different gradients: `hardtanh_backward` passes none at
 * `x = min` or `x = max`, `torch.clamp`'s backward all of it. `clamp`'s `Clip` node says so with
 * `bound_gradient: 1`, which only the backward kernel reads.
 */
import { elementwise, md } from "./reference.js";
import { perSample } from "./dims.js";
import type { PointwiseEntry } from "./pointwise.js";
import { RELU6 } from "./relu6.js";
import { checkBatched, fail } from "./rules.js";
import type { ArgSpec, LayerOperator, LayerReference, TorchContext, TorchForm } from "./types.js";

/** `nn.Hardtanh`'s default bounds. */
const HARDTANH_MIN = -1;
const HARDTANH_MAX = 1;

/** The bounds of an instance as Python floats (`-1.0, 2.5`), as `F.hardtanh` and `torch.clamp` take them. */
function bounds(t: TorchContext): string {
  return `${t.value(t.attrs.min, "min_val", "float")}, ${t.value(t.attrs.max, "max_val", "float")}`;
}

/** What a layer of {@link clipLayer} declares. */
interface ClipLayerSpec {
  readonly name: string;
  readonly doc: string;
  readonly args: readonly ArgSpec[];
  readonly torch: TorchForm;
  /** Attributes of its `Clip` node besides the bounds. */
  readonly attrs?: Readonly<Record<string, number>>;
  /** Its arguments in the registry's completeness test, when it has no defaults. */
  readonly example?: { readonly min: number; readonly max: number };
  readonly reference: LayerReference;
}

/**
 * A layer that lowers to one `Clip` node with its `min` and `max` arguments as bounds: it takes
 * `Clip`'s IR operator rather than declaring one, and refuses bounds with no interval between
 * them, as `nn.Hardtanh` does.
 */
function clipLayer(spec: ClipLayerSpec): PointwiseEntry {
  const layer: LayerOperator = {
    name: spec.name,
    doc: spec.doc,
    family: "activation",
    inputs: 1,
    args: spec.args,
    infer: (attrs, [x]) => {
      const [min, max] = [Number(attrs.min), Number(attrs.max)];
      if (!(min < max)) return fail("E0207", `${spec.name} needs min < max, got min ${min} and max ${max}`, "max");
      return checkBatched(spec.name, x) ?? { shape: x, params: [], flops: perSample(x) };
    },
    lower: (ctx) => ctx.emit("Clip", [ctx.inputs[0]], { min: Number(ctx.attrs.min), max: Number(ctx.attrs.max), ...spec.attrs }),
    torch: spec.torch,
    example: spec.example === undefined ? undefined : { args: spec.example },
    reference: spec.reference,
  };
  return { layer, operator: RELU6.operator, layers: [layer], ir: [] };
}

export const HARDTANH = clipLayer({
  name: "hardtanh",
  reference: elementwise(md`$y = \min(\max(x, a), b)$ with $a$ = \`min\` < $b$ = \`max\`. Its gradient is 1 strictly between the bounds and 0 elsewhere, at the bounds themselves too (as \`nn.Hardtanh\`).`, "x -> hardtanh(-2, 2)"),
  doc: "min(max(x, min), max), as nn.Hardtanh (no gradient on the bounds)",
  args: [
    { name: "min", type: "float", default: HARDTANH_MIN, doc: "the lower bound" },
    { name: "max", type: "float", default: HARDTANH_MAX, doc: "the upper bound, above min" },
  ],
  // F.hardtanh(x), or F.hardtanh(x, min_val, max_val) for other bounds.
  torch: {
    call: (t) => {
      const defaults = t.attrs.min === HARDTANH_MIN && t.attrs.max === HARDTANH_MAX;
      return defaults ? `F.hardtanh(${t.inputs[0]})` : `F.hardtanh(${t.inputs[0]}, ${bounds(t)})`;
    },
  },
});

export const CLAMP = clipLayer({
  name: "clamp",
  reference: elementwise(md`$y = \min(\max(x, a), b)$ with $a$ = \`min\` < $b$ = \`max\`, as \`hardtanh\`; the one difference is the gradient at $x = a$ or $x = b$ exactly, which passes whole (as \`torch.clamp\`).`, "x -> clamp(0, 1)"),
  doc: "min(max(x, min), max), as torch.clamp (all of the gradient on the bounds)",
  args: [
    { name: "min", type: "float", doc: "the lower bound" },
    { name: "max", type: "float", doc: "the upper bound, above min" },
  ],
  torch: { call: (t) => `torch.clamp(${t.inputs[0]}, ${bounds(t)})` },
  attrs: { bound_gradient: 1 },
  example: { min: -0.5, max: 0.5 },
});
