/**
 * Diagnostics over a real `nnc lsp` process: the same codes, messages and places as
 * `nnc check --format json`, published on open and after every edit (for the edit's version),
 * and refreshed in a document when a file it imports changes or closes.
 */
import { readdirSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "vscode-languageserver-protocol";
import { LspClient, positionOf } from "../support/lsp-client.js";
import { runCli } from "../support/cli.js";

const EXAMPLES = readdirSync("examples").filter((f) => f.endsWith(".nn"));
// E00xx are the command line's own codes (unreadable files, `--set`, `--model`): no editor has them.
const CASES = readdirSync("test/cases/errors").filter((f) => /^E0[1-4]\d\d\.nn$/.test(f));

/** An LSP diagnostic in the shape of `nnc check --format json` (1-based, end exclusive). */
function asJson(d: Diagnostic) {
  return {
    line: d.range.start.line + 1,
    column: d.range.start.character + 1,
    endLine: d.range.end.line + 1,
    endColumn: d.range.end.character + 1,
    severity: ["", "error", "warning", "note"][d.severity ?? 0],
    code: d.code,
    message: d.message,
  };
}

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start({ debounceMs: 0 });
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

describe("diagnostics", () => {
  it("publishes none for every example", async () => {
    for (const file of EXAMPLES) {
      const uri = client.open(`examples/${file}`);
      expect(await client.diagnostics(uri, 1), file).toEqual([]);
    }
  });

  it("publishes exactly what nnc check --format json reports, for every error case", async () => {
    for (const file of CASES) {
      // The server knows documents by absolute path, and messages that name files show it.
      const path = resolve(`test/cases/errors/${file}`);
      const uri = client.open(path);
      const cli = JSON.parse((await runCli(["check", "--format", "json", path])).stdout) as { file: string }[];
      const expected = cli.filter((d) => d.file === path).map(({ file: _, related: __, ...rest }: any) => rest);
      expect((await client.diagnostics(uri, 1)).map(asJson), file).toEqual(expected);
      expect(expected.length, file).toBeGreaterThan(0);
    }
  });

  it("counts a byte-order mark in positions as the client's text does, and only on line 1", async () => {
    const body = "model M(x: [N, 3, 8, 8]) { return x -> conv(4.5, 1) }\nmodel K(x: [N, 3, 8, 8]) {\n  return x -> conv(2.5, 1)\n}\n";
    const text = `\uFEFF${body}`;
    const uri = client.open(".scratch/lsp/bom.nn", text);
    const ranges = (await client.diagnostics(uri, 1)).map((d) => d.range);
    const at = (needle: string, nth: number) => {
      const start = positionOf(text, needle, 0, nth);
      return { start, end: { line: start.line, character: start.character + needle.length } };
    };
    expect(ranges).toEqual([at("4.5", 0), at("2.5", 0)]);
    const plain = client.open(".scratch/lsp/no-bom.nn", body);
    const plainRanges = (await client.diagnostics(plain, 1)).map((d) => d.range);
    expect(ranges[0].start.character).toBe(plainRanges[0].start.character + 1);
    expect(ranges[1]).toEqual(plainRanges[1]);
  });

  it("re-checks on every edit and publishes for that version", async () => {
    const text = "model M(x: [N, 3, 8, 8]) {\n  return x -> conv(12, 3) -> relu\n}\n";
    const uri = client.open(".scratch/lsp/edited.nn", text);
    expect(await client.diagnostics(uri, 1)).toEqual([]);
    const start = positionOf(text, "relu");
    client.change(uri, 2, [{ range: { start, end: { line: start.line, character: start.character + 4 } }, text: "group(groups: 8)" }]);
    expect(await client.diagnostics(uri, 2)).toEqual([
      {
        range: { start: { line: 1, character: 29 }, end: { line: 1, character: 45 } },
        severity: 1,
        code: "E0204",
        source: "nnc",
        message: "group(groups: 8) needs channels divisible by 8, got 12",
      },
    ]);
    client.change(uri, 3, [{ text }]);
    expect(await client.diagnostics(uri, 3)).toEqual([]);
  });

  it("carries the 'in this call' note of an error inside a block called twice as related information", async () => {
    const text = "block G(x, c: int) {\n  return x -> conv(c, 3, groups: 3)\n}\nmodel M(x: [N, 3, 8, 8]) {\n  return x -> G(6) -> G(4)\n}\n";
    const uri = client.open(".scratch/lsp/call-note.nn", text);
    const [only, ...rest] = await client.diagnostics(uri, 1);
    expect(rest).toEqual([]);
    expect(only.code).toBe("E0204");
    const call = positionOf(text, "G(4)");
    expect(only.relatedInformation).toEqual([
      {
        location: { uri, range: { start: call, end: { line: call.line, character: call.character + 4 } } },
        message: "in this call of block G (instance `G1`)",
      },
    ]);
  });

  it("shows an unused name as a warning, tagged Unnecessary", async () => {
    const text = "model M(x: [N, 3], unused: [N, 3]) {\n  spare = x -> relu\n  return x -> dense(2)\n}\n";
    const uri = client.open(".scratch/lsp/unused.nn", text);
    const found = await client.diagnostics(uri, 1);
    const range = (needle: string) => {
      const start = positionOf(text, needle);
      return { start, end: { line: start.line, character: start.character + needle.length } };
    };
    expect(found.map((d) => ({ range: d.range, severity: d.severity, code: d.code, tags: d.tags }))).toEqual([
      { range: range("unused"), severity: 2, code: "W0001", tags: [1] },
      { range: range("spare"), severity: 2, code: "W0001", tags: [1] },
    ]);
  });

  it("re-checks a document when a file it imports changes, and when that file closes", async () => {
    const main = client.open("test/cases/lsp/uses-lib.nn");
    expect(await client.diagnostics(main, 1)).toEqual([]);
    const lib = client.open("test/cases/lsp/lib.nn");
    expect(await client.diagnostics(lib, 1)).toEqual([]);
    const before = client.publishCount(main);
    const at = { line: 2, character: 6 };
    client.change(lib, 2, [{ range: { start: at, end: { line: 2, character: 10 } }, text: "Twin" }]);
    expect(await client.diagnostics(lib, 2)).toEqual([]);
    const broken = await client.diagnosticsAfter(main, before);
    expect(broken.map((d) => [d.code, d.message, d.range.start])).toEqual([
      ["E0301", "unknown name `Pair`", { line: 4, character: 11 }],
    ]);
    const count = client.publishCount(main);
    client.close(lib);
    expect(await client.diagnosticsAfter(main, count)).toEqual([]);
  });
});
