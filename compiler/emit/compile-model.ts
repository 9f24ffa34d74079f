/**
 * The compile driver behind `nnc compile` (docs/codegen.md, docs/onnx.md, docs/torch.md), as a library call that the command line,
 * the tests and the language server share: check the file, lower the selected model, run the
 * passes of the mode, match the weights (or make seed-0 initial ones), and emit the target's
 * files. It never throws for bad input: checker diagnostics come back in `check`, every other
 * problem (weights, options) as a message in `errors`, and the caller decides how to print them.
 * Nothing is written to disk here; `files` says what to write.
 */
import { basename } from "node:path";
import { checkSource, type CheckHost, type CheckResult } from "../check/check.js";
import type { CheckedModel } from "../check/model.js";
import { hasErrors } from "../diagnostics/diagnostic.js";
import type { Graph } from "../ir/graph.js";
import { lowerModel } from "../ir/lower.js";
import { INFERENCE_PASSES, UNFUSED_PASSES, runPipeline, type PipelineStep } from "../passes/pipeline.js";
import type { Pass } from "../passes/rewrite.js";
import { printGraph } from "../ir/print.js";
import { matchWeights, type MatchMode } from "../weights/match.js";
import { initialWeights } from "../weights/init.js";
import { readSafetensorsFile, writeSafetensors } from "../../runtime/weights/safetensors.js";
import { WeightsError } from "../../runtime/weights/weights-error.js";
import { emitOnnx } from "./onnx/emit-onnx.js";
import { emitTypeScript, type EmittedFile } from "./ts/emit-ts.js";
import { classifierOf, trainingGraph, type TrainingGraph } from "../train/training-graph.js";
import { emitTorch, TorchFormError } from "./torch/emit-torch.js";
import type { Tensor } from "../../runtime/index.js";

/** What to compile and how; the defaults are `nnc compile`'s. */
export interface CompileRequest {
  /** The `.nn` file, as given (names the outputs and the source comments). */
  readonly path: string;
  /** Its text; read through `host` when absent. */
  readonly text?: string;
  /** Reads the file and its imports. */
  readonly host: CheckHost;
  readonly set?: readonly string[];
  readonly model?: string;
  readonly target?: "ts" | "onnx" | "torch";
  readonly mode?: "inference" | "train";
  /** False for `--no-fuse`. */
  readonly fuse?: boolean;
  /** ONNX opset, 17 to 21 (default 17). */
  readonly opset?: number;
  /** A checkpoint: its file name (for messages) and bytes. */
  readonly weights?: { readonly path: string; readonly bytes: Uint8Array };
  readonly match?: MatchMode;
  /** `--dump-ir[=PASS]`: `lower` (or true) for the lowered graph, a pass name for the graph after it, `all` for every step. */
  readonly dumpIr?: string | true;
  readonly standalone?: boolean;
  readonly js?: boolean;
  /** Where a non-standalone TypeScript module imports the runtime from (default `nnc/runtime`). */
  readonly runtimeModule?: string;
  /**
   * Called once the model has checked, before its weights are read or made: where the command
   * line notes the memory a large model is about to take.
   */
  readonly onChecked?: (model: CheckedModel) => void;
}

/** What compiling produced. */
export interface CompileResult {
  /** True when nothing went wrong: no error diagnostic and no entry in `errors`. */
  readonly ok: boolean;
  /** The front end's result: diagnostics to print, sources to print them with. */
  readonly check: CheckResult;
  /** Problems other than diagnostics, one complete sentence each (every weights problem separately). */
  readonly errors: string[];
  /** Things the user should know, such as compiling with initial weights. */
  readonly notes: string[];
  /** Things that are probably mistakes but do not stop the compilation (a parameter training cannot reach). */
  readonly warnings?: string[];
  /** The `--dump-ir` text, when asked for. */
  readonly dump?: string;
  /** The files to write into the output directory. */
  readonly files: EmittedFile[];
  /** The graph that was emitted (after the mode's passes), when compilation got that far. */
  readonly graph?: Graph;
}

/** The passes names `--dump-ir=PASS` accepts besides `lower` and `all`. */
export const PASS_NAMES: readonly string[] = [...INFERENCE_PASSES.map((p) => p.name), "gradients"];

/**
 * What is wrong with the request itself, whatever the file holds, or undefined: options that
 * contradict each other (`--mode train --target onnx`), an opset outside 17 to 21, a
 * `--dump-ir` pass that does not exist or does not run in the request's mode. The command line
 * reports it as a usage error before it reads anything; `compileModel` returns it in `errors`.
 */
export function requestProblem(request: Pick<CompileRequest, "target" | "mode" | "fuse" | "opset" | "dumpIr">): string | undefined {
  const target = request.target ?? "ts";
  const mode = request.mode ?? "inference";
  if (mode === "train" && target === "onnx") {
    return "--mode train applies to --target ts only: the ONNX model is an inference graph (train in PyTorch, or use the TypeScript module's forward(x, { training: true }))";
  }
  const opset = request.opset;
  if (opset !== undefined && !(Number.isInteger(opset) && opset >= 17 && opset <= 21)) return `--opset must be an integer from 17 to 21, got '${opset}'`;
  if (request.dumpIr === undefined || request.dumpIr === true || ["lower", "all"].includes(request.dumpIr)) return undefined;
  const name = request.dumpIr;
  const runs = [...modePasses(request).map((p) => p.name), ...(mode === "train" && target === "ts" ? ["gradients"] : [])];
  if (runs.includes(name)) return undefined;
  const extra = PASS_NAMES.includes(name) ? ` (${name} does not run in this mode)` : "";
  return `--dump-ir: unknown pass \`${name}\`${extra}; choose one of ${["lower", ...runs, "all"].join(", ")}`;
}

/** The inference passes a request runs: none to train or for PyTorch, the removals alone for `--no-fuse`. */
function modePasses(request: Pick<CompileRequest, "target" | "mode" | "fuse">): readonly Pass[] {
  if (request.mode === "train" || request.target === "torch") return [];
  return request.fuse === false ? UNFUSED_PASSES : INFERENCE_PASSES;
}

/** Compiles one model of one file. */
export async function compileModel(request: CompileRequest): Promise<CompileResult> {
  const errors: string[] = [];
  const notes: string[] = [];
  // Before the file is checked: a request that cannot work, or a file that cannot be read.
  const unchecked = (message: string): CompileResult => {
    const check: CheckResult = { models: [], diagnostics: [], sources: new Map(), programs: new Map() };
    return { ok: false, check, errors: [message], notes, files: [] };
  };
  const problem = requestProblem(request);
  if (problem !== undefined) return unchecked(problem);
  const text = request.text ?? request.host.readFile(request.path);
  if (text === undefined) return unchecked(`cannot read '${request.path}'`);
  const check = checkSource(request.path, text, request.host, { set: request.set, model: request.model });
  const model = check.models[0];
  const fail = (message?: string): CompileResult => ({ ok: false, check, errors: message ? [...errors, message] : errors, notes, files: [] });
  if (hasErrors(check.diagnostics) || !model) return fail();
  request.onChecked?.(model);
  const target = request.target ?? "ts";
  const mode = request.mode ?? "inference";
  if (target === "torch" && mode === "train") notes.push("--mode applies to --target ts; a PyTorch module has train() and eval() modes of its own");
  if (target === "torch" && request.fuse === false) notes.push("--no-fuse applies to --target ts and onnx; the PyTorch module keeps every layer as written");
  const opset = request.opset ?? 17;
  if (target !== "onnx" && request.opset !== undefined) notes.push("--opset applies to --target onnx only; ignored");
  try {
    const lowered = lowerModel(model);
    const { graph, steps } = runPipeline(lowered, modePasses(request));
    const sources = (p: string) => check.sources.get(p);
    const warnings: string[] = [];
    const training = mode === "train" && target === "ts" ? trainingStep(lowered, notes, warnings) : undefined;
    if (training) steps.push({ pass: "gradients", graph: training.graph, changed: true });
    if (request.dumpIr !== undefined) {
      const dump = dumpIr(request.dumpIr, lowered, steps, sources);
      return typeof dump === "string" ? { ok: true, check, errors, notes, dump, files: [], graph } : fail(dump.error);
    }
    const weights = checkpointWeights(model, request, errors, notes);
    if (!weights) return fail();
    const stem = basename(request.path).replace(/\.nn$/, "");
    const files: EmittedFile[] = [];
    if (target === "torch") {
      const classifier = classifierOf(lowered);
      files.push({ name: `${stem}.py`, contents: emitTorch(model, { sourcePath: request.path, sources, classifier }) });
      files.push(checkpointFile(model, weights, request, `${stem}.safetensors`));
    } else if (target === "onnx") {
      const params = new Map<string, Tensor>(model.params.map((p) => [p.name, { shape: [...p.shape], data: weights.get(p.name)! }]));
      const metadata: Record<string, string> = { source: basename(request.path), model: model.name, mode: request.fuse === false ? "unfused" : "fused" };
      for (const s of request.set ?? []) {
        const eq = s.indexOf("=");
        if (eq > 0) metadata[s.slice(0, eq).trim()] = s.slice(eq + 1).trim();
      }
      files.push({ name: `${stem}.onnx`, contents: emitOnnx(graph, params, { opset, sourcePath: request.path, sources, metadata }) });
    } else {
      // The module ships with its checkpoint: the one given, or the seed-0 initial weights.
      const defaultWeights = `${stem}.safetensors`;
      files.push(
        ...(await emitTypeScript(graph, {
          mode,
          fused: request.fuse !== false,
          params: model.params,
          sourcePath: request.path,
          sources,
          defaultWeights,
          stem,
          standalone: request.standalone ?? false,
          js: request.js ?? false,
          runtimeModule: request.runtimeModule,
          training,
        })),
      );
      files.push(checkpointFile(model, weights, request, defaultWeights));
    }
    return { ok: true, check, errors, notes, warnings, files, graph };
  } catch (error) {
    if (error instanceof WeightsError || error instanceof TorchFormError) return fail(error.message);
    const message = error instanceof Error ? error.message : String(error);
    return fail(`internal error while compiling ${model.name}: ${message}`);
  }
}

/** The checkpoint a module ships with: the one given, or the seed-0 initial weights. */
function checkpointFile(model: CheckedModel, weights: ReadonlyMap<string, Float32Array>, request: CompileRequest, name: string): EmittedFile {
  const tensors = model.params.map((p) => ({ name: p.name, shape: p.shape, data: weights.get(p.name)! }));
  const origin = request.weights ? basename(request.weights.path) : "nnc init --seed 0";
  return { name, contents: writeSafetensors(tensors, { source: origin, model: model.name }) };
}

/**
 * The training step of a train-mode module, or undefined (with a note) for a model that cannot
 * train: one with several outputs. Parameters no path to the loss reaches are noted.
 */
function trainingStep(lowered: Graph, notes: string[], warnings: string[]): TrainingGraph | undefined {
  if (lowered.outputs.length !== 1) {
    notes.push(`${lowered.name} returns ${lowered.outputs.length} tensors: the module has forward(x, { training }) but no trainStep, which needs one output`);
    return undefined;
  }
  const training = trainingGraph(lowered);
  if (training.unreached.length > 0) {
    warnings.push(`no path from these parameters to the loss, so trainStep leaves them unchanged: ${training.unreached.join(", ")}`);
  }
  return training;
}

/** The checkpoint's weights by nnc name, or seed-0 initial ones; undefined after problems (in `errors`). */
function checkpointWeights(model: CheckedModel, request: CompileRequest, errors: string[], notes: string[]): Map<string, Float32Array> | undefined {
  if (!request.weights) {
    notes.push(`no --weights given: the outputs carry the initial weights of \`nnc init\` with seed 0 (PyTorch's default initialization), not trained ones`);
    return initialWeights(model, 0);
  }
  const { path, bytes } = request.weights;
  let tensors;
  try {
    tensors = readSafetensorsFile(bytes).tensors;
  } catch (error) {
    errors.push(`${path}: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  const match = matchWeights(model.params, tensors, request.match ?? "name");
  for (const problem of match.problems) errors.push(`${path}: ${problem.message}`);
  if (match.problems.length > 0 && (request.match ?? "name") === "name" && match.problems.every((p) => p.kind === "missing" || p.kind === "unexpected")) {
    errors.push(`(if the checkpoint comes from elsewhere, such as a PyTorch state_dict, --weights-match order pairs tensors by declaration order)`);
  }
  return match.problems.length === 0 ? match.weights : undefined;
}

function dumpIr(
  which: string | true,
  lowered: Graph,
  steps: readonly PipelineStep[],
  sources: Parameters<typeof printGraph>[1],
): string | { error: string } {
  const name = which === true ? "lower" : which;
  if (name === "lower") return printGraph(lowered, sources);
  if (name === "all") {
    const parts = [`# after lower\n${printGraph(lowered, sources)}`];
    for (const step of steps) parts.push(`# after ${step.pass}${step.changed ? "" : " (unchanged)"}\n${printGraph(step.graph, sources)}`);
    return parts.join("\n");
  }
  const step = steps.find((s) => s.pass === name);
  if (step) return printGraph(step.graph, sources);
  const known = ["lower", ...steps.map((s) => s.pass), "all"];
  const extra = PASS_NAMES.includes(name) ? ` (${name} does not run in this mode)` : "";
  return { error: `--dump-ir: unknown pass \`${name}\`${extra}; choose one of ${known.join(", ")}` };
}
