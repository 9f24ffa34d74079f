/**
 * The `nnc` command line (README, "Commands"), on commander. Each command is a small function that
 * returns its exit code: 0 success, 1 diagnostics with errors (or `fmt --check` finding
 * unformatted files), 2 a usage error (`nnc: error: ...`: an unknown option or command, an option
 * value `options.ts` refuses before any command runs, options that contradict each other, and a
 * `--set` or `--model` the file cannot take). Nothing here throws to the user: an unexpected
 * exception is reported as an internal error in one line, without a stack trace.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { processIo, type CliIo } from "./io.js";
import {
  checkPath,
  closingLines,
  jsonDiagnostics,
  printDiagnostics,
  printFileDiagnostics,
  unreadable,
  type ModelOptions,
} from "./front-end.js";
import type { CheckedModel } from "../check/model.js";
import { paramsListing, summaryTable } from "./tables.js";
import { format } from "../format/format.js";
import { graphDot, graphSvg } from "../emit/picture/graph-picture.js";
import { VERSION } from "../version.js";
import { registerCompileCommands } from "./compile.js";
import { registerTrainCommand } from "./train.js";
import { registerPlaygroundCommand } from "./playground.js";
import { checkOptionValues, UsageError } from "./options.js";

/** The commands that check a file and so read its imports: each takes `--root`. */
const IMPORTING_COMMANDS = ["check", "summary", "params", "graph", "compile", "init", "train"];

/** Runs the command line on `argv` (without `node` and the script) and returns the exit code. */
export async function main(argv: string[], baseIo: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  // A copy, so that `--root` can set where imports may be read from for this run only.
  const io: CliIo = { ...baseIo };
  const program = new Command("nnc")
    .description("Compiler for .nn neural-network descriptions")
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr, outputError: (text, write) => write(`nnc: ${text}`) })
    .showHelpAfterError("(run `nnc --help` for usage)");

  program
    .command("check")
    .description("parse and type-check files; print every diagnostic")
    .argument("<files...>", ".nn files, or directories: the .nn files in them and their subdirectories")
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
    .addOption(setOption())
    .option("--model <name>", "check only this model")
    .action((files: string[], opts: ModelOptions & { format: string }) => {
      exitCode = check(files, opts, io);
    });

  program
    .command("summary")
    .description("per layer: path, kind, output shape, parameter count, FLOPs; totals")
    .argument("<file>", "an .nn file")
    .addOption(setOption())
    .option("--model <name>", "the model to summarize (default: the only or the last)")
    .action((file: string, opts: ModelOptions) => {
      exitCode = withModel(file, opts, io, summaryTable);
    });

  program
    .command("params")
    .description("every parameter and buffer name with its shape, in declaration order")
    .argument("<file>", "an .nn file")
    .addOption(setOption())
    .option("--model <name>", "the model to list (default: the only or the last)")
    .action((file: string, opts: ModelOptions) => {
      exitCode = withModel(file, opts, io, paramsListing);
    });

  program
    .command("graph")
    .description("a picture of the layer graph: SVG, or Graphviz DOT")
    .argument("<file>", "an .nn file")
    .option("-o, --output <file>", "write the picture here (default: print it)")
    .addOption(new Option("--format <format>", "picture format (default: from the -o extension, else svg)").choices(["svg", "dot"]))
    .addOption(setOption())
    .option("--model <name>", "the model to draw (default: the only or the last)")
    .action((file: string, opts: ModelOptions & { output?: string; format?: string }) => {
      exitCode = graph(file, opts, io);
    });

  program
    .command("fmt")
    .description("rewrite files in the canonical layout")
    .argument("<files...>", ".nn files, or directories: the .nn files in them and their subdirectories")
    .option("--check", "write nothing; exit 1 if a file is not formatted")
    .option("--stdout", "print the formatted text instead of rewriting the file")
    .action((files: string[], opts: { check?: boolean; stdout?: boolean }) => {
      exitCode = fmt(files, opts, io);
    });

  registerCompileCommands(program, io, setOption, (code) => {
    exitCode = code;
  });
  registerTrainCommand(program, io, setOption, (code) => {
    exitCode = code;
  });

  for (const command of program.commands.filter((c) => IMPORTING_COMMANDS.includes(c.name()))) {
    command.option("--root <dir>", "the directory imports must stay inside (default: the file's directory)");
  }
  program.hook("preAction", (_program, command) => {
    const opts = command.opts<Record<string, unknown>>();
    checkOptionValues(opts);
    if (typeof opts.root === "string") io.root = opts.root;
  });

  registerPlaygroundCommand(program, io, (code) => {
    exitCode = code;
  });

  program
    .command("lsp")
    .description("the language server (LSP over stdio)")
    .option("--stdio", "talk over stdin and stdout (the only transport; accepted for editors that pass it)")
    .action(async () => {
      // Loaded on demand: the other commands need none of the protocol libraries.
      const { startLanguageServer } = await import("../lsp/server.js");
      exitCode = await startLanguageServer();
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    if (error instanceof UsageError) {
      for (const line of error.message.split("\n")) io.stderr(`nnc: error: ${line}\n`);
      return 2;
    }
    io.stderr(`nnc: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    io.stderr("This is a bug in nnc; please report it with the input that caused it.\n");
    return 70;
  }
}

function setOption(): Option {
  return new Option("--set <name=expr>", "override a model parameter or `norm` (repeatable)").argParser(
    (value: string, previous: string[] = []) => [...previous, value],
  );
}

/** `nnc check`: every model of every file; diagnostics to stderr, or all of them as JSON. */
function check(files: string[], opts: ModelOptions & { format: string }, io: CliIo): number {
  let status = 0;
  const json = [];
  for (const file of files) {
    const { result, status: fileStatus } = checkPath(file, io, { set: opts.set, model: opts.model, allModels: opts.model === undefined });
    status = Math.max(status, fileStatus);
    if (opts.format === "json") {
      json.push(...jsonDiagnostics(result));
      continue;
    }
    printDiagnostics(io, result, opts);
    const closing = closingLines(file, result);
    if (closing.stderr) io.stderr(closing.stderr);
    if (closing.stdout) io.stdout(closing.stdout);
  }
  if (opts.format === "json") io.stdout(JSON.stringify(json, null, 2) + "\n");
  return status;
}

/** Checks `file`, then prints what `print` makes of its selected model. */
function withModel(file: string, opts: ModelOptions, io: CliIo, print: (model: CheckedModel) => string): number {
  const { result, ok, status } = checkPath(file, io, { set: opts.set, model: opts.model });
  printDiagnostics(io, result, opts);
  const model = result.models[0];
  if (!ok || !model) return status || 1;
  io.stdout(print(model));
  return 0;
}

/** `nnc graph`: the picture on stdout, or in the `-o` file. */
function graph(file: string, opts: ModelOptions & { output?: string; format?: string }, io: CliIo): number {
  const { result, ok, status } = checkPath(file, io, { set: opts.set, model: opts.model });
  printDiagnostics(io, result, opts);
  const model = result.models[0];
  if (!ok || !model) return status || 1;
  const format = opts.format ?? (opts.output?.endsWith(".dot") ? "dot" : "svg");
  const picture = format === "dot" ? graphDot(model) : graphSvg(model);
  if (opts.output === undefined) {
    io.stdout(picture);
    return 0;
  }
  try {
    io.writeFile(opts.output, picture);
  } catch (error) {
    io.stderr(`nnc: error: cannot write '${opts.output}': ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  return 0;
}

/** `path` itself, or when it is a directory the `.nn` files under it, sorted (`nnc fmt --check examples`). */
function nnFilesUnder(path: string): string[] {
  if (!isDirectory(path)) return [path];
  return readdirSync(path, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".nn"))
    .map((name) => join(path, name))
    .filter((file) => !isDirectory(file))
    .sort();
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** `nnc fmt`: rewrite, `--check` or `--stdout`; a file with syntax errors is left alone. */
function fmt(paths: string[], opts: { check?: boolean; stdout?: boolean }, io: CliIo): number {
  let status = 0;
  for (const file of paths.flatMap(nnFilesUnder)) {
    const text = io.readFile(file);
    const formatted = text === undefined ? undefined : format(text, file);
    if (text === undefined || !formatted || formatted.diagnostics.length > 0) {
      const diagnostics = formatted?.diagnostics ?? [unreadable(file, io)];
      printFileDiagnostics(io, file, text, diagnostics);
      status = 1;
      continue;
    }
    if (opts.stdout) io.stdout(formatted.text);
    else if (opts.check) {
      if (formatted.text !== text) {
        io.stdout(`${file}: not formatted\n`);
        status = 1;
      }
    } else if (formatted.text !== text) io.writeFile(file, formatted.text);
  }
  return status;
}
