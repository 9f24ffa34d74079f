/**
 * The tokens of the nn language (docs/language.md). Whitespace, including newlines, separates tokens
 * and means nothing else: a statement ends where its expression can no longer continue.
 * Comments go to their own group so that the formatter can put them back.
 */
import { createToken, Lexer, type TokenType } from "chevrotain";

/**
 * A UTF-8 byte-order mark, which some Windows editors write: skipped, and only as the file's
 * first character (anywhere else it is E0101). It stays in the text, so every offset, and
 * every position the language server reports, counts it as the client's text does.
 */
export const ByteOrderMark = createToken({
  name: "ByteOrderMark",
  pattern: { exec: (text: string, offset: number) => (offset === 0 && text.charCodeAt(0) === 0xfeff ? BOM.exec(text) : null) },
  start_chars_hint: ["\uFEFF"],
  line_breaks: false,
  group: Lexer.SKIPPED,
});
const BOM = /^\uFEFF/;

export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v]+/, group: Lexer.SKIPPED });
export const Comment = createToken({ name: "Comment", pattern: /#[^\n\r]*/, group: "comments" });

export const Identifier = createToken({ name: "Identifier", pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: "a name" });

/**
 * Operator categories. The parser reads an operator expression as a flat list of operands and
 * operators (`compiler/syntax/operators.ts` applies precedence), so it needs only to know
 * which tokens are binary and which are prefix operators; `-` is both.
 */
export const BinaryOperator = createToken({ name: "BinaryOperator", pattern: Lexer.NA, label: "an operator" });
export const PrefixOperator = createToken({ name: "PrefixOperator", pattern: Lexer.NA, label: "'-' or 'not'" });

function keyword(word: string, categories: TokenType[] = []): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    label: `'${word}'`,
    categories,
  });
}

export const Model = keyword("model");
export const Block = keyword("block");
export const Use = keyword("use");
export const Return = keyword("return");
export const If = keyword("if");
export const Then = keyword("then");
export const Else = keyword("else");
export const For = keyword("for");
export const In = keyword("in");
export const Import = keyword("import");
export const Let = keyword("let");
export const True = keyword("true");
export const False = keyword("false");
export const And = keyword("and", [BinaryOperator]);
export const Or = keyword("or", [BinaryOperator]);
export const Not = keyword("not", [PrefixOperator]);

/** The language's keywords (and `let`), which cannot be identifiers. */
export const KEYWORDS: readonly string[] = [
  "model", "block", "use", "return", "if", "then", "else", "for", "in", "import", "let",
  "true", "false", "and", "or", "not",
];

export const NumberLiteral = createToken({
  name: "NumberLiteral",
  pattern: /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/,
  label: "a number",
});
export const StringLiteral = createToken({
  name: "StringLiteral",
  pattern: /"(?:[^"\\\n\r]|\\.)*"/,
  label: "a string",
});
/**
 * A string that runs to the end of its line without a closing quote. It counts as a string for
 * the parser, so the error is reported once (by the lexing step) instead of cascading.
 */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\n\r]|\\.)*\\?/,
  categories: [StringLiteral],
  label: "a string",
});

function punct(name: string, text: string, categories: TokenType[] = []): TokenType {
  const escaped = text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return createToken({ name, pattern: new RegExp(escaped), label: `'${text}'`, categories });
}

export const Arrow = punct("Arrow", "->");
export const EqEq = punct("EqEq", "==", [BinaryOperator]);
export const NotEq = punct("NotEq", "!=", [BinaryOperator]);
export const LtEq = punct("LtEq", "<=", [BinaryOperator]);
export const GtEq = punct("GtEq", ">=", [BinaryOperator]);
export const Lt = punct("Lt", "<", [BinaryOperator]);
export const Gt = punct("Gt", ">", [BinaryOperator]);
export const Equals = punct("Equals", "=");
export const Plus = punct("Plus", "+", [BinaryOperator]);
export const Minus = punct("Minus", "-", [BinaryOperator, PrefixOperator]);
export const Star = punct("Star", "*", [BinaryOperator]);
export const SlashSlash = punct("SlashSlash", "//", [BinaryOperator]);
export const Slash = punct("Slash", "/", [BinaryOperator]);
export const Percent = punct("Percent", "%", [BinaryOperator]);
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");
export const LBrace = punct("LBrace", "{");
export const RBrace = punct("RBrace", "}");
export const Comma = punct("Comma", ",");
export const Colon = punct("Colon", ":");

/** Every token in lexing order: longer punctuation before its prefixes, keywords before names. */
export const ALL_TOKENS: TokenType[] = [
  ByteOrderMark, WhiteSpace, Comment,
  Model, Block, Use, Return, If, Then, Else, For, In, Import, Let, True, False, And, Or, Not,
  Identifier, NumberLiteral, StringLiteral, UnterminatedString,
  Arrow, EqEq, NotEq, LtEq, GtEq, Lt, Gt, Equals, Plus, Minus, Star, SlashSlash, Slash, Percent,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Colon,
  BinaryOperator, PrefixOperator,
];

/** The lexer. `positionTracking: "onlyOffset"` because spans are offsets (lines come later). */
export const nnLexer = new Lexer(ALL_TOKENS, {
  positionTracking: "onlyOffset",
  ensureOptimizations: true,
});
