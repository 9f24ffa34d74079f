/**
 * Completion over a real `nnc lsp` process: named arguments with their defaults inside a call
 * (operators and blocks, those already given left out), the names visible at the cursor
 * (parameters, `use` aliases, blocks, imported blocks) with layers and keywords, and nothing
 * inside a comment.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CompletionItem } from "vscode-languageserver-protocol";
import { LspClient, positionOf } from "../support/lsp-client.js";

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start();
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

let documents = 0;
/** The completion items at the end of `needle` in `text` (opened as a new document). */
async function complete(text: string, needle: string, nth = 0): Promise<CompletionItem[]> {
  const uri = client.open(`.scratch/lsp/completion-${documents++}.nn`, text);
  return client.request("textDocument/completion", { textDocument: { uri }, position: positionOf(text, needle, needle.length, nth) });
}

/** Label, kind and detail of the named-argument items (kind Property). */
function namedArguments(items: readonly CompletionItem[]): [string, string | undefined, string | undefined][] {
  return items.filter((i) => i.kind === 10).map((i) => [i.label, i.detail, i.insertText]);
}

const MODEL = (body: string) => `model M(x: [N, 3, 8, 8], width: int = 8) {\n  use norm = group(groups: 4)\n  return ${body}\n}\n`;

describe("completion", () => {
  it("offers an operator's named arguments with their defaults while a call is typed", async () => {
    expect(namedArguments(await complete(MODEL("x -> conv(16, "), "conv(16, "))).toEqual([
      ["kernel", "required", "kernel: "],
      ["stride", "default 1", "stride: "],
      ["pad", "default 0", "pad: "],
      ["dilation", "default 1", "dilation: "],
      ["groups", "default 1", "groups: "],
      ["bias", "default true", "bias: "],
      ["ws", 'default "none"', "ws: "],
    ]);
    expect(namedArguments(await complete(MODEL("x -> conv(16, 3, stride: 2, pa"), "stride: 2, pa"))).toEqual([
      ["pad", "default 0", "pad: "],
      ["dilation", "default 1", "dilation: "],
      ["groups", "default 1", "groups: "],
      ["bias", "default true", "bias: "],
      ["ws", 'default "none"', "ws: "],
    ]);
    expect(namedArguments(await complete(MODEL("x -> maxpool("), "maxpool("))).toEqual([
      ["kernel", "required", "kernel: "],
      ["stride", "default kernel", "stride: "],
      ["pad", "default 0", "pad: "],
      ["ceil_mode", "default false", "ceil_mode: "],
    ]);
  });

  it("offers a block's named arguments", async () => {
    const text = readFileSync("examples/resnet20.nn", "utf8").replace("Basic(2 * width, stride: 2) ->", "Basic(2 * width, ) ->");
    expect(namedArguments(await complete(text, "Basic(2 * width, "))).toEqual([["stride", "default 1", "stride: "]]);
  });

  it("offers no named argument once the argument has a value", async () => {
    expect(namedArguments(await complete(MODEL("x -> conv(16, 3, stride: "), "stride: "))).toEqual([]);
  });

  it("offers the visible names first, then aliases, layers, functions and keywords", async () => {
    const items = await complete(readFileSync("examples/resnet20.nn", "utf8"), "-> Basic(width) * 3\n           ", 0);
    const visible = items.filter((i) => i.sortText?.startsWith("1")).map((i) => [i.label, i.kind, i.detail]);
    expect(visible).toEqual([
      ["x", 6, "param"],
      ["width", 6, "param"],
      ["norm", 18, "use alias"],
      ["Basic", 7, "Basic(c: int, stride: int = 1)"],
    ]);
    const labels = items.map((i) => i.label);
    expect(labels).toContain("conv");
    expect(labels).toContain("group");
    expect(labels).toContain("act");
    expect(labels).toContain("channels");
    expect(labels).toContain("for");
    expect(labels).not.toContain("y");
    expect(items.find((i) => i.label === "batch")?.detail).toBe("batch(eps: 0.00001, momentum: 0.1, affine: true)");
  });

  it("offers the blocks of imported files", async () => {
    const text = readFileSync("test/cases/lsp/uses-lib.nn", "utf8");
    const uri = client.open("test/cases/lsp/uses-lib.nn", text);
    const items = await client.request<CompletionItem[]>("textDocument/completion", { textDocument: { uri }, position: positionOf(text, "-> Pair", 3) });
    expect(items.find((i) => i.label === "Pair")).toMatchObject({ kind: 7, detail: "Pair(c: int)" });
  });

  it("offers nothing inside a comment", async () => {
    expect(await complete("# a comment about conv\nmodel M(x: [N, 4]) {\n  return x\n}\n", "about ")).toEqual([]);
  });
});
