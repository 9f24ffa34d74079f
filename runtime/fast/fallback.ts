/**
 * A plan fallback that makes the `nnc/runtime` kernel call a generated module's readable code
 * makes. The call is data: the step's operator's kernel call from the operator registry
 * (`runtime/ops/`, which the IR executor, the TypeScript emitter and a generated module's engine
 * all read), so a step the plan cannot run natively computes exactly what the module's
 * TypeScript path and the IR executor compute.
 */
import type { KernelArg, KernelCall } from "../ops/kernel-call.js";
import type { Tensor } from "../tensor.js";
import type { FallbackKernel, PlanStep } from "./plan-graph.js";

/** One argument of a kernel call: the operator registry's `KernelArg`. */
export type KernelCallArg = KernelArg;

/** A runtime kernel and its arguments: the operator registry's `KernelCall`. */
export type KernelCallData = KernelCall;

/** Any `nnc/runtime` kernel; the fallback calls it with the step's arguments and `out`. */
export type RuntimeKernel = (...args: never[]) => unknown;

/**
 * The fallback that runs `callOf(step)` with `kernels` (the runtime's exports, or the subset a
 * module imports), passing the plan's `out` buffer as the kernel's last argument.
 */
export function kernelFallback(kernels: Readonly<Record<string, RuntimeKernel>>, callOf: (step: PlanStep) => KernelCallData): FallbackKernel {
  return (step, inputs, out) => {
    const call = callOf(step);
    const kernel = kernels[call.kernel] as ((...args: unknown[]) => Tensor) | undefined;
    if (kernel === undefined) throw new Error(`plan: ${step.name ?? step.output} calls ${call.kernel}, which is not among the kernels given`);
    const args = call.args.map((arg): unknown => {
      switch (arg.kind) {
        case "input":
        case "optional":
          return inputs[arg.index];
        case "inputs":
          return inputs;
        case "object":
          return Object.fromEntries(Object.entries(arg.fields).map(([field, index]) => [field, inputs[index]]));
        case "literal":
          return arg.value;
        case "random":
          // Inference forms (dropout with `training: false`) take a source but never draw from it.
          return () => {
            throw new Error(`plan: ${step.name ?? step.output} draws random numbers, which no inference step does`);
          };
      }
    });
    return kernel(...args, out);
  };
}
