/**
 * Malformed option values are usage errors: exit 2 and one line `nnc: error: ...`, before the
 * command reads or writes anything. A number must be plain decimal digits ('', '-0', '0x11' and
 * '1e400' are not numbers here, though JavaScript's `Number` reads them), and an output path
 * must not be empty.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";

const ONNX = ["compile", "examples/mlp.nn", "--target", "onnx", "--dump-ir"];
const INIT = ["init", "examples/mlp.nn", "-o", "never-written.safetensors"];

const CASES: readonly { args: string[]; message: string }[] = [
  { args: [...ONNX, "--opset", ""], message: "--opset must be an integer from 17 to 21, got ''" },
  { args: [...ONNX, "--opset", "-0"], message: "--opset must be an integer from 17 to 21, got '-0'" },
  { args: [...ONNX, "--opset", "0x11"], message: "--opset must be an integer from 17 to 21, got '0x11'" },
  { args: [...ONNX, "--opset", "1e400"], message: "--opset must be an integer from 17 to 21, got '1e400'" },
  { args: [...ONNX, "--opset", "17.0"], message: "--opset must be an integer from 17 to 21, got '17.0'" },
  { args: [...ONNX, "--opset", " 17"], message: "--opset must be an integer from 17 to 21, got ' 17'" },
  { args: [...INIT, "--seed", ""], message: "--seed must be a non-negative integer, got ''" },
  { args: [...INIT, "--seed", "-1"], message: "--seed must be a non-negative integer, got '-1'" },
  { args: [...INIT, "--seed", "0x10"], message: "--seed must be a non-negative integer, got '0x10'" },
  { args: [...INIT, "--seed", "99999999999999999999"], message: "--seed must be a non-negative integer, got '99999999999999999999'" },
  { args: ["init", "examples/mlp.nn", "-o", ""], message: "-o/--output needs a path, got ''" },
  { args: ["compile", "examples/mlp.nn", "-o", ""], message: "-o/--output needs a path, got ''" },
  { args: ["graph", "examples/mlp.nn", "-o", ""], message: "-o/--output needs a path, got ''" },
  { args: ["check", "examples/mlp.nn", "--root", ""], message: "--root needs a directory, got ''" },
  { args: ["check", "examples/mlp.nn", "--root", "examples/mlp.nn"], message: "--root 'examples/mlp.nn' is not a directory" },
];

describe("malformed option values", () => {
  for (const { args, message } of CASES) {
    it(`nnc ${args.map((a) => JSON.stringify(a)).join(" ")}`, async () => {
      const run = await runCli(args);
      expect([run.code, run.stdout, run.stderr]).toEqual([2, "", `nnc: error: ${message}\n`]);
    });
  }

  it("commander's own usage errors use the same prefix", async () => {
    const run = await runCli(["check", "examples/mlp.nn", "--no-such-option"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^nnc: error: unknown option '--no-such-option'\n/);
  });

  it("a well-formed value passes: --opset 021 is 21, --root . is a directory", async () => {
    expect((await runCli([...ONNX, "--opset", "021"])).code).toBe(0);
    expect((await runCli(["check", "examples/mlp.nn", "--root", "."])).code).toBe(0);
  });
});
