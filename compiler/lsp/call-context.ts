/**
 * The call the cursor is in, read from the tokens before it rather than from the tree: while
 * an argument list is being typed (`conv(16, st`), the parser's recovery may not have made a
 * call node at all. Completion (named arguments) and signature help both start here.
 */
import type { IToken } from "chevrotain";
import * as t from "../../grammar/tokens.js";
import type { Program } from "../syntax/ast.js";

/** Where in a call's argument list the cursor is. */
export interface CallContext {
  /** The name being called. */
  readonly callee: string;
  /** The offset of the callee's name. */
  readonly calleeOffset: number;
  /** How many positional arguments come before the current one. */
  readonly positional: number;
  /** The names of the named arguments given before the cursor. */
  readonly named: readonly string[];
  /** The name of the current argument, when it is written `name: ...`. */
  readonly currentName?: string;
  /** True while the current argument is empty or a lone name being typed (a name may go here). */
  readonly atArgumentStart: boolean;
}

const OPENERS = new Set([t.LParen, t.LBracket, t.LBrace]);
const CLOSERS = new Set([t.RParen, t.RBracket, t.RBrace]);

/** The innermost call whose argument list holds `offset`, if any. */
export function callContextAt(text: string, program: Program, offset: number): CallContext | undefined {
  // Lexing from the start of the enclosing declaration is enough: calls do not span declarations.
  const from = program.decls.reduce((at, d) => (d.span.start <= offset ? d.span.start : at), 0);
  const tokens = t.nnLexer.tokenize(text.slice(from, offset)).tokens;
  const open: number[] = [];
  tokens.forEach((token, i) => {
    if (OPENERS.has(token.tokenType)) open.push(i);
    else if (CLOSERS.has(token.tokenType)) open.pop();
  });
  const paren = open[open.length - 1];
  if (paren === undefined || tokens[paren].tokenType !== t.LParen) return undefined;
  const callee = tokens[paren - 1];
  if (!callee || callee.tokenType !== t.Identifier) return undefined;
  return argumentsContext(tokens.slice(paren + 1), callee.image, from + callee.startOffset, offset - from);
}

function argumentsContext(tokens: readonly IToken[], callee: string, calleeOffset: number, end: number): CallContext {
  let depth = 0;
  let positional = 0;
  const named: string[] = [];
  let current: IToken[] = [];
  const finish = () => {
    const name = argumentName(current);
    if (name) named.push(name);
    else if (current.length > 0) positional++;
    current = [];
  };
  for (const token of tokens) {
    if (OPENERS.has(token.tokenType)) depth++;
    else if (CLOSERS.has(token.tokenType)) depth--;
    if (depth === 0 && token.tokenType === t.Comma) finish();
    else current.push(token);
  }
  const currentName = argumentName(current);
  const last = current[current.length - 1];
  const typingName = current.length === 1 && last.tokenType === t.Identifier && last.startOffset + last.image.length === end;
  return { callee, calleeOffset, positional, named, currentName, atArgumentStart: current.length === 0 || typingName };
}

/** `name` for an argument that starts `name :`. */
function argumentName(tokens: readonly IToken[]): string | undefined {
  return tokens.length >= 2 && tokens[0].tokenType === t.Identifier && tokens[1].tokenType === t.Colon ? tokens[0].image : undefined;
}
