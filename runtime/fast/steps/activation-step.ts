/**
 * An element-wise activation (`LeakyRelu`, `Elu`, `Sigmoid`, `Tanh`, `Silu`, `Gelu`, `HardSwish`, …)
 * on a blocked value, and {@link activateHeap}, which the conv step also runs for the activation a
 * conv fuses. Tanh, sigmoid, silu, gelu and hardswish run on the `activate` kernel, `Clip`
 * (relu6, hardtanh, clamp) and `HardSigmoid` on the `clamp` kernel
 * (`runtime/wasm/elementwise-kernels.ts`); the others in TypeScript over the memory, where the
 * layout does not matter.
 */
import { applyActivation, type FusedActivation } from "../../linalg/epilogue.js";
import { ActivationKind } from "../../wasm/elementwise-kernels.js";
import { ONNX_ALPHA, ONNX_BETA } from "../../ops/hardsigmoid.js";
import type { ActionOf, StepHeap, WasmStep } from "./wasm-step.js";

/**
 * Applies `activation` to `size` floats of the memory from float offset `from`, writing them at
 * float offset `to` (the same, in place, for a conv's output).
 */
export function activateHeap({ heap, kernels }: StepHeap, from: number, to: number, size: number, activation: FusedActivation): void {
  // HardSwish (MobileNetV3's activation) is a registry activation without a kind of its own.
  const name = activation.kind === "pointwise" ? (activation.op === "HardSwish" ? "hardswish" : undefined) : activation.kind;
  const kind = name === undefined ? undefined : (ActivationKind as Record<string, number | undefined>)[name];
  if (kind !== undefined && size % 4 === 0) return kernels.activate(from * 4, to * 4, size / 4, kind);
  const clamp = clampArguments(activation);
  if (clamp !== undefined && size % 4 === 0) return kernels.clamp(from * 4, to * 4, size / 4, ...clamp);
  if (from !== to) heap.copyWithin(to, from, from + size);
  applyActivation(heap, to, 1, size, size, activation);
}

/** The `clamp` kernel's scale, shift and bounds for `Clip` and `HardSigmoid`; `undefined` for others. */
function clampArguments(activation: FusedActivation): [number, number, number, number] | undefined {
  if (activation.kind !== "pointwise") return undefined;
  const attrs = activation.attrs ?? {};
  if (activation.op === "Clip") return [1, 0, attrs.min ?? -Infinity, attrs.max ?? Infinity];
  if (activation.op === "HardSigmoid") return [attrs.alpha ?? ONNX_ALPHA, attrs.beta ?? ONNX_BETA, 0, 1];
  return undefined;
}

/** An activation whose output is blocked. */
export const activationStep: WasmStep<ActionOf<"activation">> = (action, { layout }) => {
  if (layout.buffers[action.output].form !== "blocked") return undefined;
  const size = layout.buffers[action.output].size;
  return (heap) => {
    const [from, to] = [heap.at(action.input) / 4, heap.at(action.output) / 4];
    return () => activateHeap(heap, from, to, size, action.activation);
  };
};
