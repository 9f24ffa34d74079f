/**
 * Signature help over a real `nnc lsp` process: the callee's signature as the layer reference's operator
 * table writes it (or a block's declared parameters), with the argument under the cursor active.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SignatureHelp } from "vscode-languageserver-protocol";
import { LspClient, positionOf } from "../support/lsp-client.js";

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start();
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

async function help(example: string, needle: string, delta: number): Promise<SignatureHelp | null> {
  const text = readFileSync(`examples/${example}`, "utf8");
  const uri = client.open(`examples/${example}`);
  return client.request("textDocument/signatureHelp", { textDocument: { uri }, position: positionOf(text, needle, delta) });
}

const CONV = 'conv(out, kernel, stride: 1, pad: 0, dilation: 1, groups: 1, bias: true, ws: "none")';

describe("signature help", () => {
  it("shows an operator's signature with the positional or named argument under the cursor", async () => {
    const first = await help("resnet20.nn", "conv(c, 3, stride", 5);
    expect(first?.signatures[0].label).toBe(CONV);
    expect(first?.signatures[0].documentation).toBe("2-D convolution (cross-correlation), as nn.Conv2d");
    expect(first?.signatures[0].parameters?.map((p) => CONV.slice(...(p.label as [number, number])))).toEqual([
      "out",
      "kernel",
      "stride: 1",
      "pad: 0",
      "dilation: 1",
      "groups: 1",
      "bias: true",
      'ws: "none"',
    ]);
    expect(first?.activeParameter).toBe(0);
    expect((await help("resnet20.nn", "conv(c, 3, stride", 8))?.activeParameter).toBe(1);
    expect((await help("resnet20.nn", "conv(c, 3, stride", 20))?.activeParameter).toBe(2);
    expect((await help("resnet20.nn", "bias: false) -> norm -> relu", 7))?.activeParameter).toBe(6);
  });

  it("shows a block's declared parameters", async () => {
    const result = await help("resnet20.nn", "Basic(2 * width, stride: 2)", 25);
    expect(result?.signatures.map((s) => [s.label, s.activeParameter])).toEqual([["Basic(c: int, stride: int = 1)", 1]]);
  });

  it("shows nothing outside a call", async () => {
    expect(await help("resnet20.nn", "-> global_avgpool", 0)).toBeNull();
  });
});
