/**
 * The benchmark models in onnxruntime-node (CPU execution provider). The ONNX files come from
 * bench/runtime-export-onnx.py, run at benchmark time with the system's Python and PyTorch; where
 * those are missing, onnxruntime's columns are skipped with the reason.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";

/** Exports the models into a temporary directory; returns it, or the reason it could not. */
export function exportOnnxModels(): { dir: string } | { skipped: string } {
  const python = process.env.PYTHON ?? "/usr/bin/python3";
  const dir = mkdtempSync(join(tmpdir(), "nnc-bench-onnx-"));
  const script = new URL("../../bench/runtime-export-onnx.py", import.meta.url).pathname;
  const result = spawnSync(python, [script, dir], { encoding: "utf8" });
  if (result.error !== undefined) return { skipped: `no Python at ${python} (${result.error.message}); set PYTHON to one with torch` };
  if (result.status !== 0) return { skipped: `the ONNX export failed: ${result.stderr.trim().split("\n").pop()}` };
  if (!existsSync(join(dir, "resnet20.onnx"))) return { skipped: "the ONNX export wrote no model" };
  return { dir };
}

/** A session on `file` with `threads` intra-op threads; its forward resolves to the output's values. */
export async function ortForward(file: string, threads: number): Promise<(x: Float32Array, shape: number[]) => Promise<Float32Array>> {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  return async (x, shape) => {
    const result = await session.run({ x: new ort.Tensor("float32", x, shape) });
    return result.y.data as Float32Array;
  };
}
