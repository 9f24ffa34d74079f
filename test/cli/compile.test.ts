/**
 * `nnc compile` and `nnc init` end to end, in-process: the files they write, the notes and errors
 * they print (every weights problem named, never a stack trace), `--dump-ir` (golden, with the
 * refusal notes of fold-affine-into-conv), and a PyTorch checkpoint matched by order.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { readSafetensors, writeSafetensors } from "../../runtime/weights/safetensors.js";
import { expectBaseline } from "../support/baseline.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../emit/support.js";

const REFUSALS = "test/cases/compile/refusals.nn";
const TORCH_SEQ = "test/cases/compile/torch_seq.nn";
const TORCH_DIR = "test/fixtures/weights";

/** No stack trace and no internal error in what the command printed. */
function expectClean(stderr: string): void {
  expect(stderr).not.toMatch(/^\s+at\s/m);
  expect(stderr).not.toContain("internal error");
}

/** MLP parameters (`nnc params examples/mlp.nn`) as a checkpoint, with `edit` applied. */
function mlpCheckpoint(edit: (tensors: { name: string; shape: number[]; data: Float32Array }[]) => void): string {
  const listing = [
    ["dense0.weight", [512, 784]], ["dense0.bias", [512]], ["batch0.weight", [512]], ["batch0.bias", [512]], ["batch0.running_mean", [512]], ["batch0.running_var", [512]],
    ["dense1.weight", [256, 512]], ["dense1.bias", [256]], ["batch1.weight", [256]], ["batch1.bias", [256]], ["batch1.running_mean", [256]], ["batch1.running_var", [256]],
    ["dense2.weight", [128, 256]], ["dense2.bias", [128]], ["batch2.weight", [128]], ["batch2.bias", [128]], ["batch2.running_mean", [128]], ["batch2.running_var", [128]],
    ["dense3.weight", [10, 128]], ["dense3.bias", [10]],
  ] as const;
  const tensors = listing.map(([name, shape]) => ({ name, shape: [...shape], data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5) }));
  edit(tensors);
  const path = join(tempDir("ckpt"), "mlp.safetensors");
  writeFileSync(path, writeSafetensors(tensors));
  return path;
}

describe("nnc compile", () => {
  it("writes the module and its seed-0 checkpoint, with a note on stderr", async () => {
    const out = tempDir("compile");
    const run = await runCli(["compile", "examples/lenet.nn", "-o", out]);
    expect(run.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["lenet.safetensors", "lenet.ts"]);
    expect(run.stdout).toBe(`wrote ${join(out, "lenet.ts")}\nwrote ${join(out, "lenet.safetensors")}\n`);
    expect(run.stderr).toContain("nnc: note: no --weights given");
    expect(readFileSync(join(out, "lenet.ts"), "utf8")).toContain('from "nnc/runtime"');
  });

  it("--js writes .js and .d.ts; --standalone imports nothing", async () => {
    const out = tempDir("compile-js");
    expect((await runCli(["compile", "examples/mlp.nn", "-o", out, "--js", "--standalone"])).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["mlp.d.ts", "mlp.js", "mlp.safetensors"]);
    expect(readFileSync(join(out, "mlp.js"), "utf8")).not.toMatch(/^import /m);
  });

  it("--dump-ir prints the lowered graph and writes nothing", async () => {
    const out = tempDir("dump");
    const run = await runCli(["compile", REFUSALS, "--dump-ir", "-o", out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("BatchNormalization(");
    // The lowered graph keeps training semantics: each batch norm also outputs its new running statistics.
    expect(run.stdout).toMatch(/\(batch0, batch0\.new_running_mean, batch0\.new_running_var\) = BatchNormalization\(/);
    expect(run.stdout).toContain("writes back: batch0.new_running_mean -> batch0.running_mean, batch0.new_running_var -> batch0.running_var");
    expect(readdirSync(out)).toEqual([]);
  });

  it("--dump-ir=fold-affine-into-conv shows why each normalization was kept (golden)", async () => {
    const run = await runCli(["compile", REFUSALS, "--dump-ir=fold-affine-into-conv"]);
    expect(run.code).toBe(0);
    expect(run.stdout.match(/note: normalization-to-affine: not folded/g)).toHaveLength(3);
    expectBaseline("test/baselines/compile/refusals.dump-ir.txt", run.stdout);
  });

  it("--dump-ir with an unknown pass lists the passes (a usage error)", async () => {
    const run = await runCli(["compile", REFUSALS, "--dump-ir=fold-everything"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--dump-ir: unknown pass `fold-everything`; choose one of lower, freeze-running-statistics, remove-dropout");
    const train = await runCli(["compile", REFUSALS, "--mode", "train", "--dump-ir=fuse-activation"]);
    expect(train.stderr).toContain("(fuse-activation does not run in this mode)");
  });

  it("refuses --mode train for ONNX, bad options, unreadable and ill-typed files, without a stack trace", async () => {
    const train = await runCli(["compile", "examples/mlp.nn", "--mode", "train", "--target", "onnx"]);
    expect(train.code).toBe(2);
    expect(train.stderr).toContain("--mode train applies to --target ts only");
    const opset = await runCli(["compile", "examples/mlp.nn", "--target", "onnx", "--opset", "abc"]);
    expect(opset.code).toBe(2);
    const range = await runCli(["compile", "examples/mlp.nn", "--target", "onnx", "--opset", "12"]);
    expect(range.code).toBe(2);
    expect(range.stderr).toContain("--opset must be an integer from 17 to 21, got '12'");
    const missing = await runCli(["compile", "no/such/model.nn"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("error[E0001]: cannot read 'no/such/model.nn'");
    const bad = join(tempDir("bad"), "bad.nn");
    writeFileSync(bad, "model M(x: [N, 3]) {\n  return x -> conv(4, 3)\n}\n");
    const ill = await runCli(["compile", bad]);
    expect(ill.code).toBe(1);
    expect(ill.stderr).toMatch(/error\[E\d+\]/);
    const mode = await runCli(["compile", "examples/mlp.nn", "--mode", "fast"]);
    expect(mode.code).toBe(2);
    for (const run of [train, opset, range, missing, ill, mode]) expectClean(run.stderr);
  });
});

describe("nnc compile --weights", () => {
  const cases: [string, (t: { name: string; shape: number[]; data: Float32Array }[]) => void, string[]][] = [
    ["a missing parameter", (t) => t.splice(3, 1), ["model parameter `batch0.bias` [512] is missing from the checkpoint"]],
    ["an unexpected tensor", (t) => t.push({ name: "head.weight", shape: [2], data: new Float32Array(2) }), ["checkpoint tensor `head.weight` [2] matches no model parameter"]],
    ["a wrong shape", (t) => (t[19] = { name: "dense3.bias", shape: [11], data: new Float32Array(11) }), ["model parameter `dense3.bias` has shape [10], but the checkpoint's tensor has shape [11]"]],
    ["non-finite values", (t) => (t[5].data[7] = Infinity), ["model parameter `batch0.running_var` has 1 non-finite value, the first Infinity at flat index 7"]],
    [
      "several problems at once",
      (t) => {
        t.splice(0, 1);
        t[0].data[0] = NaN;
      },
      ["model parameter `dense0.weight` [512,784] is missing", "model parameter `dense0.bias` has 1 non-finite value"],
    ],
  ];

  it.each(cases)("reports %s naming the parameter, writes nothing, exits 1", async (_, edit, messages) => {
    const out = tempDir("weights-error");
    const run = await runCli(["compile", "examples/mlp.nn", "--weights", mlpCheckpoint(edit), "-o", out]);
    expect(run.code).toBe(1);
    for (const m of messages) expect(run.stderr).toContain(m);
    expect(readdirSync(out)).toEqual([]);
    expectClean(run.stderr);
  });

  it("reports a count mismatch when matching by order", async () => {
    const run = await runCli(["compile", "examples/mlp.nn", "--weights-match", "order", "--weights", mlpCheckpoint((t) => t.pop())]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("the model has 20 parameters but the checkpoint has 19 tensors");
    expect(run.stderr).toContain("model parameter `dense3.bias` has no partner");
  });

  it("reports a malformed or unreadable checkpoint", async () => {
    const junk = join(tempDir("junk"), "junk.safetensors");
    writeFileSync(junk, "definitely not safetensors");
    const malformed = await runCli(["compile", "examples/mlp.nn", "--weights", junk]);
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toContain("junk.safetensors: not a safetensors file");
    const unreadable = await runCli(["compile", "examples/mlp.nn", "--weights", "no/such.safetensors"]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain("cannot read weights file 'no/such.safetensors': no such file or directory");
    for (const run of [malformed, unreadable]) expectClean(run.stderr);
  });

  it("loads a PyTorch state_dict with --weights-match order, shipping it under nnc names", async () => {
    const byName = await runCli(["compile", TORCH_SEQ, "--weights", `${TORCH_DIR}/torch-sorted.safetensors`]);
    expect(byName.code).toBe(1);
    expect(byName.stderr).toContain("model parameter `conv0.weight` [4,3,3,3] is missing from the checkpoint");
    expect(byName.stderr).toContain("--weights-match order pairs tensors by declaration order");

    const expected = JSON.parse(readFileSync(`${TORCH_DIR}/torch-expected.json`, "utf8")) as { tensors: Record<string, { values: number[] }> };
    const torchNames = ["0.weight", "1.weight", "1.bias", "1.running_mean", "1.running_var", "4.weight", "4.bias"];
    const nncNames = ["conv0.weight", "batch0.weight", "batch0.bias", "batch0.running_mean", "batch0.running_var", "dense0.weight", "dense0.bias"];
    for (const fixture of ["torch-sorted.safetensors", "torch-declared.safetensors"]) {
      const out = tempDir("torch");
      const run = await runCli(["compile", TORCH_SEQ, "--weights", `${TORCH_DIR}/${fixture}`, "--weights-match", "order", "-o", out]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toBe("");
      const shipped = readSafetensors(new Uint8Array(readFileSync(join(out, "torch_seq.safetensors"))));
      expect([...shipped.keys()]).toEqual(nncNames);
      nncNames.forEach((name, i) => expect(shipped.get(name)!.data, name).toEqual(new Float32Array(expected.tensors[torchNames[i]].values)));
    }
  });

  it("the module compiled with --weights loads that checkpoint by default", async () => {
    const out = tempDir("default-weights");
    const run = await runCli(["compile", TORCH_SEQ, "--weights", `${TORCH_DIR}/torch-sorted.safetensors`, "--weights-match", "order", "--standalone", "--js", "-o", out]);
    expect(run.code).toBe(0);
    const module = (await import(pathToFileURL(join(out, "torch_seq.js")).href)) as { load(): Promise<{ state(): Record<string, Float32Array> }> };
    const state = (await module.load()).state();
    const expected = JSON.parse(readFileSync(`${TORCH_DIR}/torch-expected.json`, "utf8")) as { tensors: Record<string, { values: number[] }> };
    expect(state["batch0.running_var"]).toEqual(new Float32Array(expected.tensors["1.running_var"].values));
  });
});

describe("nnc init", () => {
  it("writes initial weights reproducibly by seed", async () => {
    const dir = tempDir("init");
    const a = join(dir, "a.safetensors");
    const b = join(dir, "b.safetensors");
    const c = join(dir, "c.safetensors");
    expect((await runCli(["init", "examples/lenet.nn", "-o", a, "--seed", "7"])).code).toBe(0);
    expect((await runCli(["init", "examples/lenet.nn", "-o", b, "--seed", "7"])).code).toBe(0);
    const run = await runCli(["init", "examples/lenet.nn", "-o", c]);
    expect(run.stdout).toBe(`wrote ${c} (10 tensors, seed 0)\n`);
    expect(readFileSync(a)).toEqual(readFileSync(b));
    expect(readFileSync(a)).not.toEqual(readFileSync(c));
    expect([...readSafetensors(new Uint8Array(readFileSync(a))).keys()][0]).toBe("conv0.weight");
  });

  it("rejects a bad seed, a missing -o and an unwritable path", async () => {
    expect((await runCli(["init", "examples/lenet.nn", "-o", "x.safetensors", "--seed", "-1"])).code).toBe(2);
    expect((await runCli(["init", "examples/lenet.nn", "-o", "x.safetensors", "--seed", "1.5"])).code).toBe(2);
    expect((await runCli(["init", "examples/lenet.nn"])).code).toBe(2);
    const run = await runCli(["init", "examples/lenet.nn", "-o", "no/such/dir/w.safetensors"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("cannot write 'no/such/dir/w.safetensors'");
    expect(existsSync("x.safetensors")).toBe(false);
  });
});
