/**
 * Golden tests for what a message says beyond its code: each `test/cases/messages/<name>.nn`
 * is checked as `nnc check` would, and its output must equal `test/baselines/messages/<name>.txt`
 * with the exit code and both streams (notes, hints, and files that check clean).
 * `UPDATE_BASELINES=1` rewrites them.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
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

describe("warnings", () => {
  it("fail neither nnc check nor nnc compile", async () => {
    const out = mkdtempSync(join(tmpdir(), "nnc-warnings-"));
    const checked = await runCli(["check", "test/cases/errors/W0001.nn"]);
    expect([checked.code, checked.stderr.match(/warning\[W0001\]/g)?.length]).toEqual([0, 3]);
    const compiled = await runCli(["compile", "test/cases/errors/W0001.nn", "-o", out]);
    expect([compiled.code, compiled.stderr.match(/warning\[W0001\]/g)?.length]).toEqual([0, 3]);
    expect(readdirSync(out).sort()).toEqual(["W0001.safetensors", "W0001.ts"]);
  });
});

describe("a file that cannot be read says why", () => {
  const dir = mkdtempSync(join(tmpdir(), "nnc-unreadable-"));
  const locked = join(dir, "locked.nn");
  writeFileSync(locked, "model M(x: [N, 3]) { return x }\n");
  chmodSync(locked, 0o000);
  // Root reads any file whatever its mode: the permission case needs an ordinary user.
  const isRoot = process.getuid?.() === 0;
  const cases: [string, string, string][] = [
    ["missing", join(dir, "none.nn"), "no such file"],
    ["a directory", dir, "it is a directory"],
    ["a path through a file", join(locked, "x.nn"), "a part of the path is not a directory"],
    ...(isRoot ? [] : [["without permission", locked, "permission denied"] as [string, string, string]]),
  ];
  for (const [what, path, reason] of cases) {
    it(what, async () => {
      const run = await runCli(["check", path]);
      expect([run.code, run.stderr]).toEqual([1, `${path}: error[E0001]: cannot read '${path}': ${reason}\n${path}: 1 error, 0 warnings\n`]);
    });
  }

  // As root, the permission case runs the reader as the unprivileged user `nobody` (setpriv,
  // from util-linux), in a child process; the message around the reason is the one above.
  it.runIf(isRoot && existsSync("/usr/bin/setpriv"))("without permission (the reader, as nobody)", () => {
    chmodSync(dir, 0o755);
    const script = `import("./compiler/check/read-source.ts").then((m) => console.log(JSON.stringify(m.readSourceFile(${JSON.stringify(locked)}))))`;
    const run = spawnSync("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, "--import", "tsx", "-e", script], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout)).toEqual({ reason: "permission denied" });
  });
});
