/**
 * Distributed training of a generated PyTorch module (`examples/torch/train_ddp.py`): two
 * processes under torchrun (gloo, on the CPU) end with the same weights, bit for bit, and take
 * the same steps as one process at their combined batch; under BatchNorm, whose statistics are
 * each process's own, the parameters still agree. Skipped with a banner where torch or torchrun
 * is missing, unless NNC_REQUIRE_TORCH=1.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readSafetensors } from "../../runtime/weights/safetensors.js";
import { compileOk, tempDir } from "../emit/support.js";
import { requireTorch, runPython, runTrainDdp, SKIP_TORCH, TRAIN_DDP, TORCH_REQUIRED, warnSkipped } from "./python.js";

const TORCHRUN = process.env.NNC_TORCHRUN ?? "/usr/bin/torchrun";
const SKIP = SKIP_TORCH || (!existsSync(TORCHRUN) && !TORCH_REQUIRED);

/**
 * `python3 -c` this with a script's path and arguments runs it as `python3 script ...`, on the
 * CPU even where a GPU is present (as the torchrun runs).
 */

/** A small conv net whose normalizer treats each example on its own. */
const GROUP_NORM = `model Small(x: [N, 3, 8, 8]) {
  use norm = group(groups: 2)
  return x -> conv(8, 3, pad: 1) -> norm -> relu -> conv(8, 3, stride: 2, pad: 1) -> norm -> relu
           -> global_avgpool -> flatten -> dense(4)
}
`;

/** The same net with BatchNorm, whose batch statistics are each process's own. */
const BATCH_NORM = GROUP_NORM.replace("model Small", "model SmallBatch").replace("group(groups: 2)", "batch()");

/** What every run shares: 3 steps of SGD with momentum and AGC, from the compiled initial weights. */
const TRAINING = ["--data", "synthetic:64", "--steps", "3", "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9", "--agc", "0.05", "--seed", "7"];

let dir = "";

/** Compiles `text` to `<dir>/<stem>.py` and its initial weights; returns the module's path. */
async function compileTorch(stem: string, text: string): Promise<string> {
  const result = await compileOk({ path: join(dir, `${stem}.nn`), text, target: "torch" });
  for (const file of result.files) writeFileSync(join(dir, file.name), file.contents);
  return join(dir, `${stem}.py`);
}

/** Runs train_ddp.py in `processes` processes under torchrun; returns its standard output. */
function torchrun(processes: number, args: readonly string[]): string {
  // Debian's torch 1.13 on Python 3.11 cannot parse torchrun's default --redirects and --tee
  // ("0": Python 3.11's IntFlag no longer lists the zero flag, pytorch/pytorch#92319); teeing
  // the workers' standard error is a setting it parses, and leaves standard output alone. The
  // agent looks at its workers every 5 s by default, so it would sit up to 5 s after they end.
  const launch = [
    ...["--standalone", `--nproc_per_node=${processes}`, "--monitor_interval", "0.5"],
    ...["--redirects", "2", "--tee", "2", "--log_dir", join(dir, "torchrun-logs")],
  ];
  const result = spawnSync(TORCHRUN, [...launch, TRAIN_DDP, ...args], {
    cwd: dir,
    encoding: "utf8",
    timeout: 100_000,
    // On the CPU with gloo even where there is a GPU: two processes would need two.
    env: { ...process.env, OMP_NUM_THREADS: "1", PYTHONDONTWRITEBYTECODE: "1", CUDA_VISIBLE_DEVICES: "" },
  });
  if (result.error) throw new Error(`cannot run ${TORCHRUN}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`torchrun failed (${result.status ?? result.signal}):\n${result.stderr}\n${result.stdout}`);
  return result.stdout;
}

/** Runs train_ddp.py as one plain process (no torchrun); returns its standard output. */
function singleProcess(args: readonly string[]): string {
  return runTrainDdp(args, dir).stdout;
}

/** The losses that rank 0 printed, one per step. */
function losses(stdout: string): number[] {
  return [...stdout.matchAll(/^step \d+\/\d+ epoch \d+ loss (\S+)$/gm)].map((m) => Number(m[1]));
}

/** A checkpoint's tensors by name. */
function weights(path: string): Map<string, Float32Array> {
  return new Map([...readSafetensors(readFileSync(path))].map(([name, t]) => [name, t.data] as const));
}

/** The largest |a − b| over every tensor of two checkpoints with the same names, of those `names` accepts. */
function maxDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>, names: (name: string) => boolean = () => true): number {
  expect([...b.keys()]).toEqual([...a.keys()]);
  let max = 0;
  for (const [name, x] of a) {
    if (!names(name)) continue;
    const y = b.get(name)!;
    for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i]! - y[i]!));
  }
  return max;
}

const isRunningStatistic = (name: string): boolean => /running_(mean|var)$/.test(name);

describe.skipIf(SKIP)("train_ddp.py under torchrun (gloo, CPU)", () => {
  warnSkipped("training under DDP (test/torch/ddp.test.ts)");
  if (SKIP && !SKIP_TORCH) console.warn(`\nSKIPPED: training under DDP (test/torch/ddp.test.ts) needs torchrun: ${TORCHRUN} is missing (NNC_TORCHRUN names another).\n`);
  beforeAll(() => {
    dir = tempDir("ddp");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("two processes at batch 4 agree bit for bit and take the steps of one process at batch 8", async () => {
    requireTorch();
    const module = await compileTorch("small", GROUP_NORM);
    const ddp = torchrun(2, ["--module", module, ...TRAINING, "--batch", "4", "--out", "ddp", "--save-every-rank"]);
    const single = singleProcess(["--module", module, ...TRAINING, "--batch", "8", "--out", "single", "--save-every-rank"]);
    // A single process at batch 4 sees half of each step's examples: the control that shows the
    // comparison notices a different data order.
    const half = singleProcess(["--module", module, ...TRAINING, "--batch", "4", "--out", "half"]);
    console.log(`torchrun, 2 processes:\n${ddp}\none process, batch 8:\n${single}`);

    expect(ddp).toMatch(/^2 processes × batch 4 on cpu, 64 examples$/m);
    const ddpLosses = losses(ddp);
    const singleLosses = losses(single);
    expect(ddpLosses).toHaveLength(3);
    expect(singleLosses).toHaveLength(3);
    for (let step = 0; step < 3; step++) expect(Math.abs(ddpLosses[step]! - singleLosses[step]!), `step ${step + 1}`).toBeLessThanOrEqual(1e-5);

    const rank0 = weights(join(dir, "ddp/rank0.safetensors"));
    const rank1 = weights(join(dir, "ddp/rank1.safetensors"));
    expect(maxDifference(rank0, rank1)).toBe(0);
    expect(maxDifference(rank0, weights(join(dir, "ddp/model.safetensors")))).toBe(0);

    const singleWeights = weights(join(dir, "single/rank0.safetensors"));
    const initial = weights(join(dir, "small.safetensors"));
    const ddpToSingle = maxDifference(rank0, singleWeights);
    console.log(`max |DDP − single| ${ddpToSingle}; moved from the initial weights by ${maxDifference(rank0, initial)}`);
    expect(ddpToSingle).toBeLessThanOrEqual(1e-5);
    expect(maxDifference(rank0, initial)).toBeGreaterThan(1e-3);
    expect(maxDifference(rank0, weights(join(dir, "half/model.safetensors")))).toBeGreaterThan(1e-3);
  }, 120_000);

  it("under BatchNorm the processes' parameters agree, and their running statistics are each one's own", async () => {
    requireTorch();
    const module = await compileTorch("small_batch", BATCH_NORM);
    const ddp = torchrun(2, ["--module", module, ...TRAINING, "--steps", "2", "--batch", "4", "--out", "bn", "--save-every-rank"]);
    expect(losses(ddp)).toHaveLength(2);
    const rank0 = weights(join(dir, "bn/rank0.safetensors"));
    const rank1 = weights(join(dir, "bn/rank1.safetensors"));
    const parameters = maxDifference(rank0, rank1, (name) => !isRunningStatistic(name));
    // DDP broadcasts rank 0's buffers at the start of every forward; each process then updates
    // them from its own batch, so after the last step they differ, and rank 0's are saved.
    const statistics = maxDifference(rank0, rank1, isRunningStatistic);
    console.log(`BatchNorm under DDP: parameters differ by ${parameters}, running statistics by ${statistics}`);
    expect(parameters).toBe(0);
    expect(statistics).toBeGreaterThan(0);
    expect(maxDifference(rank0, weights(join(dir, "bn/model.safetensors")))).toBe(0);
  }, 120_000);

  it("refuses --sync-bn without CUDA and torchrun, saying why", async () => {
    requireTorch();
    const module = await compileTorch("small_batch", BATCH_NORM);
    expect(() => singleProcess(["--module", module, ...TRAINING, "--batch", "4", "--out", "sync", "--sync-bn"])).toThrow(/--sync-bn needs CUDA and torchrun \(SyncBatchNorm is GPU-only\)/);
  }, 60_000);
});
