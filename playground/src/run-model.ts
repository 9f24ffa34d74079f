/**
 * "Run": a checked model compiled as a generated module's WebAssembly engine runs it — the
 * fused inference graph (`nnc compile`'s passes) as the plan's steps, over its weights and
 * folded constants — then one forward. The weights are a checkpoint's (matched by name, as
 * `nnc compile --weights` does) or the seed-0 initial ones of `nnc init`; the input is given
 * or drawn from a fixed generator. The page and Node run this same code, so their outputs can
 * be compared.
 */
import type { CheckedModel } from "../../compiler/check/model.js";
import { evaluateConstants } from "../../compiler/ir/execute.js";
import { kernelCall } from "../../compiler/ir/kernels.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { planSteps } from "../../compiler/ir/plan-steps.js";
import { INFERENCE_PASSES, runPipeline } from "../../compiler/passes/pipeline.js";
import { initialWeights } from "../../compiler/weights/init.js";
import { matchWeights } from "../../compiler/weights/match.js";
import { compilePlan, kernelFallback, type RuntimeKernel } from "../../runtime/fast/index.js";
import { wasmEnabled } from "../../runtime/fast/wasm-support.js";
import * as runtime from "../../runtime/index.js";
import type { Tensor } from "../../runtime/index.js";
import { readSafetensorsFile } from "../../runtime/weights/safetensors.js";
import type { RunOutcome } from "./protocol.js";

/** Forwards after the first that Run times (the fastest is reported), within {@link WARM_BUDGET_MS}. */
const WARM_RUNS = 5;
const WARM_BUDGET_MS = 1000;

/** The batch size a symbolic batch dimension gets. */
export const RUN_BATCH = 1;

/** The concrete input shape of a model's input: its batch (any symbolic size) becomes {@link RUN_BATCH}. */
export function concreteShape(model: CheckedModel, index = 0): number[] {
  const input = model.inputs[index];
  return model.values[input.value].shape.map((d) => (typeof d === "number" ? d : RUN_BATCH));
}

/**
 * The input "Run" uses when none is given: uniform in [-1, 1) from mulberry32 seeded with 0,
 * so the page and Node draw the same numbers.
 */
export function defaultInput(shape: readonly number[]): Float32Array {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  let state = 0;
  for (let i = 0; i < data.length; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    data[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return data;
}

/** The model's weights: the checkpoint's, matched by name, or seed-0 initial ones; throws with the problems. */
export function modelWeights(model: CheckedModel, checkpoint?: Uint8Array): Map<string, Float32Array> {
  if (!checkpoint) return initialWeights(model, 0);
  const match = matchWeights(model.params, readSafetensorsFile(checkpoint).tensors, "name");
  if (match.problems.length > 0) throw new Error(match.problems.map((p) => p.message).join("\n"));
  return match.weights;
}

/**
 * Compiles `model` into a plan and runs one forward on `input` (default: {@link defaultInput}), on
 * `threads` threads where workers can share its memory (else one, as a generated module does).
 */
export function runModel(model: CheckedModel, options: { checkpoint?: Uint8Array; input?: Float32Array; threads?: number } = {}): RunOutcome {
  if (model.inputs.length !== 1) throw new Error(`Run takes a model with one input; ${model.name} has ${model.inputs.length}`);
  const started = performance.now();
  const shape = concreteShape(model);
  const input = options.input ?? defaultInput(shape);
  if (input.length !== shape.reduce((a, b) => a * b, 1)) throw new Error(`the input has ${input.length} values; [${shape.join(", ")}] needs ${shape.reduce((a, b) => a * b, 1)}`);
  const weights = modelWeights(model, options.checkpoint);
  const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: [...p.shape] as number[], data: weights.get(p.name)! }]));
  const graph = runPipeline(lowerModel(model), INFERENCE_PASSES).graph;
  // Literal constants and folded weights are the plan's weights, as a generated module's CONSTANTS are.
  const literals = [...graph.values.values()].flatMap((v) => (v.kind === "const" ? [[v.name, { shape: v.shape as number[], data: v.data! }] as const] : []));
  const planWeights = new Map<string, Tensor>([...params, ...literals, ...evaluateConstants(graph, params)]);
  const wasm = wasmEnabled();
  const fallback = kernelFallback(runtime as unknown as Record<string, RuntimeKernel>, (step) => kernelCall(step, false));
  const plan = compilePlan({ inputs: [{ name: graph.inputs[0], shape }], outputs: graph.outputs, steps: planSteps(graph) }, planWeights, { wasm, fallback, threads: options.threads ?? 1 });
  const compiled = performance.now();
  try {
    const [output] = plan.run([{ shape, data: input }]);
    const result = output.data.slice();
    const firstForwardMs = performance.now() - compiled;
    // The first forward pays for first-use work (the WebAssembly tier-up, page faults); later
    // ones, up to a budget of about a second, give the steady time.
    let forwardMs = firstForwardMs;
    for (let k = 0, spent = firstForwardMs; k < WARM_RUNS && spent < WARM_BUDGET_MS; k++) {
      const before = performance.now();
      plan.run([{ shape, data: input }]);
      const took = performance.now() - before;
      forwardMs = Math.min(forwardMs, took);
      spent += took;
    }
    return { inputShape: shape, outputShape: [...output.shape], input, output: result, compileMs: compiled - started, firstForwardMs, forwardMs, engine: plan.engine, threads: plan.threads };
  } finally {
    plan.close();
  }
}
