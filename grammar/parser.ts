/**
 * The grammar of the nn language as a Chevrotain `CstParser`. Rules are class fields, so a
 * mistyped `SUBRULE` fails to compile, and `recoveryEnabled` turns syntax errors into data: the
 * parser always returns a tree. `grammar/cst.d.ts` holds the CST types generated from these
 * rules (`npm run gen:cst`); `compiler/syntax/cst-to-ast.ts` turns the CST into the AST.
 *
 * Precedence, loosest first: `if`/`for` < `->` < `or` < `and` < `not` < comparison <
 * `+ -` < `* / // %` < unary `-` < primary.
 */
import { CstParser, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";
import * as t from "./tokens.js";

const COMPARISON: TokenType[] = [t.EqEq, t.NotEq, t.LtEq, t.GtEq, t.Lt, t.Gt];

export class NnParser extends CstParser {
  constructor(errorMessageProvider?: IParserErrorMessageProvider) {
    super(t.ALL_TOKENS, {
      recoveryEnabled: true,
      maxLookahead: 3,
      nodeLocationTracking: "onlyOffset",
      ...(errorMessageProvider ? { errorMessageProvider } : {}),
    });
    this.performSelfAnalysis();
  }

  /** The next unconsumed token (after a rule returns, what follows the text it parsed). */
  nextToken(): IToken {
    return this.LA(1);
  }

  program = this.RULE("program", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.letDecl) },
        { ALT: () => this.SUBRULE(this.blockDecl) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
      ]);
    });
  });

  importDecl = this.RULE("importDecl", () => {
    this.CONSUME(t.Import);
    this.CONSUME(t.StringLiteral);
  });

  letDecl = this.RULE("letDecl", () => {
    this.CONSUME(t.Let);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression);
  });

  blockDecl = this.RULE("blockDecl", () => {
    this.CONSUME(t.Block);
    this.CONSUME(t.Identifier);
    this.SUBRULE(this.paramList);
    this.SUBRULE(this.body);
  });

  modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(t.Model);
    this.CONSUME(t.Identifier);
    this.SUBRULE(this.paramList);
    this.SUBRULE(this.body);
  });

  paramList = this.RULE("paramList", () => {
    this.CONSUME(t.LParen);
    this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.param) });
    this.CONSUME(t.RParen);
  });

  param = this.RULE("param", () => {
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.Colon);
      this.SUBRULE(this.typeRef);
    });
    this.OPTION2(() => {
      this.CONSUME(t.Equals);
      this.SUBRULE(this.expression);
    });
  });

  /** `int`, `[int]`, or a shape `[N, 3, 32, 32]`; cst-to-ast tells a list type from a shape. */
  typeRef = this.RULE("typeRef", () => {
    this.OR([
      { ALT: () => this.CONSUME(t.Identifier) },
      {
        ALT: () => {
          this.CONSUME(t.LBracket);
          this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.dim) });
          this.CONSUME(t.RBracket);
        },
      },
    ]);
  });

  dim = this.RULE("dim", () => {
    this.OR([{ ALT: () => this.CONSUME(t.NumberLiteral) }, { ALT: () => this.CONSUME(t.Identifier) }]);
  });

  body = this.RULE("body", () => {
    this.CONSUME(t.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(t.RBrace);
  });

  statement = this.RULE("statement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.useStmt) },
      { ALT: () => this.SUBRULE(this.returnStmt) },
      { GATE: () => this.LA(2).tokenType === t.Equals, ALT: () => this.SUBRULE(this.bindStmt) },
      { ALT: () => this.SUBRULE(this.exprStmt) },
    ]);
  });

  useStmt = this.RULE("useStmt", () => {
    this.CONSUME(t.Use);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression);
  });

  returnStmt = this.RULE("returnStmt", () => {
    this.CONSUME(t.Return);
    this.SUBRULE(this.expression);
  });

  bindStmt = this.RULE("bindStmt", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Equals);
    this.SUBRULE(this.expression);
  });

  exprStmt = this.RULE("exprStmt", () => {
    this.SUBRULE(this.expression);
  });

  /** A pipeline of one or more stages. */
  expression = this.RULE("expression", () => {
    this.SUBRULE(this.orExpr);
    this.MANY(() => {
      this.CONSUME(t.Arrow);
      this.SUBRULE2(this.orExpr);
    });
  });

  orExpr = this.RULE("orExpr", () => {
    this.SUBRULE(this.andExpr);
    this.MANY(() => {
      this.CONSUME(t.Or);
      this.SUBRULE2(this.andExpr);
    });
  });

  andExpr = this.RULE("andExpr", () => {
    this.SUBRULE(this.notExpr);
    this.MANY(() => {
      this.CONSUME(t.And);
      this.SUBRULE2(this.notExpr);
    });
  });

  notExpr = this.RULE("notExpr", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  comparison = this.RULE("comparison", () => {
    this.SUBRULE(this.additive);
    this.OPTION(() => {
      this.OR(COMPARISON.map((tok) => ({ ALT: () => this.CONSUME(tok) })));
      this.SUBRULE2(this.additive);
    });
  });

  additive = this.RULE("additive", () => {
    this.SUBRULE(this.multiplicative);
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(t.Plus) }, { ALT: () => this.CONSUME(t.Minus) }]);
      this.SUBRULE2(this.multiplicative);
    });
  });

  multiplicative = this.RULE("multiplicative", () => {
    this.SUBRULE(this.unary);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(t.Star) },
        { ALT: () => this.CONSUME(t.SlashSlash) },
        { ALT: () => this.CONSUME(t.Slash) },
        { ALT: () => this.CONSUME(t.Percent) },
      ]);
      this.SUBRULE2(this.unary);
    });
  });

  unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(t.Minus);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  primary = this.RULE("primary", () => {
    this.OR([
      { ALT: () => this.CONSUME(t.NumberLiteral) },
      { ALT: () => this.CONSUME(t.StringLiteral) },
      { ALT: () => this.CONSUME(t.True) },
      { ALT: () => this.CONSUME(t.False) },
      { ALT: () => this.SUBRULE(this.ifExpr) },
      { ALT: () => this.SUBRULE(this.forExpr) },
      { GATE: () => this.LA(2).tokenType === t.Colon, ALT: () => this.SUBRULE(this.labelExpr) },
      { ALT: () => this.SUBRULE(this.nameOrCall) },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.listExpr) },
    ]);
  });

  labelExpr = this.RULE("labelExpr", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Colon);
    this.SUBRULE(this.primary);
  });

  nameOrCall = this.RULE("nameOrCall", () => {
    this.CONSUME(t.Identifier);
    this.OPTION(() => {
      this.CONSUME(t.LParen);
      this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.arg) });
      this.CONSUME(t.RParen);
    });
  });

  arg = this.RULE("arg", () => {
    this.OPTION({
      GATE: () => this.LA(2).tokenType === t.Colon,
      DEF: () => {
        this.CONSUME(t.Identifier);
        this.CONSUME(t.Colon);
      },
    });
    this.SUBRULE(this.expression);
  });

  /** `(e)` or a tuple `(a, b, ...)`. */
  parenExpr = this.RULE("parenExpr", () => {
    this.CONSUME(t.LParen);
    this.AT_LEAST_ONE_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(t.RParen);
  });

  listExpr = this.RULE("listExpr", () => {
    this.CONSUME(t.LBracket);
    this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.expression) });
    this.CONSUME(t.RBracket);
  });

  ifExpr = this.RULE("ifExpr", () => {
    this.CONSUME(t.If);
    this.SUBRULE(this.expression);
    this.CONSUME(t.Then);
    this.SUBRULE2(this.expression);
    this.CONSUME(t.Else);
    this.SUBRULE3(this.expression);
  });

  forExpr = this.RULE("forExpr", () => {
    this.CONSUME(t.For);
    this.CONSUME(t.Identifier);
    this.CONSUME(t.In);
    this.SUBRULE(this.expression);
    this.CONSUME(t.LBrace);
    this.SUBRULE2(this.expression);
    this.CONSUME(t.RBrace);
  });
}

/** The token a recovered rule may contain when recovery inserted it (its offsets are NaN). */
export function isInserted(token: IToken): boolean {
  return token.isInsertedInRecovery === true || Number.isNaN(token.startOffset);
}
