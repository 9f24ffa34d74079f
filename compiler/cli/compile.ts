/**
 * `nnc compile` and `nnc init` (README, "Commands"): the command-line ends of `compileModel` and of
 * `initialWeightsFile`. They read the checkpoint, print diagnostics, errors and notes, and write
 * the emitted files; every problem becomes a message and an exit code, never a stack trace.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, Option } from "commander";
import type { CheckedModel } from "../check/model.js";
import type { MatchMode } from "../weights/match.js";
import { initialWeightsFile } from "../weights/init.js";
import { WeightsError } from "../../runtime/weights/weights-error.js";
import { checkPath, isUsageError, printDiagnostics, printFileDiagnostics, unreadable, type ModelOptions } from "./front-end.js";
import { checkHost, type CliIo } from "./io.js";
import { UsageError } from "./options.js";

/** The options of `nnc compile`, as commander parses them. */
export interface CompileOptions extends ModelOptions {
  output?: string;
  target: "ts" | "onnx" | "torch";
  weights?: string;
  weightsMatch: MatchMode;
  mode: "inference" | "train";
  fuse: boolean;
  opset?: string;
  dumpIr?: string | true;
  standalone?: boolean;
  js?: boolean;
}

/** Adds `compile` and `init` to `program`; `done` receives each command's exit code. */
export function registerCompileCommands(program: Command, io: CliIo, setOption: () => Option, done: (code: number) => void): void {
  program
    .command("compile")
    .description("emit a TypeScript module (or an ONNX model, or a PyTorch module) for a model")
    .argument("<file>", "an .nn file")
    .option("-o, --output <dir>", "output directory (default: the current directory)")
    .addOption(new Option("--target <target>", "what to emit").choices(["ts", "onnx", "torch"]).default("ts"))
    .option("--weights <file>", "a safetensors checkpoint, checked now and shipped with the module")
    .addOption(new Option("--weights-match <how>", "pair checkpoint tensors with parameters by name or by declaration order").choices(["name", "order"]).default("name"))
    .addOption(setOption())
    .option("--model <name>", "the model to compile (default: the only or the last)")
    .addOption(new Option("--mode <mode>", "inference (folded) or train (batch statistics, dropout)").choices(["inference", "train"]).default("inference"))
    .option("--no-fuse", "keep normalizations as they are (no folding into convolutions)")
    .option("--opset <n>", "ONNX opset, 17 to 21 (default 17)")
    .option("--dump-ir [pass]", "print the IR after lowering, after the named pass, or `all` steps; writes nothing")
    .option("--standalone", "inline the runtime kernels the model uses: a module with no imports")
    .option("--js", "write .js and .d.ts instead of .ts")
    .action(async (file: string, opts: CompileOptions) => {
      done(await compile(file, opts, io));
    });

  program
    .command("init")
    .description("write random initial weights (PyTorch's default schemes), reproducible by seed")
    .argument("<file>", "an .nn file")
    .requiredOption("-o, --output <file>", "the safetensors file to write")
    .option("--seed <n>", "a non-negative integer", "0")
    .addOption(setOption())
    .option("--model <name>", "the model (default: the only or the last)")
    .action((file: string, opts: ModelOptions & { output: string; seed: string }) => {
      done(init(file, opts, io));
    });
}

/**
 * `nnc compile`: 0 when the files were written (or the IR printed), 1 on any problem of the file
 * or the checkpoint, 2 (a `UsageError`) when the options cannot work together, checked first.
 */
export async function compile(file: string, opts: CompileOptions, io: CliIo): Promise<number> {
  // A malformed --opset never gets here: main's option check refuses it (exit 2).
  const opset = opts.opset === undefined ? undefined : Number(opts.opset);
  // Loaded on demand: the emitters bring ts-morph and prettier, which other commands do not need.
  const { compileModel, requestProblem } = await import("../emit/compile-model.js");
  const problem = requestProblem({ target: opts.target, mode: opts.mode, fuse: opts.fuse, opset, dumpIr: opts.dumpIr });
  if (problem !== undefined) throw new UsageError(problem);
  const text = io.readFile(file);
  if (text === undefined) {
    printFileDiagnostics(io, file, undefined, [unreadable(file, io)]);
    return 1;
  }
  let weights: { path: string; bytes: Uint8Array } | undefined;
  if (opts.weights !== undefined) {
    try {
      weights = { path: opts.weights, bytes: readFileSync(resolve(opts.weights)) };
    } catch (error) {
      io.stderr(`nnc: error: cannot read weights file '${opts.weights}': ${reason(error)}\n`);
      return 1;
    }
  }
  const result = await compileModel({
    path: file,
    text,
    host: checkHost(io),
    set: opts.set,
    model: opts.model,
    target: opts.target,
    mode: opts.mode,
    fuse: opts.fuse,
    opset,
    weights,
    match: opts.weightsMatch,
    dumpIr: opts.dumpIr,
    standalone: opts.standalone,
    js: opts.js,
    onChecked: (model) => noteLargeWeights(io, model, "compile"),
  });
  printDiagnostics(io, result.check, opts);
  for (const error of result.errors) io.stderr(`nnc: error: ${error}\n`);
  if (!result.ok) return result.check.diagnostics.some((d) => isUsageError(d, opts)) ? 2 : 1;
  for (const warning of result.warnings ?? []) io.stderr(`nnc: warning: ${warning}\n`);
  for (const note of result.notes) io.stderr(`nnc: note: ${note}\n`);
  if (result.dump !== undefined) {
    io.stdout(result.dump);
    return 0;
  }
  const dir = opts.output ?? ".";
  try {
    mkdirSync(resolve(dir), { recursive: true });
    for (const f of result.files) writeFileSync(resolve(join(dir, f.name)), f.contents);
  } catch (error) {
    io.stderr(`nnc: error: cannot write to '${dir}': ${reason(error)}\n`);
    return 1;
  }
  io.stdout(result.files.map((f) => `wrote ${join(dir, f.name)}\n`).join(""));
  return 0;
}

/** `nnc init`: writes seeded initial weights in declaration order. */
export function init(file: string, opts: ModelOptions & { output: string; seed: string }, io: CliIo): number {
  // A malformed --seed never gets here: main's option check refuses it (exit 2).
  const seed = Number(opts.seed);
  const { result, ok, status } = checkPath(file, io, { set: opts.set, model: opts.model });
  printDiagnostics(io, result, opts);
  const model = result.models[0];
  if (!ok || !model) return status || 1;
  noteLargeWeights(io, model, "init");
  try {
    writeFileSync(resolve(opts.output), initialWeightsFile(model, seed));
  } catch (error) {
    io.stderr(`nnc: error: ${error instanceof WeightsError ? error.message : `cannot write '${opts.output}': ${reason(error)}`}\n`);
    return 1;
  }
  io.stdout(`wrote ${opts.output} (${model.params.length} tensors, seed ${seed})\n`);
  return 0;
}

/** Weights above this many bytes earn a note before a command allocates them (1 GiB). */
export const LARGE_WEIGHTS_BYTES = 2 ** 30;

/**
 * The note `init` and `compile` print before they allocate a large model's weights, or
 * undefined below `LARGE_WEIGHTS_BYTES`. Both hold every float32 parameter and buffer and the
 * bytes of the checkpoint they write at the same time, so they need about twice the weights.
 */
export function largeWeightsNote(model: CheckedModel, command: "init" | "compile"): string | undefined {
  const values = model.params.reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
  const bytes = 4 * values;
  if (bytes <= LARGE_WEIGHTS_BYTES) return undefined;
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`;
  return `${model.name} has ${values.toLocaleString("en-US")} parameter and buffer values, ${gib(bytes)} as float32; ${command} holds them and the checkpoint it writes in memory at once, about ${gib(2 * bytes)}`;
}

function noteLargeWeights(io: CliIo, model: CheckedModel | undefined, command: "init" | "compile"): void {
  const note = model && largeWeightsNote(model, command);
  if (note) io.stderr(`nnc: note: ${note}\n`);
}

function reason(error: unknown): string {
  const e = error as { code?: string; message?: string };
  return e.code === "ENOENT" ? "no such file or directory" : e.code === "EISDIR" ? "it is a directory" : (e.message ?? String(error));
}
