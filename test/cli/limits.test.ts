/**
 * The command line over models at and past the size limits: `check` and `summary` refuse the
 * hostile sizes with a located error and never print an absurd count; `init` and `compile`
 * say how much memory a large model's weights take before they take it.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_PARAMETERS } from "../../compiler/check/limits.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { largeWeightsNote } from "../../compiler/cli/compile.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../emit/support.js";

/** Models from the hostile-input report, reduced; each must fail `check` with its code. */
const HOSTILE: Record<string, [code: string, source: string]> = {
  conv: ["E0211", "model M(x: [N, 3, 32, 32]) {\n  return x -> conv(1000000000000, 3)\n}\n"],
  dense: ["E0211", "model M(x: [N, 784]) {\n  return x -> dense(1000000000)\n}\n"],
  dimension: ["E0210", "model M(x: [N, 9007199254740993]) {\n  return x -> dense(10)\n}\n"],
  subtraction: ["E0210", "model M(x: [N, 4]) {\n  return x -> dense(9007199254740993 - 9007199254740992)\n}\n"],
  total: ["E0212", "model M(x: [N, 40000]) {\n  return x -> dense(20000) -> dense(20000) -> dense(20000) -> dense(10)\n}\n"],
};

function write(name: string, source: string): string {
  const path = join(tempDir("limits"), `${name}.nn`);
  writeFileSync(path, source);
  return path;
}

/** Every number with thousands separators (or none) that `text` prints, as numbers. */
function counts(text: string): number[] {
  return [...text.matchAll(/(?<![\w.])\d{1,3}(?:,\d{3})+(?![\w.])|(?<![\w.,])\d+(?![\w.,])/g)].map((m) => Number(m[0].replaceAll(",", "")));
}

describe("hostile sizes", () => {
  for (const [name, [code, source]] of Object.entries(HOSTILE)) {
    it(`${name}: check and summary fail with ${code} at a line of the file, no internal error`, async () => {
      const path = write(name, source);
      for (const command of ["check", "summary"]) {
        const run = await runCli([command, path]);
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(new RegExp(`^${path.replaceAll(".", "\\.")}:\\d+:\\d+: error\\[${code}\\]`));
        expect(run.stderr).not.toContain("internal error");
        expect(run.stdout).toBe("");
      }
    });
  }

  it("summary of a model near the limits prints no count past the parameter limit", async () => {
    const path = write("near", "model M(x: [N, 40000]) {\n  return x -> dense(20000) -> dense(5000) -> dense(10)\n}\n");
    const run = await runCli(["summary", path]);
    expect(run.code).toBe(0);
    const printed = counts(run.stdout.split("\n").filter((l) => l.startsWith("dense") || l.startsWith("total")).join("\n"));
    expect(printed).toContain(800_020_000);
    for (const n of printed) expect(n).toBeLessThanOrEqual(MAX_PARAMETERS);
  });
});

describe("the memory note of init and compile", () => {
  const fake = (shapes: number[][]): CheckedModel => ({ name: "Big", params: shapes.map((shape, i) => ({ name: `p${i}`, shape, buffer: false })) }) as unknown as CheckedModel;

  it("states the figure above 1 GiB of weights", () => {
    const note = largeWeightsNote(fake([[300_000_000], [10]]), "init");
    expect(note).toBe("Big has 300,000,010 parameter and buffer values, 1.1 GiB as float32; init holds them and the checkpoint it writes in memory at once, about 2.2 GiB");
  });

  it("says nothing for a model of 1 GiB or less", () => {
    expect(largeWeightsNote(fake([[2 ** 28]]), "compile")).toBeUndefined();
  });

  it("init of a small model prints no note", async () => {
    const out = join(tempDir("limits-init"), "w.safetensors");
    const run = await runCli(["init", "examples/mlp.nn", "-o", out]);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain("note");
  });
});
