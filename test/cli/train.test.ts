/**
 * `nnc train` end to end, in-process, on tiny models and data sets written to a temporary
 * directory: a run whose loss falls and whose files parse (the checkpoint has exactly the names
 * `nnc params` lists), `--force` and its refusal, every bad-data error before training (exact
 * message, exit 2), the stop on a non-finite loss (exit 1), reproducibility by seed and with
 * `--fma off`, `--resume`,
 * Ctrl-C (exit 130 with the run saved) and `--data mnist` up to its check against the model.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors, writeSafetensors } from "../../runtime/weights/safetensors.js";
import { createRandom } from "../../runtime/index.js";
import { LOG_HEADER } from "../../compiler/train/run-dir.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../emit/support.js";

/** A classifier with every kind of state: batch statistics and dropout's masks. */
const TINY = `model Tiny(x: [N, 4]) {
  return x -> dense(16) -> batch -> tanh -> dropout(0.1) -> dense(3)
}
`;
const TWO_INPUTS = `model Two(a: [N, 4], b: [N, 4]) {
  return (a, b) -> concat -> dense(3)
}
`;
const TWO_OUTPUTS = `model Pair(x: [N, 4]) {
  h = x -> dense(3)
  return (h, x)
}
`;

/** A directory with the models and a separable three-class data set of `n` examples. */
function workspace(n = 60, label = (i: number) => i % 3): string {
  const dir = tempDir("train");
  writeFileSync(join(dir, "tiny.nn"), TINY);
  writeFileSync(join(dir, "two.nn"), TWO_INPUTS);
  writeFileSync(join(dir, "pair.nn"), TWO_OUTPUTS);
  const random = createRandom(7);
  const x = new Float32Array(n * 4);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = label(i);
    for (let k = 0; k < 4; k++) x[i * 4 + k] = (k === i % 3 ? 1.5 : 0) + random() - 0.5;
  }
  writeFileSync(join(dir, "data.safetensors"), writeSafetensors([{ name: "x", shape: [n, 4], data: x }, { name: "y", shape: [n], data: y }]));
  return dir;
}

/** `nnc train` on the workspace's tiny model and data, with `extra` options. */
function train(dir: string, run: string, ...extra: string[]) {
  return runCli(["train", join(dir, "tiny.nn"), "--data", join(dir, "data.safetensors"), "-o", join(dir, run), "--batch", "10", "--lr", "0.05", ...extra]);
}

/** Well-formed XML in the small sense an SVG writer needs: quoted attributes and balanced, nested tags. */
function expectWellFormed(xml: string): void {
  const open: string[] = [];
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, "");
  for (const [tag, closing, name, attrs, selfClosing] of body.matchAll(/<(\/?)([A-Za-z][\w-]*)([^>]*?)(\/?)>/g)) {
    expect(attrs, tag).toMatch(/^(\s+[\w:-]+="[^"<]*")*\s*$/);
    if (closing) expect(open.pop(), tag).toBe(name);
    else if (!selfClosing) open.push(name);
  }
  expect(open).toEqual([]);
  expect(body.replace(/<[^>]*>/g, "")).not.toMatch(/[<>&]/);
}

describe("nnc train", () => {
  it("trains: the loss falls, and model.safetensors, optimizer.safetensors, log.csv and curves.svg parse", async () => {
    const dir = workspace();
    const run = await train(dir, "run", "--epochs", "4");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`training Tiny on ${join(dir, "data.safetensors")}: 48 train, 12 held out (every 5th example); 4 epochs of 5 steps (batch 10), adam lr 0.05\n`);
    expect(run.stdout.match(/^epoch \d\/4: train loss/gm)).toHaveLength(4);

    const params = await runCli(["params", join(dir, "tiny.nn")]);
    const listed = params.stdout.trim().split("\n").map((line) => line.split("\t")[0]);
    const model = readSafetensors(readFileSync(join(dir, "run", "model.safetensors")));
    expect([...model.keys()]).toEqual(listed);
    expect(listed).toContain("batch0.running_mean");
    const optimizer = readSafetensors(readFileSync(join(dir, "run", "optimizer.safetensors")));
    expect(optimizer.get("optim.step")?.data).toEqual(Float32Array.of(20));
    expect(optimizer.has("optim.dense0.weight.exp_avg")).toBe(true);

    const [header, ...rows] = readFileSync(join(dir, "run", "log.csv"), "utf8").trim().split("\n");
    expect(header).toBe(LOG_HEADER);
    expect(rows.map((r) => r.split(",")[0])).toEqual(["1", "2", "3", "4"]);
    const losses = rows.map((r) => Number(r.split(",")[1]));
    expect(losses[3]).toBeLessThan(losses[0] / 2);
    expect(Number(rows[3].split(",")[4])).toBeGreaterThanOrEqual(0.9);

    const svg = readFileSync(join(dir, "run", "curves.svg"), "utf8");
    expectWellFormed(svg);
    expect(svg.match(/<polyline class="train"/g)).toHaveLength(2);
    expect(svg.match(/<polyline class="held-out"/g)).toHaveLength(2);
    expect(svg).toContain(">loss</text>");
    expect(svg).toContain(">accuracy</text>");
  });

  it("refuses to overwrite an earlier run, naming the file, unless --force", async () => {
    const dir = workspace();
    expect((await train(dir, "run", "--epochs", "1")).code).toBe(0);
    const before = readFileSync(join(dir, "run", "model.safetensors"));
    const refused = await train(dir, "run", "--epochs", "1", "--seed", "3");
    expect(refused).toMatchObject({ code: 2, stdout: "" });
    expect(refused.stderr).toBe(`nnc: error: ${join(dir, "run", "model.safetensors")} already exists; pass --force to overwrite it, or choose another -o directory\n`);
    expect(readFileSync(join(dir, "run", "model.safetensors"))).toEqual(before);
    const forced = await train(dir, "run", "--epochs", "1", "--seed", "3", "--force");
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, "run", "model.safetensors"))).not.toEqual(before);
  });

  it("the same seed gives the same weights; another seed others", async () => {
    const dir = workspace();
    for (const [run, seed] of [["a", "5"], ["b", "5"], ["c", "6"]]) expect((await train(dir, run, "--epochs", "2", "--seed", seed)).code).toBe(0);
    const weights = (run: string) => readFileSync(join(dir, run, "model.safetensors"));
    expect(weights("a")).toEqual(weights("b"));
    expect(weights("a")).not.toEqual(weights("c"));
  });

  it("--fma off repeats a run bit for bit, --fma on sums otherwise (products large enough for WebAssembly)", async () => {
    const dir = workspace();
    // 10 × 64 × 128 multiply-adds per product: past the size below which products stay in TypeScript.
    writeFileSync(join(dir, "wide.nn"), "model Wide(x: [N, 64]) {\n  return x -> dense(128) -> relu -> dense(3)\n}\n");
    const random = createRandom(3);
    const x = Float32Array.from({ length: 60 * 64 }, () => random() - 0.5);
    const y = Float32Array.from({ length: 60 }, (_, i) => i % 3);
    writeFileSync(join(dir, "wide.safetensors"), writeSafetensors([{ name: "x", shape: [60, 64], data: x }, { name: "y", shape: [60], data: y }]));
    const wide = (run: string, fma: string) =>
      runCli(["train", join(dir, "wide.nn"), "--data", join(dir, "wide.safetensors"), "-o", join(dir, run), "--batch", "10", "--epochs", "1", "--fma", fma]);
    for (const [run, fma] of [["off1", "off"], ["off2", "off"], ["on", "on"]]) {
      const result = await wide(run, fma);
      expect(result.stderr, run).toBe("");
      expect(result.code, run).toBe(0);
    }
    const weights = (run: string) => readFileSync(join(dir, run, "model.safetensors"));
    expect(weights("off1")).toEqual(weights("off2"));
    expect(weights("on")).not.toEqual(weights("off1"));
    expect((await wide("bad", "sometimes")).stderr).toMatch(/--fma.*sometimes.*auto, on, off/s);
  });

  it("--resume continues a run exactly where it stopped", async () => {
    const dir = workspace();
    // A cosine schedule spans the epochs asked for, so a run cut short by --epochs would follow another one.
    const sgd = ["--optimizer", "sgd", "--momentum", "0.9", "--schedule", "constant"];
    expect((await train(dir, "whole", "--epochs", "2", ...sgd)).code).toBe(0);
    expect((await train(dir, "part", "--epochs", "1", ...sgd)).code).toBe(0);
    const resumed = await train(dir, "part", "--epochs", "2", ...sgd, "--resume", join(dir, "part"));
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    const whole = readSafetensors(readFileSync(join(dir, "whole", "model.safetensors")));
    const part = readSafetensors(readFileSync(join(dir, "part", "model.safetensors")));
    expect(readFileSync(join(dir, "part", "log.csv"), "utf8").trim().split("\n")).toHaveLength(3);
    for (const [name, t] of whole) expect(part.get(name)?.data, name).toEqual(t.data);
  });

  it("stops at a non-finite loss with the step and a hint (exit 1)", async () => {
    const dir = workspace();
    const run = await train(dir, "nan", "--epochs", "1", "--optimizer", "sgd", "--lr", "1e38");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^nnc: error: the loss became (NaN|Infinity) at step \d+; training stopped and nothing was saved\. Lower the learning rate \(--lr, now 1e\+38\) or clip the gradients \(--agc 0\.01 or --clip-norm 1\)\n$/);
    expect(existsSync(join(dir, "nan", "model.safetensors"))).toBe(false);
  });

  it("Ctrl-C finishes the step, saves the run and exits 130", async () => {
    const dir = workspace();
    const run = await runCli(["train", join(dir, "tiny.nn"), "--data", join(dir, "data.safetensors"), "-o", join(dir, "run"), "--batch", "4"], {
      // The signal arrives as the first step starts.
      stdout: (text) => void (text.startsWith("training") && process.emit("SIGINT")),
    });
    expect(run.code).toBe(130);
    expect(readFileSync(join(dir, "run", "log.csv"), "utf8")).toBe(`${LOG_HEADER}\n`);
    const optimizer = readSafetensors(readFileSync(join(dir, "run", "optimizer.safetensors")));
    expect(optimizer.get("optim.step")?.data).toEqual(Float32Array.of(1));
    expect(process.listenerCount("SIGINT")).toBe(0);
  });

  describe("refuses bad data before training, with exit 2", () => {
    const cases: [string, (dir: string) => string[], (dir: string) => string][] = [
      ["a missing data file", (d) => ["--data", join(d, "none.safetensors")], (d) => `cannot read data file '${join(d, "none.safetensors")}': no such file or directory`],
      ["inputs of another shape", () => ["--data", "mnist"], () => "the model's input is [N, 4], but the training inputs are [60000, 1, 28, 28]"],
      ["a label outside the classes", (d) => ["--data", relabelled(d, 9)], () => "label 9 of training example 1 is not a class of the model's output [N, 3] (0 to 2)"],
      ["an empty set", (d) => ["--data", tiny(d, 4)], (d) => `the held-out set is empty (${join(d, "small.safetensors")}: 4 train, 0 held out (every 5th example))`],
      ["a model with two inputs", (d) => ["--data", join(d, "data.safetensors"), "--model", "Two", "--force"], () => "Two takes 2 inputs; nnc train trains a model with one input and one output"],
      ["a model with two outputs", (d) => ["--data", join(d, "data.safetensors"), "--model", "Pair"], () => "Pair returns 2 tensors; nnc train trains a model with one input and one output"],
    ];
    it.each(cases)("%s", async (_, options, message) => {
      const dir = workspace();
      const file = options(dir).includes("Two") ? "two.nn" : options(dir).includes("Pair") ? "pair.nn" : "tiny.nn";
      const run = await runCli(["train", join(dir, file), "-o", join(dir, "run"), ...options(dir)]);
      expect(run).toEqual({ code: 2, stdout: "", stderr: `nnc: error: ${message(dir)}\n` });
      expect(existsSync(join(dir, "run"))).toBe(false);
    });
  });

  it("refuses malformed option values as usage errors", async () => {
    const dir = workspace();
    for (const [flag, value, message] of [
      ["--epochs", "0", "--epochs must be an integer of at least 1, got '0'"],
      ["--batch", "2.5", "--batch must be an integer of at least 1, got '2.5'"],
      ["--lr", "-1", "--lr must be a number above 0, got '-1'"],
      ["--label-smoothing", "1", "--label-smoothing must be in [0, 1), got '1'"],
      ["--momentum", "0.9", "--momentum and --nesterov apply to --optimizer sgd only"],
    ]) {
      const run = await train(dir, "run", flag, value);
      expect(run, flag).toEqual({ code: 2, stdout: "", stderr: `nnc: error: ${message}\n` });
    }
  });
});

/** The workspace's data with example 1 labelled `label`. */
function relabelled(dir: string, label: number): string {
  const tensors = readSafetensors(readFileSync(join(dir, "data.safetensors")));
  const y = tensors.get("y")!.data.slice();
  y[1] = label;
  const path = join(dir, "relabelled.safetensors");
  writeFileSync(path, writeSafetensors([{ name: "x", shape: [...tensors.get("x")!.shape], data: tensors.get("x")!.data }, { name: "y", shape: [y.length], data: y }]));
  return path;
}

/** A data set of `n` examples (too few for a held-out set below five). */
function tiny(dir: string, n: number): string {
  const path = join(dir, "small.safetensors");
  writeFileSync(path, writeSafetensors([{ name: "x", shape: [n, 4], data: new Float32Array(n * 4) }, { name: "y", shape: [n], data: new Float32Array(n) }]));
  return path;
}
