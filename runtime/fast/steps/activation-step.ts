/**
 * An element-wise activation (`LeakyRelu`, `Elu`, `Sigmoid`, `Tanh`, `Silu`, `Gelu`, `HardSwish`, …)
 * on a blocked value, and {@link activateHeap}, which the conv step also runs for the activation a
 * conv fuses. Tanh, sigmoid, silu, gelu and hardswish run on the `activate` kernel
 * (`runtime/wasm/elementwise-kernels.ts`); the others in TypeScript over the memory, where the
 * layout does not matter.
 */
import { applyActivation, type FusedActivation } from "../../linalg/epilogue.js";
import { ActivationKind } from "../../wasm/elementwise-kernels.js";
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
  if (from !== to) heap.copyWithin(to, from, from + size);
  applyActivation(heap, to, 1, size, size, activation);
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
