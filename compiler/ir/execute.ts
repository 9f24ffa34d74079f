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
  /** The loss of a training graph's loss node (default: cross-entropy without label smoothing). */
  loss?: runtime.LossSettings;
  /**
   * Where the kernels' buffers come from and go back to: with a pool, a run reuses the buffers of
   * the values of the previous run of the pool (a training step the one before it) instead of
   * allocating. The results (outputs and updated buffers) stay the caller's, until it hands them
   * back with `pool.giveBack`.
   */
  pool?: runtime.BufferPool;
  /** Where to add each node's wall time (ms) by its op, for profiles (`bench/train-profile.ts`). */
  timeByOp?: Map<string, number>;
}

/** The outputs of a run, and the buffers its update outputs wrote back (running statistics), by buffer name. */
export interface ExecutionResult {
  outputs: Tensor[];
  updated: Map<string, Tensor>;
}

type Kernel = (...args: unknown[]) => Tensor | Tensor[];

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
    // A training graph's target is checked by its loss kernel, against the loss in use.
    if (!graph.value(name).target) checkInput(name, graph.value(name).shape, inputs[i]);
    env.set(name, inputs[i]);
  });
  const context: RunContext = { training: options.training ?? false, random: options.random ?? runtime.createRandom(0), loss: options.loss ?? { loss: "cross_entropy" } };
  const updated = new Map<string, Tensor>();
  const run = (): void => {
    const times = options.timeByOp;
    for (const node of graph.nodes) {
      const start = times === undefined ? 0 : performance.now();
      runNode(graph, node, env, context);
      if (times !== undefined) times.set(node.op, (times.get(node.op) ?? 0) + performance.now() - start);
      for (const output of node.outputs) {
        const buffer = graph.value(output).updates;
        if (buffer !== undefined) updated.set(buffer, env.get(output)!);
      }
    }
  };
  const pool = options.pool;
  if (pool === undefined) run();
  else runtime.withBufferPool(pool, run);
  // New running statistics replace their buffers once the whole graph has run, so that a
  // backward node reads the statistics its forward node read (batch renormalization's r and d).
  const outputs = graph.outputs.map((o) => env.get(o)!);
  pool?.endRun([...outputs, ...updated.values()]);
  return { outputs, updated };
}

/** The value of every output of every constant node of `graph` (the folded weights), by value name. */
export function evaluateConstants(graph: Graph, params: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const env = initialValues(graph, params);
  const context: RunContext = { training: false, random: runtime.createRandom(0), loss: { loss: "cross_entropy" } };
  const constants = new Map<string, Tensor>();
  for (const node of graph.nodes) {
    if (!graph.isConstantNode(node)) continue;
    runNode(graph, node, env, context);
    for (const output of node.outputs) constants.set(output, env.get(output)!);
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

/**
 * Runs one node and sets its outputs: what the kernel returns, and for each output the call
 * leaves out (a running statistic the inference form does not change), the buffer it updates.
 */
interface RunContext {
  readonly training: boolean;
  readonly random: RandomSource;
  readonly loss: runtime.LossSettings;
}

function runNode(graph: Graph, node: IrNode, env: Map<string, Tensor>, { training, random, loss }: RunContext): void {
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
      case "loss":
        return loss;
    }
  });
  const result = kernel(...args);
  const returned = call.outputs === undefined ? [result as Tensor] : (result as Tensor[]);
  if (returned.length !== (call.outputs ?? 1) || returned.length > node.outputs.length) {
    throw new Error(`${node.name}: ${call.kernel} returned ${returned.length} tensors for ${node.outputs.length} outputs`);
  }
  node.outputs.forEach((output, k) => {
    const buffer = graph.value(output).updates;
    if (k >= returned.length && buffer === undefined) throw new Error(`${node.name}: ${call.kernel} does not compute output ${output}`);
    env.set(output, k < returned.length ? returned[k] : env.get(buffer!)!);
  });
}
