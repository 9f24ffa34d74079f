/**
 * The round trip nnc → PyTorch → nnc: ResNet-20 compiled to a PyTorch module, trained a few
 * steps by `examples/torch/train_ddp.py`, and its checkpoint compiled back with
 * `--weights` to a TypeScript module and to ONNX, whose outputs equal the PyTorch module's in
 * evaluation. A `state_dict()` saved whole, PyTorch's num_batches_tracked counters included, is
 * accepted too. Skipped with a banner where torch is missing, unless NNC_REQUIRE_TORCH=1.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Tensor } from "../../runtime/index.js";
import { readSafetensors } from "../../runtime/weights/safetensors.js";
import { compileOk, importModule, RUNTIME_SOURCE, tempDir, type TensorLike } from "../emit/support.js";
import { requireTorch, runPython, runTrainDdp, SKIP_TORCH, warnSkipped } from "./python.js";

const EXAMPLE = "examples/resnet20.nn";

/** `python3 -c` this with a script's path and arguments runs it as `python3 script ...`, on the CPU. */

// After training: the trained module's evaluation output on a fixed input (io.safetensors), and
// its whole state_dict() as torch.save would keep it, num_batches_tracked included.
const EVALUATE = String.raw`
import sys
import torch
import resnet20 as generated

run = sys.argv[1]
model = generated.MODEL()
generated.load_weights(model, f"{run}/model.safetensors")
model.eval()
x = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
with torch.no_grad():
    y = model(x)
generated.save_safetensors({"x": x, "y": y}, f"{run}/io.safetensors")
state = model.state_dict()
assert any(name.endswith(".num_batches_tracked") for name in state)
generated.save_safetensors(state, f"{run}/state_dict.safetensors")
`;

let dir = "";

/** Max |actual − expected| over max(1, max |expected|). */
function relativeError(actual: TensorLike, expected: Tensor): number {
  expect(actual.shape).toEqual(expected.shape);
  let scale = 1;
  let error = 0;
  for (let i = 0; i < expected.data.length; i++) {
    scale = Math.max(scale, Math.abs(expected.data[i]!));
    error = Math.max(error, Math.abs(actual.data[i]! - expected.data[i]!));
  }
  return error / scale;
}

/** `nnc compile --weights path` of the example to `target`. */
function compileWithWeights(path: string, target: "ts" | "onnx") {
  return compileOk({ path: EXAMPLE, target, weights: { path, bytes: readFileSync(path) }, runtimeModule: RUNTIME_SOURCE });
}

/** The TypeScript module of the example with the checkpoint at `path`, written to `<dir>/<sub>` and loaded. */
async function loadTs(path: string, sub: string) {
  mkdirSync(join(dir, sub));
  return (await importModule(await compileWithWeights(path, "ts"), join(dir, sub))).load();
}

/** Runs ONNX bytes in onnxruntime-node on one input. */
async function runOnnx(bytes: Uint8Array, x: Tensor): Promise<TensorLike> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const results = await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", x.data, x.shape) });
    const y = results[session.outputNames[0]!]!;
    return { shape: [...y.dims], data: y.data as Float32Array };
  } finally {
    await session.release();
  }
}

describe.skipIf(SKIP_TORCH)("nnc → PyTorch training → nnc", () => {
  warnSkipped("the round trip through PyTorch training (test/torch/round-trip.test.ts)");
  beforeAll(() => {
    dir = tempDir("torch-round-trip");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a checkpoint trained in PyTorch compiles back to TypeScript and ONNX with the PyTorch module's outputs", async () => {
    requireTorch();
    const torch = await compileOk({ path: EXAMPLE, target: "torch" });
    const gen = join(dir, "gen");
    mkdirSync(gen);
    for (const file of torch.files) writeFileSync(join(gen, file.name), file.contents);

    const run = join(dir, "run");
    const args = ["--module", join(gen, "resnet20.py"), "--data", "synthetic:32", "--steps", "3", "--batch", "8"];
    const training = runTrainDdp([...args, "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9", "--out", run], dir);
    console.log(training.stdout);
    expect(training.stdout).toMatch(/^step 3\/3 epoch 1 loss \d/m);
    runPython(EVALUATE, [run], gen);
    const io = readSafetensors(readFileSync(join(run, "io.safetensors")));
    const tensor = (name: string): Tensor => ({ shape: [...io.get(name)!.shape], data: io.get(name)!.data });
    const x = tensor("x");
    const y = tensor("y");

    const checkpoint = join(run, "model.safetensors");
    const model = await loadTs(checkpoint, "ts");
    const fromTs = relativeError(model.forward(x) as TensorLike, y);
    const onnx = await compileWithWeights(checkpoint, "onnx");
    const fromOnnx = relativeError(await runOnnx(onnx.files.find((f) => f.name.endsWith(".onnx"))!.contents as Uint8Array, x), y);
    const largest = Math.max(...y.data.map(Math.abs));
    console.log(`PyTorch eval output (max |y| ${largest}) against the TypeScript module: ${fromTs}, against ONNX: ${fromOnnx}`);
    expect(fromTs).toBeLessThanOrEqual(1e-4);
    expect(fromOnnx).toBeLessThanOrEqual(1e-4);

    // The whole state_dict, counters included: the counters are ignored, the weights are the same.
    const stateDict = join(run, "state_dict.safetensors");
    const counters = [...readSafetensors(readFileSync(stateDict)).keys()].filter((name) => name.endsWith(".num_batches_tracked"));
    const batchNorms = torch.check.models[0]!.params.filter((p) => p.name.endsWith(".running_mean"));
    expect(counters).toHaveLength(batchNorms.length);
    const again = await loadTs(stateDict, "state-dict");
    expect((again.forward(x) as TensorLike).data).toEqual((model.forward(x) as TensorLike).data);
    model.close?.();
    again.close?.();
  }, 120_000);
});
