/**
 * The playground's worker logic in Node, where no browser is needed: its diagnostics, its panel
 * text and its summary are the command line's for the same text and `--set`s, its switches are
 * the model's parameters and aliases, hover and completion are the language server's, Run is
 * deterministic, the browser stand-in for `node:crypto` hashes as Node does, and `nnc playground`
 * refuses a port that is not one.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import { summaryTable } from "../../compiler/cli/tables.js";
import { defaultInput, runModel } from "../../playground/src/run-model.js";
import { NO_IMPORTS, PLAYGROUND_PATH, playgroundHost, Session } from "../../playground/src/session.js";
import { sha256Hex } from "../../playground/src/shims/crypto.js";
import { runCli } from "../support/cli.js";

const RESNET20 = readFileSync("examples/resnet20.nn", "utf8");

/** The command line's file system, as the playground has it: `model.nn` holds `text`, imports fail as in the page. */
function files(text: string) {
  return { readFile: (path: string) => (path === PLAYGROUND_PATH ? text : undefined), readImport: () => ({ reason: NO_IMPORTS }) };
}

/** `nnc <argv>` on `text` as `model.nn`: stderr, then stdout. */
async function nnc(argv: string[], text: string): Promise<string> {
  const run = await runCli(argv, files(text));
  return run.stderr + run.stdout;
}

describe("the playground's session", () => {
  it("reports what nnc check and nnc summary print, with and without --set", async () => {
    const broken = RESNET20.replace("-> flatten", "-> flaten").replace("dense(10)", "dense(10, bias: maybe)");
    for (const [text, set] of [
      [RESNET20, []],
      [RESNET20, ["width=8", "norm=group(groups: 4)"]],
      [RESNET20, ["widht=8"]],
      [broken, []],
      ["model M(x: [N, 4], mask: [N, 4]) {\n  unused = x -> relu\n  return x -> dense(2)\n}\n", []],
      ['import "lib.nn"\nmodel M(x: [N, 4]) {\n  return x -> dense(2)\n}\n', []],
    ] as const) {
      const report = new Session().update(3, text, { set: [...set] });
      const setArgs = set.flatMap((s) => ["--set", s]);
      expect(report.version).toBe(3);
      expect(report.checkText).toBe(await nnc(["check", PLAYGROUND_PATH, ...setArgs], text));
      const diagnostics = checkSource(PLAYGROUND_PATH, text, playgroundHost, { allModels: true }).diagnostics;
      expect(report.diagnostics.map((d) => [d.code, d.message, d.from, d.to])).toEqual(diagnostics.map((d) => [d.code, d.message, d.span.start, d.span.end]));
      const summary = await runCli(["summary", PLAYGROUND_PATH, ...setArgs], files(text));
      expect(report.summary).toBe(summary.code === 0 ? summary.stdout : undefined);
      expect(report.svg === undefined).toBe(summary.code !== 0);
    }
    const imported = new Session().update(1, 'import "lib.nn"\nmodel M(x: [N, 4]) {\n  return x -> dense(2)\n}\n', { set: [] });
    expect(imported.diagnostics[0].message).toContain(NO_IMPORTS);
  });

  it("offers the model's parameters and aliases as switches", () => {
    const report = new Session().update(1, RESNET20, { set: [] });
    expect(report.models).toEqual(["ResNet20"]);
    const byName = new Map(report.switches.map((s) => [s.name, s]));
    expect(byName.get("width")).toMatchObject({ kind: "param", current: "16", choices: [] });
    expect(byName.get("norm")).toMatchObject({ kind: "alias", current: "batch(momentum: 0.1)" });
    expect(byName.get("norm")!.choices).toEqual(expect.arrayContaining(["batch(momentum: 0.1)", "batch", "layer", "instance", "group"]));
    const withSet = new Session().update(1, RESNET20, { set: ["norm=instance"] });
    expect(withSet.summary).toBe(summaryTable(checkSource(PLAYGROUND_PATH, RESNET20, playgroundHost, { set: ["norm=instance"] }).models[0]));
  });

  it("hovers and completes with the language server's functions", () => {
    const session = new Session();
    const text = "model Tiny(x: [N, 1, 12, 12]) {\n  return x -> conv(4, 3) -> \n}\n";
    session.update(1, text, { set: [] });
    const hover = session.hover(text.indexOf("conv") + 2);
    expect(hover).toMatchObject({ from: text.indexOf("conv"), to: text.indexOf("conv") + 4 });
    expect(hover!.markdown).toContain("[N,1,12,12] → [N,4,10,10]");
    const labels = session.complete(text.indexOf("-> \n") + 3).map((c) => c.label);
    expect(labels).toEqual(expect.arrayContaining(["dense", "relu", "global_avgpool", "x"]));
    const inCall = new Session();
    const callText = "model Tiny(x: [N, 1, 12, 12]) {\n  return x -> conv(4, 3, )\n}\n";
    inCall.update(1, callText, { set: [] });
    const named = inCall.complete(callText.indexOf(", )") + 2);
    expect(named.slice(0, 3).map((c) => c.label)).toEqual(["stride", "pad", "dilation"]);
    expect(named[0]).toMatchObject({ detail: "default 1", apply: "stride: " });
  });

  it("runs a model deterministically, with a checkpoint or seed-0 weights", () => {
    const model = checkSource(PLAYGROUND_PATH, readFileSync("examples/lenet.nn", "utf8"), playgroundHost).models[0];
    const a = runModel(model);
    const b = runModel(model);
    expect(a.outputShape).toEqual([1, 10]);
    expect(a.input).toEqual(defaultInput([1, 1, 28, 28]));
    expect(b.output).toEqual(a.output);
    const trained = runModel(model, { checkpoint: readFileSync("playground/lenet.safetensors") });
    expect(trained.output).not.toEqual(a.output);
    // log_softmax: the probabilities sum to 1.
    expect([...trained.output].reduce((sum, v) => sum + Math.exp(v), 0)).toBeCloseTo(1, 5);
    const input = defaultInput([1, 1, 28, 28]);
    expect(Math.min(...input)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...input)).toBeLessThan(1);
  });

  it("hashes as node:crypto does in the browser stand-in", () => {
    for (const text of ["", "abc", "x".repeat(55), "y".repeat(56), "z".repeat(1000), "ünïcode ✓"]) {
      expect(sha256Hex(new TextEncoder().encode(text))).toBe(createHash("sha256").update(text).digest("hex"));
    }
  });

  it("nnc playground refuses a port that is not one", async () => {
    const run = await runCli(["playground", "--port", "http"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("nnc: error: --port must be an integer from 0 to 65535, got 'http'\n");
  });
});
