/**
 * The ONNX form of a `Conv` or `Gemm` with a fused activation: the layer's node, then the
 * activation written back out as a node of its own (`<layer>.<activation>`), since ONNX has no
 * fused form.
 */
import { epilogueOf } from "./activation-operators.js";
import { OnnxFormError, type OnnxAttr, type OnnxContext } from "./types.js";

/** A Conv or Gemm, followed by its fused activation as a node of its own. */
export function onnxWithActivation(e: OnnxContext, op: string, inputs: string[], attrs: Record<string, OnnxAttr>): void {
  const activation = e.node.attrs.activation;
  if (typeof activation !== "string") return e.last(op, inputs, attrs);
  const epilogue = epilogueOf(activation);
  if (epilogue === undefined) throw new OnnxFormError(`${e.node.name}: the activation ${activation} has no ONNX form`);
  const pre = e.step(op, inputs, attrs, "preact", true);
  epilogue.onnx(e, pre, activation.toLowerCase());
}

/** The inputs `0 … count-1` that the node has (a Conv's bias is optional). */
export function presentInputs(e: OnnxContext, count: number): string[] {
  const inputs: string[] = [];
  for (let i = 0; i < count && e.has(i); i++) inputs.push(e.input(i));
  return inputs;
}
