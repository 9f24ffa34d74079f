/**
 * One golden test per diagnostic code: `test/cases/errors/<code>.nn` must make `nnc check`
 * report that code first (exit 1, 2 for a usage error, 0 for a warning), and print exactly
 * `test/baselines/errors/<code>.txt`.
 * Leading comments may carry directives: `# args: ...` adds command-line arguments and
 * `# target: PATH` checks another path instead of the case file.
 */
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CATALOGUE } from "../../compiler/diagnostics/catalogue.js";
import { expectBaseline } from "../support/baseline.js";
import { runCli } from "../support/cli.js";
import { diagnosticsDoc } from "../../scripts/gen-diagnostics-doc.js";

const CASES = "test/cases/errors";

/** The codes of the command line's own arguments, which `nnc check` prints as `nnc: error: ...` and exits 2 for. */
const USAGE_CODES = ["E0002", "E0003"];

function directive(text: string, name: string): string | undefined {
  return new RegExp(`^# ${name}: (.*)$`, "m").exec(text)?.[1].trim();
}

describe("every catalogue code", () => {
  for (const code of Object.keys(CATALOGUE)) {
    it(`${code}: ${CATALOGUE[code as keyof typeof CATALOGUE].summary}`, async () => {
      const casePath = `${CASES}/${code}.nn`;
      expect(existsSync(casePath), `a test case ${casePath}`).toBe(true);
      const text = readFileSync(casePath, "utf8");
      const target = directive(text, "target") ?? casePath;
      const args = directive(text, "args")?.split(/\s+/) ?? [];
      const json = await runCli(["check", target, ...args, "--format", "json"]);
      // A `--set` or `--model` the file cannot take is a usage error: exit 2; a warning fails nothing.
      const severity = CATALOGUE[code as keyof typeof CATALOGUE].severity;
      expect(json.code).toBe(USAGE_CODES.includes(code) ? 2 : severity === "warning" ? 0 : 1);
      expect(JSON.parse(json.stdout)[0]?.code).toBe(code);
      const run = await runCli(["check", target, ...args]);
      expectBaseline(`test/baselines/errors/${code}.txt`, run.stderr);
    });
  }
});

it("docs/diagnostics.md lists every code (regenerate with `npx tsx scripts/gen-diagnostics-doc.ts`)", () => {
  const doc = readFileSync("docs/diagnostics.md", "utf8");
  expect(doc).toBe(diagnosticsDoc());
  for (const code of Object.keys(CATALOGUE)) expect(doc).toContain(`| ${code} |`);
});
