/**
 * onnxruntime-node latency of nnc's ONNX for ResNet-20 against the ONNX that `torch.onnx.export`
 * writes for its PyTorch twin (`test/fixtures/onnx/resnet20.torch.onnx`, from
 * `scripts/torch_onnx_export.py`), with ORT's graph optimizations disabled and enabled, at batch
 * 1 and 32; and the node count and size of both files. nnc's graph is the fused one
 * (`nnc compile --target onnx`, opset 17, the weights of `nnc init` with seed 0: values do not
 * change the work ORT does).
 *
 * Both sessions use one intra-op thread, so that the numbers compare graphs, not scheduling on a
 * shared machine; measurements alternate between the two models in rounds (each going first in turn) and the table shows
 * the median time per run.
 *
 *   npm run bench:onnx
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import * as ort from "onnxruntime-node";
import { checkSource } from "../compiler/check/check.js";
import { emitOnnx } from "../compiler/emit/onnx/emit-onnx.js";
import { onnx } from "../compiler/emit/onnx/proto.js";
import { lowerModel } from "../compiler/ir/lower.js";
import { INFERENCE_PASSES, runPipeline } from "../compiler/passes/pipeline.js";
import { initialWeights } from "../compiler/weights/init.js";

const SOURCE = "examples/resnet20.nn";
const TORCH_ONNX = "test/fixtures/onnx/resnet20.torch.onnx";
const BATCHES = [1, 32];
const LEVELS = ["disabled", "all"] as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function nncModel(): Uint8Array {
  const text = readFileSync(SOURCE, "utf8");
  const checked = checkSource(SOURCE, text, { readFile: (p) => readFileSync(p, "utf8") });
  const model = checked.models[0];
  const weights = initialWeights(model, 0);
  const params = new Map(model.params.map((p) => [p.name, { shape: [...p.shape], data: weights.get(p.name)! }]));
  const graph = runPipeline(lowerModel(model), INFERENCE_PASSES).graph;
  return emitOnnx(graph, params, { opset: 17, sourcePath: SOURCE, sources: (p) => checked.sources.get(p), metadata: {} });
}

function nodeCount(bytes: Uint8Array): number {
  return onnx.ModelProto.decode(bytes).graph?.node?.length ?? 0;
}

async function session(bytes: Uint8Array, level: (typeof LEVELS)[number]): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { graphOptimizationLevel: level, intraOpNumThreads: 1, interOpNumThreads: 1 });
}

async function timeRuns(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t0);
  }
  return times;
}

async function main(): Promise<void> {
  const models = { nnc: nncModel(), torch: new Uint8Array(readFileSync(TORCH_ONNX)) };
  const rows: string[] = [];
  for (const level of LEVELS) {
    const sessions = { nnc: await session(models.nnc, level), torch: await session(models.torch, level) };
    for (const batch of BATCHES) {
      const data = Float32Array.from({ length: batch * 3 * 32 * 32 }, (_, i) => Math.sin(i));
      const feed = (s: ort.InferenceSession) => ({ [s.inputNames[0]]: new ort.Tensor("float32", data, [batch, 3, 32, 32]) });
      const runs = batch === 1 ? 100 : 10;
      const times: Record<"nnc" | "torch", number[]> = { nnc: [], torch: [] };
      for (const name of ["nnc", "torch"] as const) await timeRuns(sessions[name], feed(sessions[name]), 5);
      for (let round = 0; round < 6; round++) {
        // Alternate which model goes first, so that neither always runs on a warmer machine.
        const order = round % 2 === 0 ? (["nnc", "torch"] as const) : (["torch", "nnc"] as const);
        for (const name of order) times[name].push(...(await timeRuns(sessions[name], feed(sessions[name]), runs)));
      }
      const nnc = median(times.nnc);
      const torch = median(times.torch);
      rows.push(`| ${level} | ${batch} | ${nnc.toFixed(3)} | ${torch.toFixed(3)} | ${(nnc / torch).toFixed(2)} |`);
    }
    await sessions.nnc.release();
    await sessions.torch.release();
  }
  console.log(`ResNet-20 in onnxruntime-node ${ort.env.versions.common} (CPU, 1 thread), median ms per run\n`);
  console.log("| graph optimizations | batch | nnc (ms) | torch.onnx.export (ms) | nnc / torch |");
  console.log("|---|---|---|---|---|");
  for (const row of rows) console.log(row);
  console.log(`\n| file | nodes | bytes |\n|---|---|---|`);
  console.log(`| nnc (fused, opset 17) | ${nodeCount(models.nnc)} | ${models.nnc.length} |`);
  console.log(`| torch.onnx.export (opset 17) | ${nodeCount(models.torch)} | ${models.torch.length} |`);
}

await main();
