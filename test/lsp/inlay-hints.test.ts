/**
 * Inlay hints over a real `nnc lsp` process: the output shape at the end of each pipeline line
 * (every distinct shape, for a line in a block called several times), within the asked range.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InlayHint } from "vscode-languageserver-protocol";
import { LspClient } from "../support/lsp-client.js";

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start();
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

async function hints(path: string, fromLine = 0, toLine = 1000): Promise<string[]> {
  const uri = client.open(path);
  const range = { start: { line: fromLine, character: 0 }, end: { line: toLine, character: 0 } };
  const result = await client.request<InlayHint[]>("textDocument/inlayHint", { textDocument: { uri }, range });
  return result.map((h) => `${h.position.line}:${h.position.character} ${String(h.label)}${h.kind === 1 && h.paddingLeft ? "" : " (?)"}`);
}

describe("inlay hints", () => {
  it("shows the output shape at the end of every pipeline line", async () => {
    expect(await hints("examples/resnet20.nn")).toEqual([
      "6:74 [N,16,32,32] | [N,32,16,16] | [N,64,8,8]",
      "7:50 [N,16,32,32] | [N,32,16,16] | [N,64,8,8]",
      "9:63 [N,32,16,16] | [N,64,8,8]",
      "10:24 [N,16,32,32] | [N,32,16,16] | [N,64,8,8]",
      "15:73 [N,16,32,32]",
      "16:30 [N,16,32,32]",
      "17:65 [N,32,16,16]",
      "18:65 [N,64,8,8]",
      "19:52 [N,10]",
    ]);
    expect(await hints("examples/mlp.nn")).toEqual(["6:83 [N,128]", "7:38 [N,10]"]);
  });

  it("keeps to the requested range", async () => {
    expect(await hints("examples/resnet20.nn", 16, 18)).toEqual(["16:30 [N,16,32,32]", "17:65 [N,32,16,16]"]);
  });
});
