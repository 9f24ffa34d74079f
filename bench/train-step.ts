/**
 * `npm run bench:train`: one training step (forward, cross-entropy, backward, SGD with momentum)
 * at batch 32, side by side in one run:
 *
 * - nnc: the model's training graph (`trainingGraph` over the `.nn` source's lowered graph) run
 *   by the IR executor with `training: true` and a buffer pool, as `nnc train` runs it (`NNC_POOL=0`:
 *   without the pool, every value allocated) — the runtime's TypeScript kernels, whose products
 *   (conv and dense forward, their weight and input gradients) run on the WebAssembly SIMD GEMM
 *   micro-kernel — plus the update below, on one thread, then the same step with those products
 *   split across two threads (`setTrainingThreads(2)`: the caller and one worker);
 * - PyTorch on one thread (`bench/train-torch.py`, the system's `/usr/bin/python3` or `$PYTHON`;
 *   skipped with the reason where it or torch is missing), with glibc told to keep freed blocks
 *   (see `startTorch`; `NNC_TORCH_MALLOC=default` to leave it alone);
 * - TensorFlow.js on its CPU backend (`bench/train-tfjs.ts`), one or two timed steps (ResNet-20: one, without warm-up): it
 *   takes seconds a step.
 *
 * Each column is the median of its timed steps after warm-up steps. nnc's steps and PyTorch's are
 * timed in turns (a few nnc steps, as many PyTorch steps from a PyTorch process that waits for
 * each request; one each for ResNet-20), first with nnc on one thread, then on two, so that the machine's load, which moves
 * a step's time by tens of percent on a shared machine, weighs on both sides of a ratio alike.
 * For the one-thread phase both processes are pinned to the one core nnc's process is on
 * (`taskset`, where it exists; `--no-pin` leaves them to the scheduler): on two virtual cores
 * shared with other machines, each process may otherwise run on its own core, and one core's
 * neighbours slow one side only (ResNet-20's ratio spread 1.55–3.06× unpinned in one afternoon,
 * 1.87–2.12× pinned). Both are unpinned again for the two-thread phases.
 * The two-thread ratio is measured once more in blocks that alternate one thread and two
 * (`alternating`), printed below the table: the table's two nnc columns come from phases a minute
 * or more apart. Between those blocks, and once more at the end, the machine's own two-thread
 * ceiling of the moment (`two-thread-ceiling.ts`: a kernel with nothing shared, on one worker and
 * then on two), which a step split across two threads cannot beat. Models: `bench/mnist-net.nn`
 * on `[32, 1, 28, 28]` and `examples/resnet20.nn` on `[32, 3, 32, 32]`. Run it on an idle machine:
 * it prints the load average it started under. `npm run bench:train -- mnist --no-tfjs` runs only
 * the named models, without TensorFlow.js. nnc's products fuse their multiply-adds as `nnc train`'s
 * do (on Intel cores, `runtime/wasm/relaxed-simd.ts`); `NNC_FMA=0` or `NNC_FMA=1` chooses.
 */
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { checkSource } from "../compiler/check/check.js";
import type { CheckedModel } from "../compiler/check/model.js";
import { executeGraph } from "../compiler/ir/execute.js";
import { lowerModel } from "../compiler/ir/lower.js";
import { trainingGraph } from "../compiler/train/training-graph.js";
import { BufferPool, createRandom, enableRelaxedSimd, setTrainingFma, setTrainingThreads, trainingFma, type Tensor } from "../runtime/index.js";
import { ParameterUpdate } from "../runtime/train/index.js";
import { startTfjsCpu, tfjsTrainStep, type TrainModel } from "./train-tfjs.js";
import { CeilingProbe, quartiles } from "./two-thread-ceiling.js";

const BATCH = 32;
const LEARNING_RATE = 0.01;
const MOMENTUM = 0.9;
/** The goal for two threads: the step this much faster than on one. */
const TWO_THREAD_GOAL = 1.6;

export interface Bench {
  model: TrainModel;
  label: string;
  source: string;
  input: number[];
  /** Warm-up and timed steps for nnc and PyTorch, and for TensorFlow.js (seconds a step). */
  steps: [warmup: number, timed: number];
  /** Steps each side runs in its turn (a divisor of the timed steps). */
  turn: number;
  tfjsSteps: [warmup: number, timed: number];
  /** The goal: nnc on one thread within this factor of PyTorch. */
  goal: number;
  /** Blocks per thread count, warm-up steps after each switch, and timed steps a block, of the two-thread ratio's alternating measure ({@link alternating}). */
  blocks: [blocks: number, warmup: number, steps: number];
}

export const BENCHES: Bench[] = [
  { model: "mnist", label: "MNIST convnet", source: "bench/mnist-net.nn", input: [BATCH, 1, 28, 28], steps: [3, 15], turn: 3, tfjsSteps: [1, 2], goal: 1.5, blocks: [6, 6, 8] },
  { model: "resnet20", label: "ResNet-20", source: "examples/resnet20.nn", input: [BATCH, 3, 32, 32], steps: [4, 15], turn: 1, tfjsSteps: [0, 1], goal: 2, blocks: [4, 3, 3] },
];

const host = { readFile: (p: string) => readFileSync(p, "utf8") };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function time(step: () => void, [warmup, timed]: [number, number]): number {
  for (let i = 0; i < warmup; i++) step();
  const times: number[] = [];
  for (let i = 0; i < timed; i++) {
    const start = performance.now();
    step();
    times.push(performance.now() - start);
  }
  return median(times);
}

/**
 * nnc's training step of `bench`: parameters initialised as PyTorch does (He-uniform weights,
 * zero biases, unit norm scales, running variance 1), fixed random input and labels. The update
 * is `ParameterUpdate` (runtime/train) with SGD and momentum, as generated modules' `trainStep`
 * runs it; the new running statistics replace their buffers.
 */
export function nncTrainStep(bench: Bench, timeByOp?: Map<string, number>): () => void {
  const model = checkSource(bench.source, readFileSync(bench.source, "utf8"), host).models[0] as CheckedModel;
  const training = trainingGraph(lowerModel(model));
  const random = createRandom(1);
  const params = new Map<string, Tensor>();
  for (const p of model.params) {
    const shape = [...p.shape];
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    const leaf = p.name.slice(p.name.lastIndexOf(".") + 1);
    if (leaf === "running_var" || (leaf === "weight" && shape.length === 1)) data.fill(1);
    else if (leaf === "weight") {
      const limit = Math.sqrt(6 / (size / shape[0]));
      for (let i = 0; i < size; i++) data[i] = (random() * 2 - 1) * limit;
    }
    params.set(p.name, { shape, data });
  }
  const update = new ParameterUpdate(
    training.gradients.map(({ param }) => ({ name: param, shape: params.get(param)!.shape })),
    { optimizer: { name: "sgd", lr: LEARNING_RATE, momentum: MOMENTUM } },
  );
  const weights = Object.fromEntries(training.gradients.map(({ param }) => [param, params.get(param)!]));
  const x: Tensor = { shape: bench.input, data: Float32Array.from({ length: bench.input.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1) };
  const target: Tensor = { shape: [BATCH], data: Float32Array.from({ length: BATCH }, (_, i) => (i * 7) % 10) };
  const gradientIndex = new Map(training.graph.outputs.map((name, i) => [name, i]));
  // The step's buffers are reused from one step to the next, as `nnc train` does (NNC_POOL=0: not).
  const pool = process.env.NNC_POOL === "0" ? undefined : new BufferPool();
  return () => {
    const { outputs, updated } = executeGraph(training.graph, params, [x, target], { training: true, pool, timeByOp });
    update.step(weights, Object.fromEntries(training.gradients.map(({ param, grad }) => [param, outputs[gradientIndex.get(grad)!]])));
    for (const [buffer, value] of updated) params.set(buffer, value);
    pool?.giveBack(outputs);
  };
}

/** A PyTorch process running the bench's step on request (`train-torch.py --serve`), after its warm-up. */
interface TorchSteps {
  /** Runs `count` steps; their times in ms. */
  steps(count: number): Promise<number[]>;
  /** Lets the process run on every core again (after the one-thread phase). */
  unpin(): void;
  close(): void;
}

/** Starts PyTorch's side of `bench`, or gives the reason it cannot run. */
async function startTorch(bench: Bench, cpu: number | undefined): Promise<TorchSteps | string> {
  const python = process.env.PYTHON ?? "/usr/bin/python3";
  const script = new URL("../../bench/train-torch.py", import.meta.url).pathname;
  // glibc gives PyTorch's large freed blocks back to the system after every step, so each step
  // faults its activations in again and its time doubles or triples from run to run; with the
  // thresholds raised (what an allocator like jemalloc, which PyTorch's CPU tuning guide
  // recommends, does) the step is steady and fastest. NNC_TORCH_MALLOC=default leaves glibc alone.
  const steady = process.env.NNC_TORCH_MALLOC === "default" ? {} : TORCH_MALLOC;
  const args = [script, bench.model, String(BATCH), String(bench.steps[0]), "--serve"];
  const [command, commandArgs] = cpu === undefined ? [python, args] : ["taskset", ["-c", String(cpu), python, ...args]];
  const child = spawn(command, commandArgs, { env: { ...process.env, ...steady }, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const started = new Promise<string | undefined>((resolve) => {
    child.once("error", () => resolve(`no Python at ${python}`));
    child.once("exit", () => resolve(`PyTorch failed: ${stderr.trim().split("\n").pop()}`));
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown> | string> => {
    const line = await Promise.race([lines.next(), started]);
    if (typeof line === "string") return line;
    if (line === undefined || line.done === true) return (await started) ?? "PyTorch stopped";
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  const ready = await next();
  if (typeof ready === "string") return ready;
  if (typeof ready.blas === "string") torchBlas.add(ready.blas);
  return {
    async steps(count) {
      child.stdin.write(`${count}\n`);
      const out = await next();
      if (typeof out === "string") throw new Error(out);
      return out.steps as number[];
    },
    unpin() {
      if (cpu !== undefined && child.pid !== undefined) setAffinity(child.pid, everyCore());
    },
    close() {
      child.stdin.end();
    },
  };
}

/** The core this process runs on now, where `taskset` can pin it (Linux), else undefined. */
function currentCore(): number | undefined {
  if (spawnSync("taskset", ["-V"]).status !== 0) return undefined;
  // /proc/self/stat's field 39 is the processor the process last ran on; the name in field 2 is in parentheses.
  const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ");
  const core = Number(fields?.[36]);
  return Number.isInteger(core) ? core : undefined;
}

/** Every core, as `taskset` takes a list. */
function everyCore(): string {
  return `0-${cpus().length - 1}`;
}

/** Sets the cores every thread of process `pid` may run on. */
function setAffinity(pid: number, list: string): void {
  spawnSync("taskset", ["-a", "-p", "-c", list, String(pid)], { stdio: "ignore" });
}

/**
 * nnc's step (after its warm-up) and PyTorch's, in turns of `turn` steps each for the timed
 * steps; the medians (PyTorch's undefined without it).
 */
async function inTurns(step: () => void, torch: TorchSteps | undefined, [warmup, timed]: [number, number], turn: number): Promise<[number, number | undefined]> {
  for (let i = 0; i < warmup; i++) step();
  const nnc: number[] = [];
  const other: number[] = [];
  for (let i = 0; i < timed; i += turn) {
    for (let k = 0; k < turn; k++) {
      const start = performance.now();
      step();
      nnc.push(performance.now() - start);
    }
    if (torch !== undefined) other.push(...(await torch.steps(turn)));
  }
  return [median(nnc), torch === undefined ? undefined : median(other)];
}

/**
 * The two-thread ratio measured in blocks that alternate one thread and two, `blocks` of each
 * (`warmup` steps after each switch, which restarts the products' heap, its workers and its
 * tensor arena, so that the pool's buffers are taken anew, then `steps` timed steps): each
 * block's one-thread median over the next block's two-thread median (medians, as the table's:
 * on a shared machine single steps take up to three times the others, at random), and their
 * median.
 * The machine's speed, which moves by tens of percent between minutes on a shared machine, then
 * weighs on both sides of each ratio alike, where the table's two medians come from phases a
 * minute or more apart. After each pair of blocks `probe` samples the machine's own two-thread
 * ceiling (three rounds), so the ratios can be read against what the machine allowed then.
 */
async function alternating(step: () => void, [blocks, warmup, steps]: [number, number, number], probe: CeilingProbe): Promise<{ ratios: number[]; median: number; ceiling: number[] }> {
  const ratios: number[] = [];
  const ceiling: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const medians = [1, 2].map((threads) => {
      setTrainingThreads(threads);
      return time(step, [warmup, steps]);
    });
    ratios.push(medians[0] / medians[1]);
    setTrainingThreads(1);
    ceiling.push(...(await probe.sample(3)));
  }
  return { ratios, median: median(ratios), ceiling };
}

/** glibc malloc settings that keep PyTorch's freed blocks in the process (see `startTorch`). */
const TORCH_MALLOC = { MALLOC_MMAP_THRESHOLD_: "4294967296", MALLOC_TRIM_THRESHOLD_: "4294967296", MALLOC_TOP_PAD_: "536870912" };

/** The BLAS libraries PyTorch's runs loaded (its dense layers' speed depends on it). */
const torchBlas = new Set<string>();

function ms(value: number | string): string {
  return typeof value === "number" ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : "n/a";
}

/**
 * Sets up the training products as `nnc train` does (relaxed SIMD on where Node 20 has it behind
 * a flag, fused multiply-adds where the CPU gains from them), or as `NNC_FMA=0` / `NNC_FMA=1`
 * asks; says which.
 */
export function productArithmetic(): string {
  enableRelaxedSimd();
  if (process.env.NNC_FMA === "0" || process.env.NNC_FMA === "1") {
    if (!setTrainingFma(process.env.NNC_FMA === "1")) throw new Error("NNC_FMA=1: this engine has no relaxed SIMD");
  }
  return trainingFma() ? "fused multiply-adds (relaxed SIMD)" : "a multiply and an add (no fused multiply-add: NNC_FMA=0, or none that pays here)";
}

async function main(): Promise<void> {
  // `npm run bench:train -- mnist --no-tfjs`: only the named models; without TensorFlow.js (minutes a ResNet-20 step).
  const args = process.argv.slice(2);
  const only = args.filter((a) => !a.startsWith("--"));
  const withTfjs = !args.includes("--no-tfjs");
  const pinned = args.includes("--no-pin") ? undefined : currentCore();
  console.log(`Training step (forward, cross-entropy, backward, SGD momentum), batch ${BATCH}, median ms; load average at start ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`nnc's products: ${productArithmetic()}`);
  console.log(
    pinned === undefined
      ? "One-thread phase: nnc and PyTorch left to the scheduler (--no-pin, or no taskset)"
      : `One-thread phase: nnc and PyTorch pinned to core ${pinned} (--no-pin: left to the scheduler)`,
  );
  const tfjs = withTfjs ? await startTfjsCpu() : false;
  const probe = await new CeilingProbe().start();
  const notes: string[] = [];
  const rows: string[][] = [];
  for (const bench of BENCHES.filter((b) => only.length === 0 || only.includes(b.model))) {
    let nnc: number | string;
    let nnc2: number | string;
    // PyTorch's medians: in turns with nnc's one-thread steps, then with its two-thread steps.
    let torch: number | string;
    let torch2: number | string | undefined;
    if (pinned !== undefined) setAffinity(process.pid, String(pinned));
    const server = await startTorch(bench, pinned);
    if (typeof server === "string") notes.push(`${bench.label}: PyTorch skipped: ${server}`);
    const yardstick = typeof server === "string" ? undefined : server;
    torch = typeof server === "string" ? server : "n/a";
    try {
      const step = nncTrainStep(bench);
      [nnc, torch = torch] = await inTurns(step, yardstick, bench.steps, bench.turn);
      if (pinned !== undefined) {
        setAffinity(process.pid, everyCore());
        yardstick?.unpin();
      }
      setTrainingThreads(2);
      [nnc2, torch2] = await inTurns(step, yardstick, bench.steps, bench.turn);
      const blocks = await alternating(step, bench.blocks, probe);
      const met = blocks.median >= TWO_THREAD_GOAL ? "met" : "not met";
      const ceiling = quartiles(blocks.ceiling);
      notes.push(
        `${bench.label}: 1 / 2 threads in alternating blocks: ${blocks.median.toFixed(2)}× (≥ ${TWO_THREAD_GOAL}× ${met}; blocks ${blocks.ratios.map((r) => r.toFixed(2)).join(", ")}); ` +
          `the machine's two-thread ceiling between the blocks ${ceiling.median.toFixed(2)}× (quartiles ${ceiling.low.toFixed(2)}–${ceiling.high.toFixed(2)}×)`,
      );
    } catch (error) {
      nnc = nnc2 = (error as Error).message;
      notes.push(`${bench.label}: nnc did not run: ${nnc}`);
    } finally {
      setTrainingThreads(1);
      yardstick?.close();
      if (pinned !== undefined) setAffinity(process.pid, everyCore());
    }
    if (typeof torch2 === "number") notes.push(`${bench.label}: PyTorch's median in turns with nnc's two-thread steps: ${ms(torch2)} ms`);
    const tf = tfjs ? time(tfjsTrainStep(bench.model, BATCH), bench.tfjsSteps) : withTfjs ? "no tfjs-cpu backend" : "not run (--no-tfjs)";
    const ratio = (a: number | string, b: number | string) => (typeof a === "number" && typeof b === "number" ? `${(a / b).toFixed(2)}×` : "n/a");
    const verdict = typeof nnc === "number" && typeof torch === "number" ? (nnc / torch <= bench.goal ? "met" : "not met") : "n/a";
    const twoThreads = typeof nnc === "number" && typeof nnc2 === "number" ? `${(nnc / nnc2).toFixed(2)}× (≥ ${TWO_THREAD_GOAL}× ${nnc / nnc2 >= TWO_THREAD_GOAL ? "met" : "not met"})` : "n/a";
    rows.push([bench.label, ms(nnc), ms(nnc2), twoThreads, ms(torch), ms(tf), ratio(nnc, torch), `≤ ${bench.goal}× ${verdict}`, ratio(tf, nnc)]);
    console.log(`  ${bench.label} done`);
  }
  const header = ["model", "nnc 1 thread", "nnc 2 threads", "1 / 2 threads", "PyTorch 1 thread", "TF.js cpu", "nnc / PyTorch", "goal", "TF.js / nnc"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of rows) console.log(line(row));
  for (const note of notes) console.log(note);
  if (torchBlas.size > 0) console.log(`PyTorch's BLAS (its dense layers): ${[...torchBlas].join(", ")}`);
  const ceiling = quartiles(await probe.sample(15));
  await probe.close();
  console.log(
    `This machine's two-thread ceiling at the end: a trivially parallel kernel (the GEMM micro-kernel on each thread's own operands) ran ${ceiling.median.toFixed(2)}× ` +
      `as fast on two threads as on one (quartiles ${ceiling.low.toFixed(2)}–${ceiling.high.toFixed(2)}×)`,
  );
}

// Run as a script, not when `train-profile.ts` imports the steps.
if (process.argv[1]?.endsWith("train-step.js")) await main();
