/**
 * Common slips, named as what they are. The parser reports where the grammar stopped ("expected
 * '}' but found '='"), which is right but says nothing about the cause when the cause is a habit
 * from another language: `=>` for `->`, `//` comments, `&&`, a `;` at the end of a line, `let`
 * inside a body, a return type after the parameters. Each rule here recognizes one slip from the
 * tokens around a syntax diagnostic and rewrites that diagnostic's message; the further syntax
 * errors the same slip caused on its line are dropped, since they only repeat it.
 */
import type { IToken, TokenType } from "chevrotain";
import * as t from "../../grammar/tokens.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import type { Span } from "./span.js";

const PARSER_CODES: ReadonlySet<string> = new Set(["E0103", "E0104", "E0105"]);

/** Words that declare a function or class elsewhere, and what nn writes instead. */
const FOREIGN_DECLARATIONS: ReadonlySet<string> = new Set(["def", "fn", "func", "function", "class", "struct", "module", "layer_def"]);

/** Lexer errors that are an operator of another language, and nn's word for it. */
const FOREIGN_OPERATORS: Readonly<Record<string, string>> = {
  "&&": "`and`",
  "&": "`and`",
  "||": "`or`",
  "|": "`or`",
  "!": "`not` (and `!=` for not-equal)",
};

/**
 * A slip found at a diagnostic: the new message and span, and which of the line's later syntax
 * errors follow from it: the parser's (`parser`), every one (`all`: after `//` the rest of the
 * line is prose, whose characters the lexer rejects too), or none.
 */
interface Explained {
  readonly message: string;
  readonly span: Span;
  readonly cascades: "parser" | "all" | false;
  /** Where the errors it causes end, when not at the end of its line. */
  readonly cascadeEnd?: number;
}

/**
 * Rewrites the syntax diagnostics of `text` (tokens `tokens`) that a common slip explains.
 * Other diagnostics pass through unchanged.
 */
export function explainSlips(diagnostics: readonly Diagnostic[], tokens: readonly IToken[], text: string): Diagnostic[] {
  if (!diagnostics.some((d) => d.code.startsWith("E01"))) return [...diagnostics];
  const byStart = new Map<number, number>();
  tokens.forEach((token, i) => byStart.set(token.startOffset, i));
  const result: Diagnostic[] = [];
  let cascadeLine: { end: number; all: boolean } | undefined;
  for (const d of diagnostics) {
    const follows = cascadeLine && d.span.start < cascadeLine.end && (cascadeLine.all ? d.code.startsWith("E01") : PARSER_CODES.has(d.code));
    if (follows) continue;
    cascadeLine = undefined;
    const explained = d.code === "E0101" ? lexerSlip(d, text) : PARSER_CODES.has(d.code) ? parserSlip(d, tokens, byStart, text) : undefined;
    if (!explained) {
      result.push(d);
      continue;
    }
    result.push({ ...d, message: explained.message, span: explained.span });
    if (explained.cascades) cascadeLine = { end: explained.cascadeEnd ?? lineEnd(text, d.span.start), all: explained.cascades === "all" };
  }
  return result;
}

function lexerSlip(d: Diagnostic, text: string): Explained | undefined {
  const shown = text.slice(d.span.start, d.span.end);
  if (shown === ";") {
    return { message: "unexpected `;`: nn needs no `;`, a statement ends where its expression does; remove it", span: d.span, cascades: "parser" };
  }
  const word = FOREIGN_OPERATORS[shown];
  if (word !== undefined) return { message: `unexpected \`${shown}\`: nn writes this operator as ${word}`, span: d.span, cascades: "parser" };
  return undefined;
}

function parserSlip(d: Diagnostic, tokens: readonly IToken[], byStart: ReadonlyMap<number, number>, text: string): Explained | undefined {
  const at = byStart.get(d.span.start);
  if (at === undefined) return undefined;
  const token = tokens[at];
  const next = tokens[at + 1] as IToken | undefined;
  const previous = tokens[at - 1] as IToken | undefined;
  const is = (tok: IToken | undefined, type: TokenType) => tok !== undefined && tok.tokenType === type;
  // `x => conv(8, 3)`: the lexer reads `=>` as `=` then `>`.
  if (is(token, t.Equals) && is(next, t.Gt) && next!.startOffset === token.startOffset + 1) {
    return {
      message: "`=>` is not an operator of nn: a pipeline feeds a value into a layer with `->`",
      span: { start: token.startOffset, end: token.startOffset + 2 },
      cascades: "parser",
    };
  }
  // `if a = b then`: `=` binds a name; a comparison is `==`.
  if (is(token, t.Equals) && d.message.startsWith("expected 'then'")) {
    return { message: "`=` binds a name; to compare, write `==`", span: d.span, cascades: "parser" };
  }
  // A `//` that starts its line is a comment in C, Java or JavaScript.
  if (is(token, t.SlashSlash) && onlySpaceBefore(text, token.startOffset)) {
    return { message: "`//` does not start a comment in nn: comments start with `#`", span: d.span, cascades: "all" };
  }
  // `model M(x: ...) -> [N, 10] {`: there is no declared output type.
  if (is(token, t.Arrow) && is(previous, t.RParen) && d.message.startsWith("expected '{'")) {
    return {
      message: "a block or model declares no output type: its output is what it returns (its shape is inferred); remove the `-> ...` before `{`",
      span: d.span,
      cascades: "parser",
    };
  }
  // `let` inside a body: bindings there have no keyword.
  // The parser leaves the body there, and reads the rest of it as declarations: its errors up to
  // the body's `}` follow from the `let`.
  if (is(token, t.Let) && insideBraces(tokens, at)) {
    const message = "`let` declares a constant at the top level of a file; inside a body, bind a name without it: `y = ...`";
    return { message, span: d.span, cascades: "parser", cascadeEnd: closingBrace(tokens, at) ?? lineEnd(text, d.span.start) };
  }
  // A pipeline whose line ends in `->`: the next statement is read as its missing stage.
  if (d.code === "E0104" && is(previous, t.Arrow) && /[\r\n]/.test(text.slice(previous!.startOffset, d.span.start))) {
    return { message: `expected a layer after \`->\`, found ${describe(token)}`, span: { start: previous!.startOffset, end: previous!.startOffset + 2 }, cascades: false };
  }
  // `def f(...)`, `class Net`, `function f`: a block is nn's function.
  if (d.code === "E0105" && is(token, t.Identifier) && FOREIGN_DECLARATIONS.has(token.image)) {
    return { message: `\`${token.image}\` declares nothing in nn: a reusable piece of a model is a block, \`block Name(x, c: int) { ... }\``, span: d.span, cascades: "parser" };
  }
  return undefined;
}

function describe(token: IToken): string {
  return Number.isNaN(token.startOffset) ? "the end of the file" : `'${token.image}'`;
}

function onlySpaceBefore(text: string, offset: number): boolean {
  for (let i = offset - 1; i >= 0; i--) {
    const c = text[i];
    if (c === "\n" || c === "\r") return true;
    if (c !== " " && c !== "\t" && c !== "\uFEFF") return false;
  }
  return true;
}

function lineEnd(text: string, offset: number): number {
  const match = /[\r\n]/.exec(text.slice(offset));
  return match ? offset + match.index : text.length;
}

/** The end of the `}` that closes the braces token `at` lies inside, if there is one. */
function closingBrace(tokens: readonly IToken[], at: number): number | undefined {
  let depth = 0;
  for (let i = at; i < tokens.length; i++) {
    if (tokens[i].tokenType === t.LBrace) depth++;
    else if (tokens[i].tokenType === t.RBrace && depth-- === 0) return tokens[i].startOffset + 1;
  }
  return undefined;
}

/** Whether token `at` lies inside a `{ }` (a block or model body). */
function insideBraces(tokens: readonly IToken[], at: number): boolean {
  let depth = 0;
  for (let i = 0; i < at; i++) {
    if (tokens[i].tokenType === t.LBrace) depth++;
    else if (tokens[i].tokenType === t.RBrace) depth = Math.max(0, depth - 1);
  }
  return depth > 0;
}
