/**
 * Line breaks: `\r\n`, `\n` and a lone `\r` each end a line, as LSP counts them, so a file saved
 * with old Mac line endings gets its diagnostics on the right lines, and the language server's
 * positions are the editor's.
 */
import { describe, expect, it } from "vitest";
import { TextDocument } from "vscode-languageserver-textdocument";
import { checkSource } from "../../compiler/check/check.js";
import { renderDiagnostics } from "../../compiler/diagnostics/render.js";
import { offsetAt, positionAt } from "../../compiler/lsp/positions.js";
import { SourceFile } from "../../compiler/syntax/span.js";

const MIXED = "a\r\nbb\rccc\n\r\rd";

describe("SourceFile line table", () => {
  it("ends a line at \\r\\n, \\n and a lone \\r", () => {
    const source = new SourceFile("m.nn", MIXED);
    expect(source.lineCount).toBe(6);
    expect([0, 1, 2, 3, 4, 5].map((line) => source.lineText(line))).toEqual(["a", "bb", "ccc", "", "", "d"]);
    expect(source.lineCol(MIXED.indexOf("bb"))).toEqual({ line: 1, col: 0 });
    expect(source.lineCol(MIXED.indexOf("ccc") + 1)).toEqual({ line: 2, col: 1 });
    expect(source.lineCol(MIXED.length)).toEqual({ line: 5, col: 1 });
  });

  it("a column past a line's end means its end, before the break", () => {
    const source = new SourceFile("m.nn", MIXED);
    expect(source.offsetAt({ line: 0, col: 99 })).toBe(1);
    expect(source.offsetAt({ line: 1, col: 99 })).toBe(MIXED.indexOf("bb") + 2);
  });
});

describe("a file with lone \\r line breaks", () => {
  const text = "model M(x: [N, 3]) {\r  return x -> nope\r}\r";

  it("gets its diagnostic on the line of the mistake", () => {
    const result = checkSource("cr.nn", text, { readFile: () => undefined });
    const rendered = renderDiagnostics(result.diagnostics, (p) => result.sources.get(p));
    expect(rendered).toMatch(/^cr\.nn:2:15: error\[E0301\]/);
    expect(rendered).toContain("  2 |   return x -> nope\n");
  });

  it("the language server's positions agree with the editor's for every offset", () => {
    for (const sample of [text, MIXED, "a\r\n\r\n\n\rb\r"]) {
      const source = new SourceFile("m.nn", sample);
      const editor = TextDocument.create("file:///m.nn", "nn", 1, sample);
      for (let offset = 0; offset <= sample.length; offset++) {
        // An offset inside `\r\n` has no position of its own; the editor puts it at the line's end.
        if (sample[offset - 1] === "\r" && sample[offset] === "\n") continue;
        const position = positionAt(source, offset);
        expect(position, `offset ${offset} of ${JSON.stringify(sample)}`).toEqual(editor.positionAt(offset));
        expect(offsetAt(source, position)).toBe(editor.offsetAt(position));
      }
    }
  });
});
