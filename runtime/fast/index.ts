/**
 * nnc's fast path (`runtime/fast`): the plan executor (`compilePlan`), which runs a whole
 * inference graph on WebAssembly SIMD128 kernels that the runtime generates from TypeScript
 * (`runtime/wasm/`), with its activations kept in the WebAssembly memory and the TypeScript
 * kernels as the fallback where WebAssembly is unavailable; and the engine of generated modules
 * built on it (`fastForward`). See README.md beside this file for the contract the code
 * generator relies on.
 */
export { setWasmEnabled, wasmAvailable } from "./wasm-support.js";
export { planBuffers, type BufferPlan, type LiveRange } from "./memory-plan.js";
export { compilePlan, type Plan, type PlanMemory, type PlanOptions } from "./plan.js";
export type { FallbackKernel, PlanAttr, PlanGraph, PlanInput, PlanStep } from "./plan-graph.js";
export { kernelFallback, type KernelCallArg, type KernelCallData, type RuntimeKernel } from "./fallback.js";
export { FastForward, fastForward, KEPT_PLANS, type EngineOptions, type ModelEngine, type ModuleGraph, type ModuleStep } from "./module-engine.js";
