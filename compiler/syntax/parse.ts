/**
 * The parser's entry points. Parsing never fails: `parse` returns a program and the syntax
 * diagnostics (E01xx) found on the way, however malformed the text.
 */
import { EOF, type IRecognitionException, type IToken, type TokenType } from "chevrotain";
import { NnParser } from "../../grammar/parser.js";
import * as t from "../../grammar/tokens.js";
import type * as cst from "../../grammar/cst.js";
import type { Comment, Decl, Expr, Program } from "./ast.js";
import { CstToAst } from "./cst-to-ast.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/catalogue.js";
import { describeToken, syntaxMessages } from "./syntax-messages.js";
import { explainBrackets } from "./delimiters.js";
import { explainSlips } from "./slips.js";

/** One shared parser: Chevrotain parsers are reusable by resetting `input`. */
const nnParser = new NnParser(syntaxMessages);

const DECL_STARTS: ReadonlySet<TokenType> = new Set([t.Import, t.Let, t.Block, t.Model]);

/** The result of parsing one file. */
export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
}

/** Parses a whole file. */
export function parse(text: string, file: string): ParseResult {
  const { tokens, comments, diagnostics } = lex(text, file);
  const binary = notText(text, file);
  if (binary) {
    // Parsing bytes would only multiply errors about them: a few of the lexer's, then the cause.
    const program: Program = { kind: "program", decls: [], comments: [], span: { start: 0, end: text.length } };
    return { program, diagnostics: [binary, ...diagnostics.slice(0, ERRORS_BEFORE_BINARY)] };
  }
  try {
    return parseTokens(text, file, tokens, comments, diagnostics);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    // Chevrotain and the CST walk recurse once per nesting level; thousands of open brackets
    // exhaust the stack. Report where the nesting got deep rather than crash.
    const { at, what } = deepestNesting(tokens);
    const program: Program = { kind: "program", decls: [], comments, span: { start: 0, end: text.length } };
    const span = { start: at?.startOffset ?? 0, end: (at?.startOffset ?? 0) + 1 };
    return { program, diagnostics: [...diagnostics, diagnostic("E0106", file, span, what)] };
  }
}

function parseTokens(text: string, file: string, tokens: IToken[], comments: Comment[], diagnostics: Diagnostic[]): ParseResult {
  const decls: Decl[] = [];
  const builder = new CstToAst(text);
  // Parse declarations; where the parser stops before the end (text that starts no
  // declaration), report it once and go on from the next declaration keyword, so that one
  // stray line does not hide the rest of the file.
  let rest = tokens;
  while (rest.length > 0) {
    nnParser.input = rest;
    const tree = nnParser.program() as cst.ProgramCstNode;
    const errors = nnParser.errors;
    decls.push(...builder.program(tree).decls);
    const leftover = errors.find((e) => e.name === "NotAllInputParsedException");
    diagnostics.push(...errors.filter((e) => e !== leftover).map((e) => syntaxDiagnostic(e, file, text)));
    if (!leftover) break;
    const stop = rest.indexOf(leftover.token);
    diagnostics.push(syntaxDiagnostic(leftover, file, text));
    const next = rest.findIndex((tok, i) => i > stop && DECL_STARTS.has(tok.tokenType));
    if (stop < 0 || next < 0) break;
    rest = rest.slice(next);
  }
  diagnostics.push(...chainErrors(builder, file));
  const program: Program = { kind: "program", decls, comments, span: { start: 0, end: text.length } };
  return { program, diagnostics: explainSlips(explainBrackets(dedupe(diagnostics), tokens), tokens, text) };
}

/** The first bracket that opens the deepest nesting level. */
/**
 * Where the parser's recursion got deepest: the innermost open bracket, or the start of the
 * longest run of prefix operators (`- - - … 1`, `not not …`), each of which the parser also
 * recurses on; `what` says which, for the message.
 */
function deepestNesting(tokens: readonly IToken[]): { at: IToken | undefined; what: string } {
  let depth = 0;
  let deepest = 0;
  let at: IToken | undefined;
  let run = 0;
  let longest = 0;
  let runStart: IToken | undefined;
  let longestStart: IToken | undefined;
  for (const token of tokens) {
    if (PREFIX.has(token.tokenType)) {
      if (run === 0) runStart = token;
      run++;
      if (run > longest) [longest, longestStart] = [run, runStart];
    } else run = 0;
    if (OPENERS.has(token.tokenType)) {
      depth++;
      if (depth > deepest) [deepest, at] = [depth, token];
    } else if (CLOSERS.has(token.tokenType)) depth = Math.max(0, depth - 1);
  }
  if (longest > deepest) return { at: longestStart, what: `${longest.toLocaleString("en-US")} prefix operators in a row nest too deeply to parse` };
  return { at, what: "brackets nest too deeply to parse" };
}

/** How many of a binary file's errors are shown before the one that says it is not text. */
const ERRORS_BEFORE_BINARY = 3;

/**
 * E0107 when `text` does not look like nn source: it holds a NUL, or more than 1% of it (and at
 * least 4 characters) are control characters or bytes that were not UTF-8 (which reading turned
 * into U+FFFD). Otherwise undefined.
 */
function notText(text: string, file: string): Diagnostic | undefined {
  let nul = 0;
  let control = 0;
  let invalid = 0;
  let first = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const kind = c === 0 ? "nul" : c === 0xfffd ? "invalid" : isControl(c) ? "control" : undefined;
    if (kind === undefined) continue;
    if (first < 0) first = i;
    if (kind === "nul") nul++;
    else if (kind === "invalid") invalid++;
    else control++;
  }
  const odd = nul + control + invalid;
  if (nul === 0 && (odd < 4 || odd * 100 <= text.length)) return undefined;
  const parts = [
    nul > 0 ? `${nul.toLocaleString("en-US")} NUL byte${nul === 1 ? "" : "s"}` : "",
    control > 0 ? `${control.toLocaleString("en-US")} other control character${control === 1 ? "" : "s"}` : "",
    invalid > 0 ? `${invalid.toLocaleString("en-US")} byte sequence${invalid === 1 ? "" : "s"} that are not UTF-8` : "",
  ].filter((p) => p !== "");
  const message = `this does not look like an .nn file: it holds ${parts.join(", ")}, as a binary file does; checking stopped after the first errors`;
  return diagnostic("E0107", file, { start: first, end: first + 1 }, message);
}

/** C0 and C1 control characters other than the whitespace a text file has. */
function isControl(c: number): boolean {
  return (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c && c !== 0x0b) || (c >= 0x7f && c <= 0x9f);
}

const OPENERS: ReadonlySet<TokenType> = new Set([t.LParen, t.LBracket, t.LBrace]);
const CLOSERS: ReadonlySet<TokenType> = new Set([t.RParen, t.RBracket, t.RBrace]);
const PREFIX: ReadonlySet<TokenType> = new Set([t.Minus, t.Not]);

/** Parses a lone expression, as `--set k=EXPR` gives one. */
export function parseExpression(text: string, file: string): { expr: Expr; diagnostics: Diagnostic[] } {
  const { tokens, diagnostics } = lex(text, file);
  try {
    return parseExpressionTokens(text, file, tokens, diagnostics);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const deepest = deepestNesting(tokens);
    const at = deepest.at?.startOffset ?? 0;
    const span = { start: at, end: at + 1 };
    const expr: Expr = { kind: "number", value: 0, isInt: true, text: "0", span };
    return { expr, diagnostics: [...diagnostics, diagnostic("E0106", file, span, deepest.what)] };
  }
}

function parseExpressionTokens(text: string, file: string, tokens: IToken[], diagnostics: Diagnostic[]): { expr: Expr; diagnostics: Diagnostic[] } {
  nnParser.input = tokens;
  const tree = nnParser.expression() as cst.ExpressionCstNode;
  const errors = [...nnParser.errors];
  const next = nnParser.nextToken();
  if (errors.length === 0 && next.tokenType !== EOF) {
    diagnostics.push(
      diagnostic("E0105", file, spanOf(next, text), `unexpected ${describeToken(next)} after the expression`),
    );
  }
  diagnostics.push(...errors.map((e) => syntaxDiagnostic(e, file, text)));
  const builder = new CstToAst(text);
  const expr = builder.expression(tree);
  diagnostics.push(...chainErrors(builder, file));
  return { expr, diagnostics: explainSlips(explainBrackets(dedupe(diagnostics), tokens), tokens, text) };
}

function chainErrors(builder: CstToAst, file: string): Diagnostic[] {
  return builder.chained.map((span) =>
    diagnostic("E0103", file, span, "comparisons do not chain: write `a < b and b < c`, or parenthesize `(a < b) == c`"),
  );
}

function lex(text: string, file: string): { tokens: IToken[]; comments: Comment[]; diagnostics: Diagnostic[] } {
  const result = t.nnLexer.tokenize(text);
  // The lexer's "onlyOffset" tracking records start offsets only; the parser's node locations
  // need end offsets too, and these are cheap to fill in here.
  for (const token of result.tokens) token.endOffset = token.startOffset + token.image.length - 1;
  const diagnostics = result.errors.map((e) => {
    const span = { start: e.offset, end: e.offset + Math.max(1, e.length) };
    const shown = text.slice(span.start, span.end);
    if (shown === "\uFEFF") return diagnostic("E0101", file, span, "a byte-order mark (U+FEFF) may only start the file");
    return diagnostic("E0101", file, span, `unexpected character${shown.length > 1 ? "s" : ""} ${quoted(shown)}`);
  });
  for (const token of result.tokens) {
    if (token.tokenType !== t.UnterminatedString) continue;
    const span = { start: token.startOffset, end: token.startOffset + token.image.length };
    diagnostics.push(diagnostic("E0102", file, span, "unterminated string: a string ends with `\"` on the same line"));
  }
  const comments = (result.groups.comments ?? []).map((c) => ({
    text: c.image,
    span: { start: c.startOffset, end: c.startOffset + c.image.length },
  }));
  return { tokens: result.tokens, comments, diagnostics };
}

/**
 * `text` in double quotes with every control character escaped (`"\u001b"`), C1 and DEL
 * included, which JSON.stringify leaves raw and a terminal may act on.
 */
function quoted(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function syntaxDiagnostic(error: IRecognitionException, file: string, text: string): Diagnostic {
  // The `program` rule consumes no token itself: an error raised directly in it (not in a
  // declaration it called) is text where a declaration should start.
  const stack = error.context.ruleStack;
  const atTopLevel = stack.length === 1 && stack[0] === "program";
  const code =
    error.name === "NotAllInputParsedException" || atTopLevel
      ? "E0105"
      : error.name === "MismatchedTokenException"
        ? "E0103"
        : "E0104";
  return diagnostic(code, file, spanOf(error.token, text, (error as { previousToken?: IToken }).previousToken), error.message);
}

/** The span of a token; at the end of input, the point just after the last real token. */
function spanOf(token: IToken, text: string, previous?: IToken): { start: number; end: number } {
  if (token.tokenType === EOF || Number.isNaN(token.startOffset)) {
    const at = previous && !Number.isNaN(previous.startOffset) ? previous.startOffset + previous.image.length : text.length;
    return { start: at, end: at };
  }
  return { start: token.startOffset, end: token.startOffset + token.image.length };
}

/** Recovery can report the same spot twice; keep the first message per position and code. */
function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics
    .filter((d) => {
      const key = `${d.code}:${d.span.start}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.span.start - b.span.start);
}
