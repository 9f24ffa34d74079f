/**
 * Document symbols over a real `nnc lsp` process: models and blocks with their parameters,
 * bindings and `use` aliases, and imports.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DocumentSymbol } from "vscode-languageserver-protocol";
import { LspClient } from "../support/lsp-client.js";

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start();
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

type Outline = [string, number, string | undefined, string, Outline[]?];

/** Name, kind, detail, selection range (`line:col`) and children, without the full ranges. */
function outline(symbols: readonly DocumentSymbol[]): Outline[] {
  return symbols.map((s) => {
    const at = `${s.selectionRange.start.line}:${s.selectionRange.start.character}`;
    return s.children && s.children.length > 0 ? [s.name, s.kind, s.detail, at, outline(s.children)] : [s.name, s.kind, s.detail, at];
  });
}

async function symbols(path: string): Promise<Outline[]> {
  const uri = client.open(path);
  return outline(await client.request("textDocument/documentSymbol", { textDocument: { uri } }));
}

describe("document symbols", () => {
  it("outlines blocks and models with their parameters, bindings and aliases", async () => {
    expect(await symbols("examples/resnet20.nn")).toEqual([
      ["Basic", 12, "block", "5:6", [["x", 13, "parameter", "5:12"], ["c", 13, "parameter", "5:15"], ["stride", 13, "parameter", "5:23"], ["y", 13, "binding", "6:2"], ["s", 13, "binding", "8:2"]]],
      ["ResNet20", 5, "model", "13:6", [["x", 13, "parameter", "13:15"], ["width", 13, "parameter", "13:34"], ["norm", 14, "use", "14:6"]]],
    ]);
  });

  it("lists imports", async () => {
    expect(await symbols("test/cases/lsp/uses-lib.nn")).toEqual([
      ["lib.nn", 2, "import", "1:7"],
      ["UsesLib", 5, "model", "3:6", [["x", 13, "parameter", "3:14"], ["y", 13, "binding", "4:2"]]],
    ]);
  });
});
