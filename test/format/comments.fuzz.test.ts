/**
 * Comments surrounded by every kind of whitespace the lexer knows (space, tab, vertical tab, form
 * feed, `\n`, `\r`, `\r\n`) and one it does not (a no-break space), in every gap between two
 * tokens of a few programs: at the top, between declarations, in bodies, after statements, inside
 * argument lists, lists and pipelines. Each file must format (or have a syntax error and come
 * back unchanged), keep its comments in order with the same texts, keep each comment own-line or
 * trailing as it was, keep every invariant of `invariants.ts`, and be stable under formatting
 * again. The generator is seeded, so a failure reproduces.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { format } from "../../compiler/format/format.js";
import { hasErrors } from "../../compiler/diagnostics/diagnostic.js";
import { parse } from "../../compiler/syntax/parse.js";
import { nnLexer } from "../../grammar/tokens.js";
import { CASES_DIR } from "./golden.js";
import { expectFormatInvariants } from "./invariants.js";
import { rng } from "../fuzz/mutate.js";

/** Golden cases whose text, without its comments, the comments are put into. */
const BASES = ["declarations", "statements", "pipelines", "for-loops", "if-else", "calls-and-literals", "arithmetic", "long-headers"].map((name) => ({
  name,
  text: readFileSync(join(CASES_DIR, `${name}.expected.nn`), "utf8").replace(/#[^\n]*/g, ""),
}));

const FILES = 500;
const BLANKS = [" ", "\t", "\v", "\f"];
const LINE_BREAKS = ["\n", "\r", "\r\n"];
/** Not whitespace to the lexer: outside a comment, a syntax error; inside one, comment text. */
const NO_BREAK_SPACE = "\u00a0";

/** Up to three pieces of whitespace; line breaks only with `breaks`, a no-break space rarely. */
function whitespace(random: () => number, breaks: boolean): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  let out = "";
  for (let n = Math.floor(random() * 4); n > 0; n--) {
    if (random() < 0.01) out += NO_BREAK_SPACE;
    else out += breaks && random() < 0.4 ? pick(LINE_BREAKS) : pick(BLANKS);
  }
  return out;
}

/** `text` with 1 to 6 comments put into gaps between its tokens (or before the first). */
function withComments(text: string, random: () => number): string {
  const gaps = [0, ...nnLexer.tokenize(text).tokens.map((t) => t.startOffset + t.image.length)];
  const chosen = new Set<number>();
  for (let n = 1 + Math.floor(random() * 6); n > 0; n--) chosen.add(gaps[Math.floor(random() * gaps.length)]);
  let out = text;
  const at = [...chosen].sort((a, b) => b - a);
  for (const [k, gap] of at.entries()) {
    const lineBreak = LINE_BREAKS[Math.floor(random() * LINE_BREAKS.length)];
    const comment = `${whitespace(random, true)}# c${at.length - k}${whitespace(random, false)}${lineBreak}${whitespace(random, true)}`;
    out = out.slice(0, gap) + comment + out.slice(gap);
  }
  return out;
}

/**
 * Each comment of `text` as `own-line` or `trailing`, with its text: own-line when only blanks
 * (the lexer's: space, tab, vertical tab, form feed) lie between it and the start of its line.
 */
function placements(text: string): string[] {
  return parse(text, "fuzz.nn").program.comments.map((c) => {
    const lineStart = Math.max(text.lastIndexOf("\n", c.span.start - 1), text.lastIndexOf("\r", c.span.start - 1)) + 1;
    const ownLine = /^[ \t\v\f]*$/.test(text.slice(lineStart, c.span.start));
    return `${ownLine ? "own-line" : "trailing"} ${c.text.trimEnd()}`;
  });
}

describe("comments among odd whitespace", () => {
  it(`keep their order, texts and places in ${FILES} generated files`, () => {
    const random = rng(20261130);
    let formatted = 0;
    for (let i = 0; i < FILES; i++) {
      const base = BASES[i % BASES.length];
      const text = withComments(base.text, random);
      const where = `${base.name}, file ${i}: ${JSON.stringify(text)}`;
      const result = format(text, "fuzz.nn");
      if (hasErrors(parse(text, "fuzz.nn").diagnostics)) {
        expect(result.text, where).toBe(text);
        continue;
      }
      expect(result.diagnostics, where).toEqual([]);
      expect(placements(result.text), where).toEqual(placements(text));
      expectFormatInvariants(text, "fuzz.nn");
      formatted++;
    }
    // The no-break space is rare, so almost every file is well-formed and formats.
    expect(formatted).toBeGreaterThan(FILES * 0.8);
  });
});
