/**
 * The playground page: the editor on the left; on the right the model's summary table and picture,
 * its generated TypeScript, its ONNX model, "Run", and the digit pad. Everything nnc computes
 * comes from the worker; this file only shows it. `window.__nnc` lets the tests and the screenshot
 * script drive the page and read what it shows.
 */
import { WorkerClient } from "./client.js";
import { DigitPad } from "./digits.js";
import { NnEditor } from "./editor.js";
import { TrainPanel, type TrainedRun } from "./train-panel.js";
import type { EmittedText, ModelChoice, Report, RunOutcome, Switch } from "./protocol.js";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const DEFAULT_EXAMPLE = "resnet20.nn";
const LENET = NNC_EXAMPLES.find((e) => e.name === "lenet.nn");

const worker = new WorkerClient(new URL("./worker.js", import.meta.url));
let report: Report | undefined;
let overrides = new Map<string, string>();
let selectedModel: string | undefined;
const reportWaiters: (() => void)[] = [];

function choice(): ModelChoice {
  return { set: [...overrides].map(([k, v]) => `${k}=${v}`), model: selectedModel };
}

const editor = new NnEditor($("editor"), exampleText(DEFAULT_EXAMPLE), worker, {
  changed: async (version, text) => {
    const { report: fresh } = await worker.ask({ kind: "update", version, text, choice: choice() });
    if (fresh.version < editor.currentVersion) return;
    show(fresh);
  },
});

function exampleText(name: string): string {
  return NNC_EXAMPLES.find((e) => e.name === name)?.text ?? "";
}

/** Puts a report on the page. */
function show(fresh: Report): void {
  report = fresh;
  editor.showDiagnostics(fresh.version, fresh.diagnostics);
  $("problems").textContent = fresh.checkText;
  $("problems").className = fresh.diagnostics.some((d) => d.severity === "error") ? "problems failing" : "problems";
  $("check-time").textContent = `checked in ${fresh.checkMs.toFixed(1)} ms`;
  if (fresh.summary !== undefined) {
    $("summary").textContent = fresh.summary;
    $("graph").innerHTML = fresh.svg ?? "";
    $("model-panel").classList.remove("stale");
  } else {
    // The last good summary and picture stay, dimmed, while the text has errors.
    $("model-panel").classList.add("stale");
  }
  showModels(fresh);
  showSwitches(fresh.switches);
  staleTabs();
  if (fresh.version === editor.currentVersion) for (const waiter of reportWaiters.splice(0)) waiter();
}

function showModels(fresh: Report): void {
  const select = $<HTMLSelectElement>("model");
  const names = fresh.models.join("\n");
  if (select.dataset.names !== names) {
    select.dataset.names = names;
    select.replaceChildren(...fresh.models.map((name) => new Option(name, name)));
  }
  if (fresh.model) select.value = fresh.model;
}

/** The `--set` switches: a menu for an alias, a field for a parameter. */
function showSwitches(switches: readonly Switch[]): void {
  const box = $("switches");
  const key = JSON.stringify(switches.map((s) => [s.name, s.current, s.choices]));
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren();
  for (const s of switches) {
    const label = document.createElement("label");
    label.textContent = `${s.name} `;
    let input: HTMLInputElement | HTMLSelectElement;
    if (s.choices.length > 0) {
      const select = document.createElement("select");
      for (const value of s.choices) select.add(new Option(value === s.current ? `${value} (as written)` : value, value));
      select.value = overrides.get(s.name) ?? s.current;
      input = select;
    } else {
      const field = document.createElement("input");
      field.value = overrides.get(s.name) ?? s.current;
      field.size = Math.max(4, field.value.length + 1);
      input = field;
    }
    input.dataset.switch = s.name;
    input.addEventListener("change", () => {
      if (input.value === s.current || input.value === "") overrides.delete(s.name);
      else overrides.set(s.name, input.value);
      showCommand();
      void recheck();
    });
    label.append(input);
    box.append(label);
  }
  showCommand();
}

/** The command line the switches amount to. */
function showCommand(): void {
  const set = choice().set.map((s) => ` --set '${s}'`).join("");
  const model = selectedModel ? ` --model ${selectedModel}` : "";
  $("command").textContent = `nnc summary model.nn${model}${set}`;
}

async function recheck(): Promise<void> {
  const { report: fresh } = await worker.ask({ kind: "update", version: editor.currentVersion, text: editor.text, choice: choice() });
  show(fresh);
}

/** Resolves once the worker has checked the editor's current text. */
async function checked(): Promise<Report> {
  await editor.flush();
  if (report && report.version === editor.currentVersion) return report;
  await new Promise<void>((resolve) => reportWaiters.push(resolve));
  return report!;
}

// Tabs. The compiled forms are made when their tab opens, and again after the model changes.
const tabs = ["model", "ts", "onnx", "run", "digits"] as const;
type Tab = (typeof tabs)[number];
let openTab: Tab = "model";
const emitted = new Map<string, { version: string; file: EmittedText }>();

function selectTab(tab: Tab): void {
  openTab = tab;
  for (const t of tabs) {
    $(`tab-${t}`).hidden = t !== tab;
    $(`tab-button-${t}`).classList.toggle("active", t === tab);
  }
  if (tab === "ts" || tab === "onnx") void showEmitted(tab);
}

function staleTabs(): void {
  if (openTab === "ts" || openTab === "onnx") void showEmitted(openTab);
}

/** A key for the text and switches an emitted file was made from. */
function emitKey(): string {
  return JSON.stringify([editor.currentVersion, choice()]);
}

async function emittedFile(target: "ts" | "onnx" | "safetensors"): Promise<EmittedText> {
  await checked();
  const key = emitKey();
  const known = emitted.get(target);
  if (known && known.version === key) return known.file;
  const { file } = await worker.ask({ kind: "emit", choice: choice(), target });
  emitted.set(target, { version: key, file });
  return file;
}

async function showEmitted(target: "ts" | "onnx"): Promise<void> {
  const pre = $(`${target}-text`);
  const status = $(`${target}-status`);
  status.textContent = emitted.has(target) ? "updating…" : target === "ts" ? "compiling (the first time loads the emitter)…" : "compiling…";
  try {
    const started = performance.now();
    const file = await emittedFile(target);
    pre.textContent = file.text;
    status.textContent = `${file.name}: ${file.bytes.length.toLocaleString("en-US")} bytes, made in ${(performance.now() - started).toFixed(0)} ms`;
    pre.classList.remove("stale");
  } catch (error) {
    status.textContent = error instanceof Error ? error.message : String(error);
    pre.classList.add("stale");
  }
}

async function download(target: "ts" | "onnx" | "safetensors"): Promise<void> {
  try {
    const file = await emittedFile(target);
    const url = URL.createObjectURL(new Blob([file.bytes as BlobPart]));
    const link = document.createElement("a");
    link.href = url;
    link.download = file.name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (error) {
    $("status").textContent = error instanceof Error ? error.message : String(error);
  }
}

/** "Run": the model on the WebAssembly engine with seed-0 weights and the fixed random input. */
async function run(threads = Number($<HTMLSelectElement>("threads").value)): Promise<RunOutcome> {
  selectTab("run");
  const out = $("run-output");
  out.textContent = "compiling and running…";
  await checked();
  try {
    const { outcome } = await worker.ask({ kind: "run", choice: choice(), threads });
    const first = [...outcome.output.slice(0, 10)].map((v) => v.toFixed(6)).join(", ");
    out.textContent =
      `input  [${outcome.inputShape.join(", ")}]: uniform in [-1, 1), fixed seed\n` +
      `output [${outcome.outputShape.join(", ")}]: ${first}${outcome.output.length > 10 ? ", …" : ""}\n\n` +
      `engine: ${outcome.engine === "wasm" ? "WebAssembly plan" : "TypeScript kernels"} on ${outcome.threads} thread${outcome.threads === 1 ? "" : "s"}` +
      `${outcome.threads < threads ? ` (${threads} asked; this page cannot share memory between workers)` : ""}, seed-0 weights\n` +
      `compile (lower, passes, plan): ${outcome.compileMs.toFixed(1)} ms\n` +
      `first forward:                 ${outcome.firstForwardMs.toFixed(2)} ms\n` +
      `forward (fastest of the next): ${outcome.forwardMs.toFixed(2)} ms`;
    return outcome;
  } catch (error) {
    out.textContent = error instanceof Error ? error.message : String(error);
    throw error;
  }
}

// The digit pad: LeNet with the checkpoint `nnc train` made (playground/lenet.safetensors).
let lenetWeights: Promise<Uint8Array> | undefined;
let lastDigit: { probabilities: number[]; predicted: number } | undefined;
const pad = new DigitPad($<HTMLCanvasElement>("digit"), () => void classify());

let trainedHere: Uint8Array | undefined;

async function classify(): Promise<{ probabilities: number[]; predicted: number } | undefined> {
  if (!LENET || pad.empty) return undefined;
  lenetWeights ??= fetch(new URL("./lenet.safetensors", import.meta.url)).then(async (r) => new Uint8Array(await r.arrayBuffer()));
  const usePage = document.querySelector<HTMLInputElement>('input[name="weights"]:checked')?.value === "page";
  const weights = usePage && trainedHere ? trainedHere : await lenetWeights;
  const { outcome } = await worker.ask({ kind: "run", choice: { set: [] }, text: LENET.text, weights, input: pad.image() });
  const probabilities = [...outcome.output].map(Math.exp);
  const predicted = probabilities.indexOf(Math.max(...probabilities));
  const bars = $("probabilities");
  bars.replaceChildren(
    ...probabilities.map((p, digit) => {
      const row = document.createElement("div");
      row.className = digit === predicted ? "bar best" : "bar";
      row.innerHTML = `<span>${digit}</span><i style="width:${(p * 100).toFixed(1)}%"></i><b>${(p * 100).toFixed(1)}%</b>`;
      return row;
    }),
  );
  $("prediction").textContent = `${predicted}`;
  $("digit-time").textContent = `LeNet forward in ${outcome.forwardMs.toFixed(2)} ms`;
  lastDigit = { probabilities, predicted };
  return lastDigit;
}

const trainPanel = new TrainPanel(
  {
    train: $<HTMLButtonElement>("train"),
    stop: $<HTMLButtonElement>("stop-training"),
    epochs: $<HTMLSelectElement>("train-epochs"),
    status: $("train-status"),
    curve: document.getElementById("loss-curve") as unknown as SVGSVGElement,
  },
  LENET?.text ?? "",
  (run: TrainedRun) => {
    trainedHere = run.checkpoint;
    const radio = $<HTMLInputElement>("use-page-weights");
    radio.disabled = false;
    radio.checked = true;
    void classify();
  },
);
for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="weights"]')) radio.addEventListener("change", () => void classify());

function setExample(name: string): void {
  overrides = new Map();
  selectedModel = undefined;
  $<HTMLSelectElement>("examples").value = name;
  editor.setText(exampleText(name));
}

// Wiring.
const examples = $<HTMLSelectElement>("examples");
for (const e of NNC_EXAMPLES) examples.add(new Option(e.name, e.name));
examples.value = DEFAULT_EXAMPLE;
examples.addEventListener("change", () => setExample(examples.value));
$<HTMLSelectElement>("model").addEventListener("change", (event) => {
  selectedModel = (event.target as HTMLSelectElement).value;
  overrides = new Map();
  void recheck();
});
for (const tab of tabs) $(`tab-button-${tab}`).addEventListener("click", () => selectTab(tab));
$("run").addEventListener("click", () => void run().catch(() => undefined));
$("download-ts").addEventListener("click", () => void download("ts"));
$("download-onnx").addEventListener("click", () => void download("onnx"));
$("download-weights").addEventListener("click", () => void download("safetensors"));
$("clear-digit").addEventListener("click", () => {
  pad.clear();
  $("probabilities").replaceChildren();
  $("prediction").textContent = "";
});
void editor.flush();

/** Hooks for the browser tests and the screenshot script. */
const hooks = {
  /** The latest report, once the current text is checked. */
  checked: async () => checked(),
  editorText: () => editor.text,
  setText: async (text: string) => {
    editor.setText(text);
    return checked();
  },
  setExample: async (name: string) => {
    setExample(name);
    return checked();
  },
  selectTab,
  run,
  emit: async (target: "ts" | "onnx" | "safetensors") => {
    const file = await emittedFile(target);
    return { name: file.name, text: file.text, bytes: Array.from(file.bytes) };
  },
  drawDigit: async (strokes: readonly (readonly [number, number])[][]) => {
    pad.clear();
    for (const stroke of strokes) pad.stroke(stroke);
    return classify();
  },
  digitImage: () => [...pad.image()],
  /** Trains LeNet in the page for `maxSteps` steps of its first epoch (all of them without). */
  train: async (epochs: number, maxSteps?: number) => {
    const run = await trainPanel.start(epochs, maxSteps);
    return { losses: run.losses, stopped: run.stopped, records: run.records, checkpoint: Array.from(run.checkpoint) };
  },
  lastDigit: () => lastDigit,
};
(window as unknown as { __nnc: typeof hooks }).__nnc = hooks;
