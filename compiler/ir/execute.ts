/**
 * Runs a graph with the runtime's kernels: the reference interpreter of the IR. Tests use it
 * to check lowering and every pass numerically; the ONNX emitter uses `evaluateConstants` to
 * turn constant nodes (the folded weights) into initializers. Each node runs through the same
 * `kernelCall` table that the TypeScript emitter prints.
 */
import * as runtime from "../../runtime/index.js";
import type { RandomSource, Tensor } from "../../runtime/index.js";
import type { Graph, IrNode } from "./graph.js";
import { kernelCall, type KernelArg } from "./kernels.js";

/** How to run a graph. */
export interface ExecuteOptions {
  /** Training-mode normalizers and dropout (default false). */
  training?: boolean;
  /** Random numbers for dropout (default: a generator seeded with 0). */
  random?: RandomSource;
}

/** The outputs of a run, and the running statistics a training run updated, by name. */
export interface ExecutionResult {
  outputs: Tensor[];
  running: Map<string, Tensor>;
}

type Kernel = (...args: unknown[]) => Tensor | { y: Tensor; running: Record<string, Tensor> };

/** Runs `graph` on `inputs` (in the graph's input order) with the parameters `params` by name. */
export function executeGraph(
  graph: Graph,
  params: ReadonlyMap<string, Tensor>,
  inputs: readonly Tensor[],
  options: ExecuteOptions = {},
): ExecutionResult {
  if (inputs.length !== graph.inputs.length) {
    throw new Error(`${graph.name} takes ${graph.inputs.length} inputs, got ${inputs.length}`);
  }
  const env = initialValues(graph, params);
  graph.inputs.forEach((name, i) => {
    checkInput(name, graph.value(name).shape, inputs[i]);
    env.set(name, inputs[i]);
  });
  const random = options.random ?? runtime.createRandom(0);
  const running = new Map<string, Tensor>();
  for (const node of graph.nodes) runNode(node, env, options.training ?? false, random, running);
  return { outputs: graph.outputs.map((o) => env.get(o)!), running };
}

/** The value of every constant node of `graph` (the folded weights), by value name. */
export function evaluateConstants(graph: Graph, params: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const env = initialValues(graph, params);
  const random = runtime.createRandom(0);
  const constants = new Map<string, Tensor>();
  for (const node of graph.nodes) {
    if (!graph.isConstant(node.output)) continue;
    runNode(node, env, false, random, new Map());
    constants.set(node.output, env.get(node.output)!);
  }
  return constants;
}

function initialValues(graph: Graph, params: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const env = new Map<string, Tensor>();
  for (const value of graph.values.values()) {
    if (value.kind === "const") env.set(value.name, { shape: value.shape as number[], data: value.data! });
    if (value.kind === "param") {
      const tensor = params.get(value.name);
      if (!tensor) throw new Error(`missing parameter ${value.name}`);
      env.set(value.name, tensor);
    }
  }
  return env;
}

function checkInput(name: string, expected: readonly (number | string)[], actual: Tensor): void {
  const ok = actual.shape.length === expected.length && expected.every((d, i) => typeof d !== "number" || d === actual.shape[i]);
  if (!ok) throw new Error(`input ${name}: expected shape [${expected.join(", ")}], got [${actual.shape.join(", ")}]`);
}

function runNode(node: IrNode, env: Map<string, Tensor>, training: boolean, random: RandomSource, running: Map<string, Tensor>): void {
  const call = kernelCall(node, training);
  const kernel = (runtime as unknown as Record<string, Kernel>)[call.kernel];
  if (typeof kernel !== "function") throw new Error(`runtime has no kernel ${call.kernel}`);
  const read = (index: number) => {
    const name = node.inputs[index];
    const value = name ? env.get(name) : undefined;
    if (!value) throw new Error(`${node.name}: input ${index} (${name}) has no value`);
    return value;
  };
  const args = call.args.map((arg: KernelArg) => {
    switch (arg.kind) {
      case "input":
        return read(arg.index);
      case "optional":
        return node.inputs[arg.index] ? read(arg.index) : undefined;
      case "inputs":
        return node.inputs.map((_, i) => read(i));
      case "object":
        return Object.fromEntries(Object.entries(arg.fields).map(([field, index]) => [field, read(index)]));
      case "literal":
        return arg.value;
      case "random":
        return random;
    }
  });
  const result = kernel(...args);
  if (call.running) {
    const trained = result as { y: Tensor; running: Record<string, Tensor> };
    for (const [key, index] of Object.entries(call.running)) {
      const buffer = node.inputs[index];
      env.set(buffer, trained.running[key]);
      running.set(buffer, trained.running[key]);
    }
    env.set(node.output, trained.y);
  } else {
    env.set(node.output, result as Tensor);
  }
}
