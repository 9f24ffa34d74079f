/**
 * The grammar of the nn language as a Chevrotain `CstParser`. Rules are class fields, so a
 * mistyped `SUBRULE` fails to compile, and `recoveryEnabled` turns syntax errors into data: the
 * parser always returns a tree. `grammar/cst.d.ts` holds the CST types generated from these
 * rules (`npm run gen:cst`); `compiler/syntax/cst-to-ast.ts` turns the CST into the AST.
 *
 * Precedence, loosest first: `if`/`for` < `->` < `or` < `and` < `not` < comparison <
 * `+ -` < `* / // %` < unary `-` < primary. Below `->` the parser reads operators flat
 * (`operation`) and `compiler/syntax/operators.ts` applies this order.
 */
import { CstParser, type IOrAlt, type IParserErrorMessageProvider, type IToken } from "chevrotain";
import * as t from "./tokens.js";

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

  // The alternatives of the hot `OR`s are built once, not on every call (Chevrotain's advice:
  // the arrays and closures otherwise cost an allocation per token).
  private declAlts?: IOrAlt<unknown>[];
  private statementAlts?: IOrAlt<unknown>[];
  private primaryAlts?: IOrAlt<unknown>[];

  program = this.RULE("program", () => {
    this.MANY(() => {
      this.OR((this.declAlts ??= [
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.letDecl) },
        { ALT: () => this.SUBRULE(this.blockDecl) },
        { ALT: () => this.SUBRULE(this.modelDecl) },
      ]));
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
    this.OR((this.statementAlts ??= [
      { ALT: () => this.SUBRULE(this.useStmt) },
      { ALT: () => this.SUBRULE(this.returnStmt) },
      { GATE: () => this.LA(2).tokenType === t.Equals, ALT: () => this.SUBRULE(this.bindStmt) },
      { ALT: () => this.SUBRULE(this.exprStmt) },
    ]));
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
    this.SUBRULE(this.operation);
    this.MANY(() => {
      this.CONSUME(t.Arrow);
      this.SUBRULE2(this.operation);
    });
  });

  /**
   * Operands (with their prefix operators) and binary operators, flat: `a + b * -c` is three
   * primaries, one prefix and two binary operators. One rule instead of one per precedence
   * level keeps the parser fast (every rule level costs a call and a CST node per operand);
   * `compiler/syntax/operators.ts` builds the tree by precedence.
   */
  operation = this.RULE("operation", () => {
    this.MANY(() => this.CONSUME(t.PrefixOperator));
    this.SUBRULE(this.primary);
    this.MANY2(() => {
      this.CONSUME(t.BinaryOperator);
      this.MANY3(() => this.CONSUME2(t.PrefixOperator));
      this.SUBRULE2(this.primary);
    });
  });

  primary = this.RULE("primary", () => {
    this.OR((this.primaryAlts ??= [
      { ALT: () => this.CONSUME(t.NumberLiteral) },
      { ALT: () => this.CONSUME(t.StringLiteral) },
      { ALT: () => this.CONSUME(t.True) },
      { ALT: () => this.CONSUME(t.False) },
      { ALT: () => this.SUBRULE(this.ifExpr) },
      { ALT: () => this.SUBRULE(this.forExpr) },
      { GATE: () => this.LA(2).tokenType === t.Colon, ALT: () => this.SUBRULE(this.labelExpr) },
      {
        // A name, or a call `f(args)`: inline rather than a rule of its own, for speed.
        ALT: () => {
          this.CONSUME(t.Identifier);
          this.OPTION(() => {
            this.CONSUME(t.LParen);
            this.MANY_SEP({ SEP: t.Comma, DEF: () => this.SUBRULE(this.arg) });
            this.CONSUME(t.RParen);
          });
        },
      },
      { ALT: () => this.SUBRULE(this.parenExpr) },
      { ALT: () => this.SUBRULE(this.listExpr) },
    ]));
  });

  labelExpr = this.RULE("labelExpr", () => {
    this.CONSUME(t.Identifier);
    this.CONSUME(t.Colon);
    this.SUBRULE(this.primary);
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
