/**
 * An inference graph as the plan executor's steps (`PlanStep` of `runtime/fast`): every node that
 * runs per forward, in order, with its op, inputs, attributes and its one output. Constant nodes
 * (folds, standardized weights) are computed at load and reach the plan as weights. The plan
 * takes one output per step, which every such node of an inference graph has: the nodes with
 * several are folds, which are constant, and training normalizers, whose update outputs the
 * inference passes drop.
 */
import type { PlanStep } from "../../runtime/fast/plan-graph.js";
import type { Graph, IrNode } from "./graph.js";

/** The steps of `graph`, an inference graph (after `freeze-running-statistics`). */
export function planSteps(graph: Graph): PlanStep[] {
  return graph.nodes.filter((node) => !graph.isConstantNode(node)).map(planStep);
}

/** `node` as a plan step; throws for a node with several outputs. */
export function planStep(node: IrNode): PlanStep {
  if (node.outputs.length !== 1) throw new Error(`${node.name}: a plan step has one output, and ${node.op} has ${node.outputs.length}`);
  return { name: node.name, op: node.op, inputs: node.inputs, output: node.outputs[0], attrs: node.attrs };
}
