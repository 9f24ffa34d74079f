import { describe, expect, it } from "vitest";
import { parse, parseExpression } from "../../compiler/syntax/parse.js";
import type { BlockDecl, ModelDecl } from "../../compiler/syntax/ast.js";
import { sexpr, stmtSexpr } from "../support/sexpr.js";

/** Parses `text` as an expression and compares its S-expression. */
function checkExpr(text: string, expected: string): void {
  const { expr, diagnostics } = parseExpression(text, "e.nn");
  expect(diagnostics).toEqual([]);
  expect(sexpr(expr)).toBe(expected);
}

/** Parses `text` as a file; returns `code start-end message` per diagnostic. */
function errorsOf(text: string): string[] {
  return parse(text, "f.nn").diagnostics.map((d) => `${d.code} ${d.span.start}-${d.span.end} ${d.message}`);
}

describe("expressions", () => {
  it("reads pipelines, calls and named arguments", () => {
    checkExpr("x -> conv(64, 3, stride: 2) -> relu", "(-> x (conv 64 3 stride:2) relu)");
  });
  it("binds arithmetic tighter than the pipeline and repeat tighter than ->", () => {
    checkExpr("y + s -> relu", "(-> (+ y s) relu)");
    checkExpr("x -> Basic(2 * w) * 2 -> f", "(-> x (* (Basic (* 2 w)) 2) f)");
    checkExpr("1 + 2 * 3 - 4 // 2 % 3", "(- (+ 1 (* 2 3)) (% (// 4 2) 3))");
    checkExpr("-a * b", "(* (- a) b)");
  });
  it("reads boolean logic with not tighter than and tighter than or", () => {
    checkExpr("a == 1 and not b or c != 2", "(or (and (== a 1) (not b)) (!= c 2))");
  });
  it("lets not take a comparison, and minus only its operand", () => {
    checkExpr("not a == b and c", "(and (not (== a b)) c)");
    checkExpr("a and not b < 2 or not c", "(or (and a (not (< b 2))) (not c))");
    checkExpr("a - -b - c", "(- (- a (- b)) c)");
    checkExpr("- -a * b + c", "(+ (* (- (- a)) b) c)");
    checkExpr("a - b - c < d * e", "(< (- (- a b) c) (* d e))");
    checkExpr("(a < b) == c", "(== (paren (< a b)) c)");
  });
  it("refuses chained comparisons", () => {
    expect(errorsOf("let t = 1 < 2 < 3\n")).toEqual([
      "E0103 14-15 comparisons do not chain: write `a < b and b < c`, or parenthesize `(a < b) == c`",
    ]);
  });
  it("reads groups, lists, tuples, parentheses and labels", () => {
    checkExpr("stem: [conv(8, 3) -> norm]", "(label stem [(-> (conv 8 3) norm)])");
    checkExpr("[64, 128, 256]", "[64 128 256]");
    checkExpr("conv(8, (1, 3), pad: (0, 1))", "(conv 8 (tuple 1 3) pad:(tuple 0 1))");
    checkExpr("(y + s) -> relu", "(-> (paren (+ y s)) relu)");
  });
  it("lets if and for extend to the right", () => {
    checkExpr(
      "if s == 1 and channels(x) == c then x else x -> conv(c, 1) -> norm",
      "(if (and (== s 1) (== (channels x) c)) x (-> x (conv c 1) norm))",
    );
    checkExpr(
      "x -> for c in [64, 128] { [conv(c, 3, pad: same) -> relu] * 2 -> maxpool(2) } -> flatten",
      "(-> x (for c [64 128] (-> (* [(-> (conv c 3 pad:same) relu)] 2) (maxpool 2))) flatten)",
    );
  });
  it("keeps number literals as written and resolves string escapes", () => {
    const { expr } = parseExpression('f(1e-5, 0.1, 3, "a\\"b")', "e.nn");
    expect(expr.kind === "call" && expr.args.map((a) => a.value)).toMatchObject([
      { kind: "number", text: "1e-5", value: 1e-5, isInt: false },
      { kind: "number", text: "0.1", isInt: false },
      { kind: "number", text: "3", isInt: true },
      { kind: "string", value: 'a"b' },
    ]);
  });
  it("reports text after a --set expression", () => {
    const { diagnostics } = parseExpression("group(groups: 8) 3", "e.nn");
    expect(diagnostics.map((d) => d.code)).toEqual(["E0105"]);
  });
});

describe("declarations", () => {
  const source = `# a comment
import "blocks.nn"
let widths = [16, 32]
block Basic(x, c: int, stride: int = 1, f: layer = relu, ks: [int] = [3]) {
  use act = gelu
  y = x -> conv(c, 3)  # trailing
  y -> act
}
model M(x: [N, 3, 32, 32], width: int = 16) {
  return (x, x)
}
`;
  const { program, diagnostics } = parse(source, "d.nn");

  it("parses every declaration kind in source order without diagnostics", () => {
    expect(diagnostics).toEqual([]);
    expect(program.decls.map((d) => d.kind)).toEqual(["import", "let", "block", "model"]);
    expect(program.comments.map((c) => c.text)).toEqual(["# a comment", "# trailing"]);
  });
  it("tells tensor inputs, typed parameters, list types and shapes apart", () => {
    const block = program.decls[2] as BlockDecl;
    expect(block.params.map((p) => [p.name.name, p.type?.kind ?? "tensor", p.default ? sexpr(p.default) : ""])).toEqual([
      ["x", "tensor", ""],
      ["c", "named", ""],
      ["stride", "named", "1"],
      ["f", "named", "relu"],
      ["ks", "listType", "[3]"],
    ]);
    const model = program.decls[3] as ModelDecl;
    const shape = model.params[0].type;
    expect(shape?.kind === "shape" && shape.dims.map((d) => sexpr(d))).toEqual(["N", "3", "32", "32"]);
  });
  it("reads statements", () => {
    const block = program.decls[2] as BlockDecl;
    expect(block.body.map(stmtSexpr)).toEqual(["(use act gelu)", "(= y (-> x (conv c 3)))", "(-> y act)"]);
    expect((program.decls[3] as ModelDecl).body.map(stmtSexpr)).toEqual(["(return (tuple x x))"]);
  });
  it("gives spans that cover the source text of each node", () => {
    const block = program.decls[2] as BlockDecl;
    expect(source.slice(block.name.span.start, block.name.span.end)).toBe("Basic");
    const bind = block.body[1];
    expect(source.slice(bind.span.start, bind.span.end)).toBe("y = x -> conv(c, 3)");
  });
});

describe("syntax errors", () => {
  it("reports an unclosed call and goes on to the next statement", () => {
    expect(errorsOf("model M(x: [N]) { y = conv(3, 3 \n z = x -> relu\n return z }")).toEqual([
      "E0103 34-35 expected ')' but found 'z'",
    ]);
  });
  it("reports several errors in one file and keeps the declarations around them", () => {
    const text = "foo bar\nmodel Q(x: [N]) { return x }\n junk ) \nblock B(x) { x }";
    const { program, diagnostics } = parse(text, "f.nn");
    expect(diagnostics.length).toBe(2);
    expect(program.decls.map((d) => d.kind)).toEqual(["model", "block"]);
  });
  it("reports bad characters and unterminated strings once each", () => {
    expect(errorsOf("model M(x: [N]) { return x @ 3 }")).toEqual(['E0101 27-28 unexpected character "@"']);
    expect(errorsOf('import "abc')).toEqual(['E0102 7-11 unterminated string: a string ends with `"` on the same line']);
  });
  it("reports a missing expression", () => {
    expect(errorsOf("block B(x, c: int = ) { return x }")).toEqual(["E0104 20-21 expected an expression, found ')'"]);
  });
  it("places an error at the end of the file after the last token", () => {
    expect(errorsOf("model")).toEqual(["E0103 5-5 expected a name but found the end of the file"]);
  });
  it("never throws on garbage", () => {
    for (const text of ["", "))))", "[[[[", "model M(", "{ } { }", "a: b: c:", "->->->", "\u0000\uffff"]) {
      expect(() => parse(text, "g.nn")).not.toThrow();
    }
  });
});
