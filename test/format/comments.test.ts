import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { format } from "../../compiler/format/format.js";
import { nnLexer } from "../../grammar/tokens.js";
import { CASES_DIR } from "./golden.js";
import { expectFormatInvariants } from "./invariants.js";

/** Cases whose text, without comments, is the material for the comment-everywhere tests. */
const MATERIAL = ["declarations", "statements", "pipelines", "for-loops", "if-else", "arithmetic", "calls-and-literals"];

/** The end offsets of every token of `text`: each is a gap where a comment may go. */
function gaps(text: string): number[] {
  return nnLexer.tokenize(text).tokens.map((t) => t.startOffset + t.image.length);
}

describe("a comment in any gap between two tokens", () => {
  for (const name of MATERIAL) {
    const text = readFileSync(join(CASES_DIR, `${name}.expected.nn`), "utf8").replace(/#[^\n]*/g, "");
    it(`${name}: stays with its statement, as a trailing comment`, () => {
      for (const [i, at] of gaps(text).entries()) {
        expectFormatInvariants(`${text.slice(0, at)} # c${i}\n${text.slice(at)}`, `${name}.nn`);
      }
    });
    it(`${name}: stays with its statement, as an own-line comment`, () => {
      for (const [i, at] of gaps(text).entries()) {
        expectFormatInvariants(`${text.slice(0, at)}\n# c${i}\n${text.slice(at)}`, `${name}.nn`);
      }
    });
  }
});

describe("a comment added next to existing ones", () => {
  for (const name of ["comments", "odd-comments"]) {
    const text = readFileSync(join(CASES_DIR, `${name}.expected.nn`), "utf8");
    it(`${name}: keeps every comment with its statement`, () => {
      for (const [i, at] of gaps(text).entries()) {
        expectFormatInvariants(`${text.slice(0, at)} # c${i}\n${text.slice(at)}`, `${name}.nn`);
        expectFormatInvariants(`${text.slice(0, at)}\n# c${i}\n${text.slice(at)}`, `${name}.nn`);
      }
    });
  }
});

describe("comment layout", () => {
  const check = (input: string, expected: string) => expect(format(input, "c.nn").text).toBe(expected);

  it("keeps a trailing comment two spaces after its code", () => {
    check("let a = 1      # one\n", "let a = 1  # one\n");
  });
  it("keeps an own-line comment before the statement that follows, at its indentation", () => {
    check("model M(x: [N, 8]) {\n# why\n        return x\n}\n", "model M(x: [N, 8]) {\n  # why\n  return x\n}\n");
  });
  it("keeps comments at the end of a body before its closing brace", () => {
    check("model M(x: [N, 8]) {\n  return x\n      # done\n}\n", "model M(x: [N, 8]) {\n  return x\n  # done\n}\n");
  });
  it("keeps a body made only of comments", () => {
    check("model M(x: [N, 8]) { # nothing yet\n}\n", "model M(x: [N, 8]) {  # nothing yet\n}\n");
    check("model M(x: [N, 8]) {\n  # nothing yet\n}\n", "model M(x: [N, 8]) {\n  # nothing yet\n}\n");
  });
  it("keeps the author's break at an own-line comment inside a pipeline, the comment at the stages' column", () => {
    check(
      "let a = x -> relu\n  # then\n  -> flatten\n",
      "let a = x -> relu\n          # then\n          -> flatten\n",
    );
    check(
      "let a = x\n  -> relu\n  # then\n  -> flatten\n",
      "let a = x\n    -> relu\n    # then\n    -> flatten\n",
    );
  });
  it("keeps the header comment at the top, with its blank line", () => {
    check("# header\n\n\n\nlet a = 1\n", "# header\n\nlet a = 1\n");
  });
  it("keeps two trailing comments around one token trailing, the token starting a line of its own", () => {
    check("let a = b # one\n + # two\n c\n", "let a = b  # one\n    +  # two\n    c\n");
    check(
      "let a = x # one\n -> # two\n flatten -> dense(10)\n",
      "let a = x  # one\n    ->  # two\n        flatten\n    -> dense(10)\n",
    );
    check("let a = f(b # one\n , # two\n c)\n", "let a = f(\n  b  # one\n      ,  # two\n  c\n)\n");
  });
  it("moves a lone trailing comment after an arrow before it", () => {
    check("let a = x -> # why\n relu\n", "let a = x  # why\n    -> relu\n");
  });
  it("keeps a comment inside the first stage of a pipeline inside it", () => {
    check(
      "let a = conv(8, pad # why\n: same) -> relu\n",
      "let a = conv(\n  8,\n  pad:  # why\n      same\n)\n    -> relu\n",
    );
  });
  it("keeps the blank line between two comment paragraphs", () => {
    check(
      "model M(x: [N, 8]) {\n  # one\n\n\n  # two\n  return x\n}\n",
      "model M(x: [N, 8]) {\n  # one\n\n  # two\n  return x\n}\n",
    );
  });
});
