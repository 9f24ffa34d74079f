/**
 * nnc's fast kernels (`runtime/fast`): drop-in replacements for the heavy operators, computed by
 * WebAssembly SIMD128 kernels that the runtime generates from TypeScript (`runtime/wasm/`), with
 * the TypeScript kernels as the fallback where WebAssembly is unavailable or switched off, and the
 * plan executor (`compilePlan`), which runs a whole inference graph with its activations kept in
 * the WebAssembly heap. See README.md beside this file for the contract the code generator relies on.
 */
export { conv, convPacked, prepackConv, PackedConv } from "./conv.js";
export { gemm, gemmPacked, prepackGemm, PackedGemm } from "./gemm.js";
export { setWasmEnabled, wasmAvailable } from "./heap.js";
export { planBuffers, type BufferPlan, type LiveRange } from "./memory-plan.js";
export { compilePlan, type Plan, type PlanMemory, type PlanOptions } from "./plan.js";
export type { FallbackKernel, PlanAttr, PlanGraph, PlanInput, PlanStep } from "./plan-graph.js";
export { kernelFallback, type KernelCallArg, type KernelCallData, type RuntimeKernel } from "./fallback.js";
export { FastForward, fastForward, KEPT_PLANS, type EngineOptions, type ModelEngine, type ModuleGraph, type ModuleStep } from "./module-engine.js";
