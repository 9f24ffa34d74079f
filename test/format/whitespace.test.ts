import { describe, expect, it } from "vitest";
import { format } from "../../compiler/format/format.js";
import { isBlank, isLineBreak } from "../../compiler/format/whitespace.js";
import { nnLexer } from "../../grammar/tokens.js";

describe("the formatter's whitespace is the lexer's", () => {
  it("agrees on which characters are whitespace and which end a comment, for every code unit", () => {
    const disagreements: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const ch = String.fromCharCode(code);
      const between = nnLexer.tokenize(`a${ch}b`);
      const isWhitespace = between.errors.length === 0 && between.tokens.map((t) => t.image).join(" ") === "a b";
      const endsComment = nnLexer.tokenize(`#a${ch}b`).groups.comments[0].image === "#a";
      const agrees = (isBlank(ch) || isLineBreak(ch)) === isWhitespace && !(isBlank(ch) && isLineBreak(ch)) && isLineBreak(ch) === endsComment;
      if (!agrees) {
        disagreements.push(`U+${code.toString(16).padStart(4, "0")}`);
      }
    }
    expect(disagreements).toEqual([]);
  });
});

describe("comments after odd whitespace", () => {
  const check = (input: string, expected: string) => expect(format(input, "c.nn").text).toBe(expected);

  it("keeps own-line comments after a vertical tab in order, on their own lines", () => {
    check(
      "\v# first\n# second\nmodel M(x: [N, 4]) {\n  return x -> relu\n}\n",
      "# first\n# second\nmodel M(x: [N, 4]) {\n  return x -> relu\n}\n",
    );
  });
  it("keeps an own-line comment after a form feed on its own line", () => {
    check(
      "model M(x: [N, 4]) {\n  y = x\n\f# own\n  return y -> relu\n}\n",
      "model M(x: [N, 4]) {\n  y = x\n  # own\n  return y -> relu\n}\n",
    );
  });
  it("keeps a trailing comment after a vertical tab or form feed trailing", () => {
    check("let a = 1\v\f# one\nlet b = 2\n", "let a = 1  # one\nlet b = 2\n");
  });
  it("reads a lone \\r as a line break, for own-line comments and blank lines", () => {
    check("let a = 1\r\r# c\rlet b = 2\r", "let a = 1\n\n# c\nlet b = 2\n");
    check("model M(x: [N, 4]) #c\r{ return x }\n", "model M(x: [N, 4])  #c\n{\n  return x\n}\n");
  });
  it("leaves a file with a no-break space outside comments alone: it is no whitespace", () => {
    const text = "let a = 1\n\u00a0# c\n";
    expect(format(text, "c.nn")).toMatchObject({ text, diagnostics: [{ code: "E0101" }] });
  });
});
