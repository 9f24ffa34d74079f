/**
 * `relu6`: `min(max(x, 0), 6)`, as `nn.ReLU6` (MobileNetV2's activation). It lowers to `Clip`
 * with `min` 0 and `max` 6, the node `torch.onnx.export` writes, whose bounds ONNX takes as
 * inputs (opset 11 on).
 */
import { elementwise, md } from "./reference.js";
import { functionForm } from "./torch-forms.js";
import type { Tensor } from "../tensor.js";
import { savedBackward } from "./grad-activations.js";
import { num } from "./kernel-call.js";
import { mapElements, pointwise, pointwiseKernel } from "./pointwise.js";

/** Attributes of {@link clip}. */
export interface ClipAttributes {
  min: number;
  max: number;
}

/** Returns `min(max(x, min), max)` of every element, in `out` when a buffer is passed. */
export function clip(x: Tensor, attributes: ClipAttributes, out?: Float32Array): Tensor {
  const { min, max } = attributes;
  return mapElements(x, (v) => (v < min ? min : v > max ? max : v), out, "clip");
}

export const CLIP_KERNEL = pointwiseKernel({
  op: "Clip",
  kernel: "clip",
  kernelAttrs: { min: { attr: "min", fallback: -Infinity }, max: { attr: "max", fallback: Infinity } },
  irAttrs: ["min", "max"],
  scalar: (node) => {
    const [min, max] = [num(node, "min", -Infinity), num(node, "max", Infinity)];
    return (v) => (v < min ? min : v > max ? max : v);
  },
});

export const RELU6 = pointwise(CLIP_KERNEL, {
  layer: "relu6",
  reference: elementwise(md`$y = \min(\max(x, 0), 6)$.`, "x -> relu6"),
  doc: "min(max(x, 0), 6), as nn.ReLU6",
  attrs: () => ({ min: 0, max: 6 }),
  onnx: (e, x, suffix) => {
    const bounds = [e.scalar("clip.min", e.num("min", -Infinity)), e.scalar("clip.max", e.num("max", Infinity))];
    e.last("Clip", [x, ...bounds], {}, suffix);
  },
  backward: savedBackward("Clip", [0]),
  torch: functionForm("F.relu6"),
});
