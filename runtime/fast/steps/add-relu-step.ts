/**
 * `Add` of two equal shapes (relu fused when the analysis says so) and `Relu` on blocked values,
 * on the `add` and `relu` kernels (`runtime/wasm/elementwise-kernels.ts`), which see a tensor as
 * a run of f32x4 vectors. They reserve nothing.
 */
import type { ActionOf, WasmStep } from "./wasm-step.js";

/** An add whose output is blocked. */
export const addStep: WasmStep<ActionOf<"add">> = (action, { layout }) => {
  if (layout.buffers[action.output].form !== "blocked") return undefined;
  const quads = layout.buffers[action.output].size / 4;
  const relu = action.relu ? 1 : 0;
  return ({ kernels, at }) => {
    const [a, b, out] = [at(action.a), at(action.b), at(action.output)];
    return () => kernels.add(a, b, out, quads, relu);
  };
};

/** A relu whose output is blocked. */
export const reluStep: WasmStep<ActionOf<"relu">> = (action, { layout }) => {
  if (layout.buffers[action.output].form !== "blocked") return undefined;
  const quads = layout.buffers[action.output].size / 4;
  return ({ kernels, at }) => {
    const [a, out] = [at(action.input), at(action.output)];
    return () => kernels.relu(a, out, quads);
  };
};
