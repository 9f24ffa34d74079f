/**
 * Formatting over a real `nnc lsp` process: one whole-document edit that gives exactly what
 * `nnc fmt` gives; no edit for a formatted document or one with syntax errors.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TextEdit } from "vscode-languageserver-protocol";
import { format } from "../../compiler/format/format.js";
import { LspClient } from "../support/lsp-client.js";

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start();
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

let documents = 0;
async function formatting(text: string): Promise<TextEdit[]> {
  const uri = client.open(`.scratch/lsp/formatting-${documents++}.nn`, text);
  return client.request("textDocument/formatting", { textDocument: { uri }, options: { tabSize: 2, insertSpaces: true } });
}

describe("formatting", () => {
  it("replaces the document with what nnc fmt makes of it", async () => {
    const messy = "block  B(x,c:int){\n return x->conv(c,3)   ->relu }\nmodel M(x:[N,3,8,8]){return x->B(4)->flatten}";
    const lines = messy.split("\n");
    expect(await formatting(messy)).toEqual([
      {
        range: { start: { line: 0, character: 0 }, end: { line: lines.length - 1, character: lines[lines.length - 1].length } },
        newText: format(messy, "messy.nn").text,
      },
    ]);
    expect(format(messy, "messy.nn").text).toBe(
      "block B(x, c: int) {\n  return x -> conv(c, 3) -> relu\n}\n\nmodel M(x: [N, 3, 8, 8]) {\n  return x -> B(4) -> flatten\n}\n",
    );
  });

  it("formats an example as nnc fmt does, and then leaves it alone", async () => {
    // The examples are formatted already: this one loses the spaces around its arrows.
    const example = readFileSync("examples/inception.nn", "utf8").replaceAll(" -> ", "->");
    const formatted = format(example, "examples/inception.nn").text;
    expect(formatted).not.toBe(example);
    expect((await formatting(example)).map((e) => e.newText)).toEqual([formatted]);
    expect(await formatting(formatted)).toEqual([]);
  });

  it("leaves a document with syntax errors alone", async () => {
    expect(await formatting("model M(x: [N, 3]) {\n  return x -> \n")).toEqual([]);
  });
});
