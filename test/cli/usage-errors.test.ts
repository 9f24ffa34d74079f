/**
 * Every kind of usage error exits 2, and the first line it prints is `nnc: error: ...`: an option
 * value out of range, options that contradict each other, a `--dump-ir` pass that does not exist
 * or does not run in the mode, a malformed `--set` or one the model cannot take, an unknown
 * `--model` (without quoting a line of the file, which it did not come from), an unknown option or
 * command. A usage error comes before reading the file. A file that cannot be read is not a usage
 * error: it is diagnostic E0001 (exit 1) on every command.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const MLP = "examples/mlp.nn";

const USAGE_ERRORS: readonly { args: string[]; first: string }[] = [
  { args: ["compile", MLP, "--target", "onnx", "--opset", "0x11"], first: "nnc: error: --opset must be an integer from 17 to 21, got '0x11'" },
  { args: ["compile", MLP, "--target", "onnx", "--opset", "99"], first: "nnc: error: --opset must be an integer from 17 to 21, got '99'" },
  { args: ["compile", MLP, "--dump-ir=bogus"], first: "nnc: error: --dump-ir: unknown pass `bogus`; choose one of lower, freeze-running-statistics, remove-dropout, remove-identity, normalization-to-affine, fold-affine-into-conv, fuse-activation, dead-code, all" },
  { args: ["compile", MLP, "--mode", "train", "--dump-ir=fuse-activation"], first: "nnc: error: --dump-ir: unknown pass `fuse-activation` (fuse-activation does not run in this mode); choose one of lower, gradients, all" },
  { args: ["compile", MLP, "--mode", "train", "--target", "onnx"], first: "nnc: error: --mode train applies to --target ts only: the ONNX model is an inference graph (train in PyTorch, or use the TypeScript module's forward(x, { training: true }))" },
  { args: ["compile", "no/such/file.nn", "--mode", "train", "--target", "onnx"], first: "nnc: error: --mode train applies to --target ts only: the ONNX model is an inference graph (train in PyTorch, or use the TypeScript module's forward(x, { training: true }))" },
  { args: ["check", MLP, "--set", "width"], first: "nnc: error: --set expects NAME=EXPRESSION, got 'width'" },
  { args: ["summary", MLP, "--set", "=3"], first: "nnc: error: --set expects NAME=EXPRESSION, got '=3'" },
  { args: ["compile", "examples/resnet20.nn", "--set", "width=(", "--dump-ir"], first: "nnc: error: --set width=(: the value does not parse: expected an expression, found the end of the file" },
  { args: ["params", "examples/resnet20.nn", "--set", "depth=3"], first: "nnc: error: --set depth=3: model ResNet20 has no parameter `depth` (its parameters: width)" },
  { args: ["check", MLP, "--model", "Nope"], first: "nnc: error: --model Nope: no model of that name in examples/mlp.nn; its models: Mlp" },
  { args: ["compile", MLP, "--model", "Nope", "--dump-ir"], first: "nnc: error: --model Nope: no model of that name in examples/mlp.nn; its models: Mlp" },
  { args: ["init", MLP, "-o", "never-written.safetensors", "--model", "Nope"], first: "nnc: error: --model Nope: no model of that name in examples/mlp.nn; its models: Mlp" },
  { args: ["graph", MLP, "--model", "Nope"], first: "nnc: error: --model Nope: no model of that name in examples/mlp.nn; its models: Mlp" },
  { args: ["train", MLP, "--data", "mnist", "-o", "never-written", "--model", "Nope"], first: "nnc: error: --model Nope: no model of that name in examples/mlp.nn; its models: Mlp" },
  { args: ["compile", MLP, "--target", "wasm"], first: "nnc: error: option '--target <target>' argument 'wasm' is invalid. Allowed choices are ts, onnx, torch." },
  { args: ["check", MLP, "--frobnicate"], first: "nnc: error: unknown option '--frobnicate'" },
  { args: ["frobnicate"], first: "nnc: error: unknown command 'frobnicate'" },
];

const UNREADABLE: readonly string[][] = [
  ["check", "no/such/file.nn"],
  ["summary", "no/such/file.nn"],
  ["compile", "no/such/file.nn"],
  ["init", "no/such/file.nn", "-o", "never-written.safetensors"],
  ["train", "no/such/file.nn", "--data", "mnist", "-o", "never-written"],
];

function firstLine(text: string): string {
  return text.split("\n")[0];
}

describe("usage errors: exit 2, first line `nnc: error: ...`", () => {
  for (const { args, first } of USAGE_ERRORS) {
    it(`nnc ${args.join(" ")}`, async () => {
      const run = await runCli(args);
      expect([run.code, firstLine(run.stderr), run.stdout]).toEqual([2, first, ""]);
      expect(run.stderr).not.toMatch(/^\s*\d+ \|/m);
    });
  }
});

describe("a file that cannot be read: E0001, exit 1", () => {
  for (const args of UNREADABLE) {
    it(`nnc ${args.join(" ")}`, async () => {
      const run = await runCli(args);
      expect([run.code, firstLine(run.stderr)]).toEqual([1, "no/such/file.nn: error[E0001]: cannot read 'no/such/file.nn': no such file"]);
    });
  }
});
