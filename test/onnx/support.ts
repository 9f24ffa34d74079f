/**
 * Shared helpers of the ONNX tests: check a `.nn` source, compile it through the inference
 * pipeline (fused or not) and `emitOnnx`, run the bytes in onnxruntime-node, and compare with
 * the IR executor.
 */
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { expect } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { emitOnnx } from "../../compiler/emit/onnx/emit-onnx.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { INFERENCE_PASSES, UNFUSED_PASSES, runPipeline } from "../../compiler/passes/pipeline.js";
import type { SourceFile } from "../../compiler/syntax/span.js";
import type { Tensor } from "../../runtime/index.js";
import { diskHost } from "../support/disk.js";


/** A checked model and the source files it came from. */
export interface Checked {
  model: CheckedModel;
  path: string;
  sources: Map<string, SourceFile>;
}

/** Checks `text` as `path`; fails the test on any error (a warning is none). */
export function checkText(path: string, text: string): Checked {
  const result = checkSource(path, text, diskHost);
  expect(result.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  return { model: result.models[0], path, sources: result.sources };
}

/** Checks the file at `path`. */
export function checkFile(path: string): Checked {
  return checkText(path, readFileSync(path, "utf8"));
}

/** One compilation: the graph after the passes and its ONNX bytes. */
export interface Compiled {
  graph: Graph;
  bytes: Uint8Array;
}

/** Lowers, runs the fused or unfused pipeline and emits ONNX at `opset`. */
export function compile(checked: Checked, params: ReadonlyMap<string, Tensor>, fuse: boolean, opset = 17): Compiled {
  const graph = runPipeline(lowerModel(checked.model), fuse ? INFERENCE_PASSES : UNFUSED_PASSES).graph;
  const bytes = emitOnnx(graph, params, {
    opset,
    sourcePath: checked.path,
    sources: (p) => checked.sources.get(p),
    metadata: { fuse: String(fuse) },
  });
  return { graph, bytes };
}

/** Parameter tensors from a name → data map, shaped as the model declares them. */
export function paramTensors(model: CheckedModel, data: ReadonlyMap<string, Float32Array>): Map<string, Tensor> {
  return new Map(model.params.map((p) => [p.name, { shape: [...p.shape], data: data.get(p.name)! }]));
}

/** Runs ONNX `bytes` in onnxruntime-node on `inputs` (in the graph's input order). */
export async function runOrt(bytes: Uint8Array, graph: Graph, inputs: readonly Tensor[], optimize = true): Promise<Tensor[]> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: optimize ? "all" : "disabled" });
  try {
    const feeds = Object.fromEntries(graph.inputs.map((name, i) => [name, new ort.Tensor("float32", inputs[i].data, inputs[i].shape)]));
    const results = await session.run(feeds);
    return session.outputNames.map((name) => {
      const t = results[name];
      return { shape: [...t.dims], data: t.data as Float32Array };
    });
  } finally {
    await session.release();
  }
}

/** Max |a − b| over `expected`'s scale (max |value|, at least 1), for one tensor. */
export function relativeError(actual: Tensor, expected: Tensor): number {
  expect(actual.shape).toEqual(expected.shape);
  let scale = 1;
  for (const v of expected.data) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < expected.data.length; i++) worst = Math.max(worst, Math.abs(actual.data[i] - expected.data[i]));
  return worst / scale;
}

/** A deterministic input in [-1, 1) for `shape` (a small LCG; no dependence on other tests). */
export function randomInput(shape: readonly number[], seed: number): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s >>> 8) / 8388608 - 1;
  }
  return { shape: [...shape], data };
}

/** The graph's input shapes with the batch axis (and any symbolic axis) set to `batch`. */
export function inputShapes(graph: Graph, batch: number): number[][] {
  return graph.inputs.map((name) => graph.value(name).shape.map((d) => (typeof d === "number" ? d : batch)));
}
