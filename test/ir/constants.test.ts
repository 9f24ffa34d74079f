/**
 * `Graph.isConstant` answers for a graph of any length: a chain of 20,000 nodes asked about its
 * last value first (as the classifier search of the PyTorch emitter does) once overflowed the
 * stack by recursing through every producer.
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import { lowerModel } from "../../compiler/ir/lower.js";

function chain(layers: number) {
  const text = `model Chain(x: [N, 4]) {\n  return x -> [dense(4) -> relu] * ${layers / 2}\n}\n`;
  return lowerModel(checkSource("chain.nn", text, { readFile: () => undefined }, { maxLayers: 100_000 }).models[0]);
}

describe("Graph.isConstant", () => {
  it("answers for the last value of a 20,000-node chain without recursing through it", () => {
    const graph = chain(20_000);
    expect(graph.nodes.length).toBeGreaterThanOrEqual(20_000);
    expect(graph.isConstant(graph.outputs[0])).toBe(false);
  });

  it("still tells constant nodes (a weight standardization) from the rest", () => {
    const text = `model M(x: [N, 4]) {\n  return x -> dense(4, ws: "standard") -> relu\n}\n`;
    const graph = lowerModel(checkSource("m.nn", text, { readFile: () => undefined }).models[0]);
    const standardize = graph.nodes.find((n) => n.op !== "Gemm" && n.op !== "Relu")!;
    expect(graph.isConstant(graph.outputs[0])).toBe(false);
    expect(graph.isConstantNode(standardize)).toBe(true);
  });
});
