/**
 * Golden tests for what a message says beyond its code: each `test/cases/messages/<name>.nn`
 * is checked as `nnc check` would, and its output must equal `test/baselines/messages/<name>.txt`
 * with the exit code and both streams (notes, hints, and files that check clean).
 * `UPDATE_BASELINES=1` rewrites them.
 */
import { readdirSync } from "node:fs";
import { describe, it } from "vitest";
import { expectBaseline } from "../support/baseline.js";
import { runCli } from "../support/cli.js";

const CASES = "test/cases/messages";

describe("message cases", () => {
  for (const file of readdirSync(CASES).filter((f) => f.endsWith(".nn")).sort()) {
    it(file, async () => {
      const run = await runCli(["check", `${CASES}/${file}`]);
      expectBaseline(`test/baselines/messages/${file.replace(/\.nn$/, ".txt")}`, `exit ${run.code}\n${run.stdout}${run.stderr}`);
    });
  }
});
