/**
 * Syntax error messages in the compiler's voice ("expected ')' but found 'x'") instead of
 * Chevrotain's defaults, which name grammar rules and token types.
 */
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";

/** How a token is shown in a message: its text in quotes, or "the end of the file". */
export function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return "the end of the file";
  return `'${token.image}'`;
}

function describeType(type: TokenType): string {
  if (type === EOF) return "the end of the file";
  return typeof type.LABEL === "string" ? type.LABEL : type.name;
}

/** What a rule produces, for "expected <what>" messages. */
const RULE_NOUNS: Record<string, string> = {
  program: "a declaration (`import`, `let`, `block` or `model`)",
  statement: "a statement",
  typeRef: "a type (`int`, `float`, `bool`, `layer`, `[int]`) or a shape such as `[N, 3, 32, 32]`",
  dim: "a dimension (an integer or a name)",
};

function expectedWhat(ruleName: string): string {
  return RULE_NOUNS[ruleName] ?? "an expression";
}

/** Chevrotain's hooks for building syntax error messages. */
export const syntaxMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    if (expected === EOF) return `expected ${RULE_NOUNS.program}, found ${describeToken(actual)}`;
    return `expected ${describeType(expected)} but found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `expected ${RULE_NOUNS.program}, found ${describeToken(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, ruleName }) {
    return `expected ${expectedWhat(ruleName)}, found ${describeToken(actual[0])}`;
  },
  buildEarlyExitMessage({ actual, ruleName }) {
    return `expected ${expectedWhat(ruleName)}, found ${describeToken(actual[0])}`;
  },
};
