/**
 * Robustness of a real `nnc lsp` process: hundreds of random edits (brackets, keywords, half
 * calls, line breaks, surrogate pairs, positions past the end) with every kind of request at
 * random positions in between, plus malformed requests. Every request must get a valid answer,
 * no handler may fail, the final diagnostics must be those of `nnc check` on the final text, and
 * the server must still be alive at the end. The edits come from a seeded generator, so a
 * failure replays exactly.
 */
import { readFileSync, readdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { Position, TextDocumentContentChangeEvent } from "vscode-languageserver-protocol";
import { checkSource } from "../../compiler/check/check.js";
import { uriToPath } from "../../compiler/lsp/positions.js";
import { LspClient } from "../support/lsp-client.js";

const SNIPPETS = [
  "", "(", ")", "[", "]", "{", "}", " -> ", "->", "conv(", "conv(16, 3, stride: ", "relu", "x", ",", ":", "\n", "\r\n",
  "model ", "block B(x, c: int) {", "use norm = group(groups: 8)\n", "import \"", "import \"../lsp/lib.nn\"\n", "\"", "# ",
  " * 3", "for c in [1, 2] { conv(c, 3) }", "stride: ", "1e-5", "é", "\u{1F600}", "\t", "return ", "y = x -> ", "Basic(",
  "if true then x else ", "9999999", "let k = ", "-", "not ", "[[[[", "))))", "=", "==", "//",
];
const EXAMPLES = readdirSync("examples").filter((f) => f.endsWith(".nn")).map((f) => readFileSync(`examples/${f}`, "utf8"));
const REQUESTS = [
  "textDocument/hover",
  "textDocument/completion",
  "textDocument/signatureHelp",
  "textDocument/definition",
  "textDocument/documentSymbol",
  "textDocument/formatting",
  "textDocument/inlayHint",
];

/** A small seeded generator (mulberry32). */
function generator(seed: number): (n: number) => number {
  let a = seed;
  return (n) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start();
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

describe("random edits and requests", () => {
  it("answers every request validly and stays alive", async () => {
    // LSP_FUZZ_SEED=n explores other sequences; the default one runs in the suite.
    const random = generator(Number(process.env.LSP_FUZZ_SEED ?? 20251125));
    const path = "test/cases/lsp/fuzzed.nn";
    let document = TextDocument.create("file:///x.nn", "nn", 1, EXAMPLES[0]);
    const uri = client.open(path, document.getText());
    const position = (): Position => {
      const lines = document.lineCount;
      const wild = random(10) === 0;
      return wild ? { line: random(lines + 5) - 2, character: random(300) - 50 } : { line: random(lines), character: random(90) };
    };
    const answers: Promise<unknown>[] = [];
    let version = 1;
    for (let round = 0; round < 300; round++) {
      version++;
      const change: TextDocumentContentChangeEvent =
        random(40) === 0
          ? { text: EXAMPLES[random(EXAMPLES.length)] }
          : { range: ordered(position(), position()), text: random(8) === 0 ? EXAMPLES[random(EXAMPLES.length)].slice(random(400), random(800)) : SNIPPETS[random(SNIPPETS.length)] };
      document = TextDocument.update(document, [change], version);
      client.change(uri, version, [change]);
      for (let k = random(3); k >= 0; k--) {
        const method = REQUESTS[random(REQUESTS.length)];
        const end = position();
        const params = { textDocument: { uri }, position: position(), range: ordered(position(), end), options: { tabSize: 2, insertSpaces: true } };
        answers.push(client.request(method, params).then((answer) => expectValid(method, answer)));
      }
    }
    // Malformed requests: an unknown document, no position, no parameters at all.
    answers.push(client.request("textDocument/hover", { textDocument: { uri: "file:///nowhere.nn" }, position: { line: 0, character: 0 } }).then((a) => expect(a).toBeNull()));
    answers.push(client.request("textDocument/completion", { textDocument: { uri } }).then((a) => expect(Array.isArray(a)).toBe(true)));
    answers.push(client.request("textDocument/hover", {}).then((a) => expect(a).toBeNull()));
    await Promise.all(answers);

    const final = await client.diagnostics(uri, version);
    const host = { readFile: (p: string) => { try { return readFileSync(p, "utf8"); } catch { return undefined; } } };
    const expected = checkSource(uriToPath(uri), document.getText(), host, { allModels: true }).diagnostics.filter((d) => d.file === uriToPath(uri));
    expect(final.map((d) => `${d.code} ${d.message}`)).toEqual(expected.map((d) => `${d.code} ${d.message}`));
    expect(client.logs.filter((l) => l.includes("failed"))).toEqual([]);
    expect(client.alive).toBe(true);
    expect(await client.request("textDocument/documentSymbol", { textDocument: { uri } })).toBeInstanceOf(Array);
  });
});

/** A range from two positions in document order. */
function ordered(a: Position, b: Position): { start: Position; end: Position } {
  return a.line < b.line || (a.line === b.line && a.character <= b.character) ? { start: a, end: b } : { start: b, end: a };
}

/** Checks the answer's shape for its method: null, an object or an array as LSP allows. */
function expectValid(method: string, answer: unknown): void {
  if (method.endsWith("documentSymbol") || method.endsWith("formatting") || method.endsWith("inlayHint") || method.endsWith("completion")) {
    expect(Array.isArray(answer), method).toBe(true);
    return;
  }
  expect(answer === null || (typeof answer === "object" && !Array.isArray(answer)), method).toBe(true);
}
