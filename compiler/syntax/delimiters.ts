/**
 * Brackets in syntax errors, as rustc reports them: when the parser has stopped, a bracket left
 * open gets a note at the place it was opened ("unclosed delimiter"), and a closing bracket that
 * closes nothing is named as the actual problem instead of "expected '}' but found ')'".
 * Matching runs over the tokens only, so it works however the parser recovered.
 */
import type { IToken, TokenType } from "chevrotain";
import * as t from "../../grammar/tokens.js";
import type { Diagnostic, RelatedInfo } from "../diagnostics/diagnostic.js";

/** Each closing bracket's opening one. */
const OPENER_OF: ReadonlyMap<TokenType, TokenType> = new Map([
  [t.RParen, t.LParen],
  [t.RBracket, t.LBracket],
  [t.RBrace, t.LBrace],
]);
const OPENERS: ReadonlySet<TokenType> = new Set(OPENER_OF.values());
const OPENING_TEXT: Readonly<Record<string, string>> = { ")": "(", "]": "[", "}": "{" };
const SYNTAX_CODES: ReadonlySet<string> = new Set(["E0103", "E0104", "E0105"]);

/** What matching the brackets of a token list found. */
interface Mismatches {
  /** Opening brackets never closed, or left open by a closing bracket of an outer one. */
  unclosed: IToken[];
  /** The outermost bracket still open at the end, whose error is usually the last one. */
  outermost: IToken | undefined;
  /** Closing brackets with no open bracket of their kind, and the innermost open one then. */
  stray: { token: IToken; innermost: IToken | undefined }[];
}

function matchBrackets(tokens: readonly IToken[]): Mismatches {
  const open: IToken[] = [];
  const found: Mismatches = { unclosed: [], outermost: undefined, stray: [] };
  for (const token of tokens) {
    if (OPENERS.has(token.tokenType)) {
      open.push(token);
      continue;
    }
    const opener = OPENER_OF.get(token.tokenType);
    if (!opener) continue;
    let at = open.length - 1;
    while (at >= 0 && open[at].tokenType !== opener) at--;
    if (at < 0) {
      found.stray.push({ token, innermost: open.at(-1) });
      continue;
    }
    // `{ f(x }`: the `}` closes its `{`, and the `(` inside it was never closed.
    found.unclosed.push(...open.splice(at).slice(1));
  }
  found.outermost = open.shift();
  found.unclosed.push(...open);
  return found;
}

/**
 * Rewrites the syntax diagnostics of a token list whose brackets do not match: a stray closing
 * bracket's diagnostic says so, and the first syntax diagnostic after an unclosed bracket gets
 * a note pointing at it. Diagnostics other than syntax errors, and files without one, pass
 * through unchanged.
 */
export function explainBrackets(diagnostics: readonly Diagnostic[], tokens: readonly IToken[]): Diagnostic[] {
  if (!diagnostics.some((d) => SYNTAX_CODES.has(d.code))) return [...diagnostics];
  const { unclosed, outermost, stray } = matchBrackets(tokens);
  const result = [...diagnostics];
  const at = (start: number) => result.findIndex((d) => SYNTAX_CODES.has(d.code) && d.span.start === start);
  const note = (index: number, related: RelatedInfo) => {
    const d = result[index];
    if (d.related.some((r) => r.span.start === related.span.start)) return;
    result[index] = { ...d, related: [...d.related, related] };
  };
  for (const { token, innermost } of stray) {
    // Where an expression was expected (E0104), "expected an expression, found ')'" already
    // says what is wrong; elsewhere the parser names a token the stray bracket only displaced.
    const index = at(token.startOffset);
    if (index < 0 || result[index].code === "E0104") continue;
    const d = result[index];
    const opener = OPENING_TEXT[token.image];
    const message = `unexpected closing \`${token.image}\`: no \`${opener}\` is open here for it to close`;
    result[index] = { ...d, message };
    if (innermost) note(index, { file: d.file, span: spanOf(innermost), message: `the innermost open bracket is this \`${innermost.image}\`` });
  }
  for (const opener of unclosed) {
    const index = result.findIndex((d) => SYNTAX_CODES.has(d.code) && d.span.start > opener.startOffset);
    if (index < 0) continue;
    note(index, { file: result[index].file, span: spanOf(opener), message: `unclosed \`${opener.image}\` opened here` });
  }
  if (outermost) {
    let index = result.length - 1;
    while (index >= 0 && !(SYNTAX_CODES.has(result[index].code) && result[index].span.start > outermost.startOffset)) index--;
    if (index >= 0) note(index, { file: result[index].file, span: spanOf(outermost), message: `unclosed \`${outermost.image}\` opened here` });
  }
  return result;
}

function spanOf(token: IToken): { start: number; end: number } {
  return { start: token.startOffset, end: token.startOffset + token.image.length };
}
