/**
 * nnc's models on a GPU: for each example, nnc's ONNX model (fused, opset 17) and the ONNX that
 * `torch.onnx.export` writes for nnc's emitted PyTorch module run in onnxruntime-node's CUDA
 * provider, and the emitted PyTorch module runs on CUDA (`bench/gpu-torch.py`); every output is
 * checked against the CPU (onnxruntime's CPU provider for the ONNX files, PyTorch on the CPU for
 * the module), and the table gives the median milliseconds per forward at batch 1 and 32.
 *
 * It needs an NVIDIA GPU, onnxruntime-node's CUDA provider (`ONNXRUNTIME_NODE_INSTALL=cuda12 npm
 * rebuild onnxruntime-node`) and a CUDA build of PyTorch for `/usr/bin/python3` (override with
 * NNC_TORCH_PYTHON). Where there is none it says so and exits; `--cpu` runs the same table on
 * the CPU providers, which checks the script itself on any machine.
 *
 *   npm run bench:gpu [-- --cpu]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import * as ort from "onnxruntime-node";
import { checkSource } from "../compiler/check/check.js";
import { compileModel } from "../compiler/emit/compile-model.js";
import { readSafetensors, writeSafetensors } from "../runtime/weights/safetensors.js";

const EXAMPLES = ["examples/resnet20.nn", "examples/resnet18.nn", "examples/inception.nn", "examples/vgg.nn", "examples/norm_zoo.nn"];
const BATCHES = [1, 32];
const PYTHON = process.env.NNC_TORCH_PYTHON ?? "/usr/bin/python3";
const onCpu = process.argv.includes("--cpu");
const provider = onCpu ? "cpu" : "cuda";
const host = { readFile: (p: string) => readFileSync(p, "utf8") };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeRuns(s: ort.InferenceSession, feeds: Record<string, ort.Tensor>, runs: number): Promise<number> {
  for (let i = 0; i < 5; i++) await s.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await s.run(feeds);
    times.push(performance.now() - t0);
  }
  return median(times);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

async function emitted(path: string, target: "onnx" | "torch", dir: string): Promise<void> {
  const result = await compileModel({ path, host, target });
  if (!result.ok) throw new Error(`${path}: ${result.errors.join("; ")}`);
  for (const f of result.files) writeFileSync(join(dir, f.name), f.contents);
}

async function session(bytes: Uint8Array, on: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { executionProviders: [on], intraOpNumThreads: 1 });
}

async function main(): Promise<void> {
  if (!onCpu) {
    const probe = spawnSync(PYTHON, ["-c", "import torch; print(torch.cuda.is_available())"], { encoding: "utf8" });
    let ortCuda = true;
    try {
      await ort.InferenceSession.create(readFileSync("test/fixtures/onnx/resnet20.torch.onnx"), { executionProviders: ["cuda"] });
    } catch {
      ortCuda = false;
    }
    if (probe.stdout.trim() !== "True" || !ortCuda) {
      console.log(`No GPU here: PyTorch CUDA ${probe.stdout.trim() === "True" ? "yes" : "no"}, onnxruntime-node CUDA provider ${ortCuda ? "yes" : "no"}. Nothing measured (--cpu runs the table on the CPU).`);
      return;
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "nnc-gpu-"));
  try {
    const stems = EXAMPLES.map((p) => basename(p, ".nn"));
    const inputs = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const path of EXAMPLES) {
      const stem = basename(path, ".nn");
      await emitted(path, "torch", dir);
      const onnxDir = join(dir, "onnx");
      mkdirSync(onnxDir, { recursive: true });
      await emitted(path, "onnx", onnxDir);
      const checked = checkSource(path, host.readFile(path), host).models[0];
      const shape = checked.values[checked.inputs[0].value].shape.map((d) => (typeof d === "number" ? d : 1));
      const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37));
      inputs.set(stem, { shape, data });
      writeFileSync(join(dir, `${stem}.input.safetensors`), writeSafetensors([{ name: "x", shape, data }], {}));
    }
    const run = spawnSync(PYTHON, ["bench/gpu-torch.py", dir, ...stems], { encoding: "utf8", env: { ...process.env, CUDA_VISIBLE_DEVICES: onCpu ? "" : process.env.CUDA_VISIBLE_DEVICES } });
    if (run.status !== 0) throw new Error(`bench/gpu-torch.py failed:\n${run.stderr}`);
    const torchRows = new Map(run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number | string>).map((r) => [r.model as string, r]));
    console.log(`${onCpu ? "CPU providers (--cpu)" : `GPU: ${torchRows.values().next().value?.device}`}, onnxruntime-node ${ort.env.versions.common}, ${new Date().toISOString().slice(0, 10)}; median ms per forward\n`);
    console.log("| model | batch | nnc ONNX (ms) | torch.onnx.export (ms) | PyTorch module (ms) | max abs diff vs CPU: nnc ONNX / exported / module |");
    console.log("|---|---|---|---|---|---|");
    for (const stem of stems) {
      const input = inputs.get(stem)!;
      const files = { nnc: readFileSync(join(dir, "onnx", `${stem}.onnx`)), torch: readFileSync(join(dir, `${stem}.torch.onnx`)) };
      const reference = readSafetensors(readFileSync(join(dir, `${stem}.torch.safetensors`)));
      const cpuOut = reference.get("cpu")!.data;
      const moduleDiff = onCpu ? 0 : maxDiff(reference.get("cuda")!.data, cpuOut);
      const diffs: number[] = [];
      const times: number[][] = [];
      for (const which of ["nnc", "torch"] as const) {
        const cpu = await session(files[which], "cpu");
        const gpu = await session(files[which], provider);
        const feeds = (s: ort.InferenceSession, batch: number) => {
          const data = new Float32Array(batch * input.data.length);
          for (let b = 0; b < batch; b++) data.set(input.data, b * input.data.length);
          return { [s.inputNames[0]]: new ort.Tensor("float32", data, [batch, ...input.shape.slice(1)]) };
        };
        const out = async (s: ort.InferenceSession) => (await s.run(feeds(s, 1)))[s.outputNames[0]].data as Float32Array;
        diffs.push(Math.max(maxDiff(await out(gpu), await out(cpu)), maxDiff(await out(gpu), cpuOut)));
        const perBatch: number[] = [];
        for (const batch of BATCHES) perBatch.push(await timeRuns(gpu, feeds(gpu, batch), batch === 1 ? 100 : 20));
        times.push(perBatch);
        await cpu.release();
        await gpu.release();
      }
      const row = torchRows.get(stem)!;
      const moduleMs = Number(onCpu ? row.torch_cpu_ms : row.torch_cuda_ms);
      BATCHES.forEach((batch, i) => {
        const module = i === 0 ? moduleMs.toFixed(3) : "—";
        const diff = i === 0 ? `${diffs[0].toExponential(1)} / ${diffs[1].toExponential(1)} / ${moduleDiff.toExponential(1)}` : "";
        console.log(`| ${stem} | ${batch} | ${times[0][i].toFixed(3)} | ${times[1][i].toFixed(3)} | ${module} | ${diff} |`);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
