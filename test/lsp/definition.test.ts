/**
 * Go to definition over a real `nnc lsp` process: bindings, parameters, `use` aliases, `for`
 * variables, blocks (also across an import) and the imported file itself.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Location } from "vscode-languageserver-protocol";
import { LspClient, positionOf, uriOf } from "../support/lsp-client.js";

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start();
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

/** Where the thing at `needle` (+`delta`) in `path` is defined, as [path, line, column, end column]. */
async function definition(path: string, needle: string, delta = 0): Promise<[string, number, number, number] | null> {
  const text = readFileSync(path, "utf8");
  const uri = client.open(path);
  const found = await client.request<Location | null>("textDocument/definition", { textDocument: { uri }, position: positionOf(text, needle, delta) });
  if (!found) return null;
  const file = ["examples/resnet20.nn", "examples/vgg.nn", "test/cases/lsp/lib.nn", "test/cases/lsp/uses-lib.nn"].find((p) => uriOf(p) === found.uri);
  return [file ?? found.uri, found.range.start.line, found.range.start.character, found.range.end.character];
}

describe("go to definition", () => {
  it("finds bindings, parameters and use aliases", async () => {
    expect(await definition("examples/resnet20.nn", "(y + s)", 1)).toEqual(["examples/resnet20.nn", 6, 2, 3]);
    expect(await definition("examples/resnet20.nn", "(y + s)", 5)).toEqual(["examples/resnet20.nn", 8, 2, 3]);
    expect(await definition("examples/resnet20.nn", "Basic(width)", 6)).toEqual(["examples/resnet20.nn", 13, 34, 39]);
    expect(await definition("examples/resnet20.nn", "stride: stride", 8)).toEqual(["examples/resnet20.nn", 5, 23, 29]);
    expect(await definition("examples/resnet20.nn", "norm -> relu]", 0)).toEqual(["examples/resnet20.nn", 14, 6, 10]);
  });

  it("finds a for variable", async () => {
    expect(await definition("examples/vgg.nn", "conv(c, 3", 5)).toEqual(["examples/vgg.nn", 6, 18, 19]);
  });

  it("finds blocks, in this file and across an import, and the imported file", async () => {
    expect(await definition("examples/resnet20.nn", "Basic(2 * width, stride: 2)", 1)).toEqual(["examples/resnet20.nn", 5, 6, 11]);
    expect(await definition("test/cases/lsp/uses-lib.nn", "Pair(8)", 2)).toEqual(["test/cases/lsp/lib.nn", 2, 6, 10]);
    expect(await definition("test/cases/lsp/uses-lib.nn", '"lib.nn"', 3)).toEqual(["test/cases/lsp/lib.nn", 0, 0, 0]);
  });

  it("finds nothing for a built-in layer", async () => {
    expect(await definition("examples/resnet20.nn", "global_avgpool", 2)).toBeNull();
  });
});
