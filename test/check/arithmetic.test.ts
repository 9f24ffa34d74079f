/**
 * Arithmetic on tensors in the checker: `+ - * /` of two tensors that broadcast (and the layers
 * `add`, `sub`, `mul`, `div` in call and pipeline form), of a tensor and a compile-time number
 * on either side, what `*` is decided to be, the layer `scale`, and `min`/`max` on numbers —
 * with every error each form can give.
 */
import { describe, expect, it } from "vitest";
import { lowerModel } from "../../compiler/ir/lower.js";
import { initialWeights } from "../../compiler/weights/init.js";
import { check, codes, layerLines, model, paramLines } from "./support.js";

const IMAGE = "x: [N, 4, 8, 8]";
const GATE = "g = x -> global_avgpool -> conv(4, 1) -> sigmoid";

/** The diagnostics of `body` as the model's return, after `lines`. */
function errors(body: string, lines: readonly string[] = [], input = IMAGE): string[] {
  return codes(check(`model M(${input}) {\n${lines.map((l) => `  ${l}\n`).join("")}  return ${body}\n}\n`));
}

/** The layers of a model that returns `body`, after `lines`. */
function layers(body: string, lines: readonly string[] = [], input = IMAGE): string[] {
  return layerLines(model(`model M(${input}) {\n${lines.map((l) => `  ${l}\n`).join("")}  return ${body}\n}\n`));
}

describe("two tensors", () => {
  it("broadcast: a size of 1 stretches on any axis but the batch", () => {
    expect(layers("x * g", [GATE]).slice(-1)).toEqual(["mul0 mul [N,4,8,8]"]);
    expect(layers("g - x", [GATE]).slice(-1)).toEqual(["sub0 sub [N,4,8,8]"]);
    expect(layers("x / (x -> conv(1, 1))").slice(-1)).toEqual(["div0 div [N,4,8,8]"]);
    // Both operands stretch: [N, 4, 1, 1] + [N, 1, 8, 8].
    expect(layers("g + (x -> conv(1, 1))", [GATE]).slice(-1)).toEqual(["add0 add [N,4,8,8]"]);
    expect(layers("x + x").slice(-1)).toEqual(["add0 add [N,4,8,8]"]);
  });

  it("are the layers add, sub, mul and div, also in call and pipeline form", () => {
    expect(layers("(x, g) -> mul", [GATE]).slice(-1)).toEqual(["mul0 mul [N,4,8,8]"]);
    expect(layers("sub(x, g) -> div(g) -> add(x)", [GATE]).slice(-3)).toEqual(["sub0 sub [N,4,8,8]", "div0 div [N,4,8,8]", "add0 add [N,4,8,8]"]);
  });

  it("refuse shapes that do not broadcast, pointing at both operands", () => {
    const result = check(`model M(${IMAGE}) {\n  y = x -> conv(8, 1)\n  return x * y\n}\n`);
    expect(codes(result)).toEqual(["E0202 * needs tensors that broadcast, got [N,4,8,8] and [N,8,8,8]: axis 1 is 4 against 8"]);
    expect(result.diagnostics[0].related?.map((r) => r.message)).toEqual([
      "the left operand, [N,4,8,8], comes from here",
      "the right operand, [N,8,8,8], comes from here",
    ]);
  });

  it("need one rank and agreeing batch axes", () => {
    expect(errors("(x -> flatten) - (x -> global_avgpool)")).toEqual(["E0202 - needs tensors that broadcast, got [N,256] and [N,4,1,1]: ranks 2 and 4 differ"]);
    expect(errors("a + b", [], "a: [N, 4], b: [1, 4]")).toEqual(["E0202 + needs tensors that broadcast, got [N,4] and [1,4]: the batch axis is N against 1"]);
    // A symbolic size equals only itself.
    expect(errors("a / b", [], "a: [N, 4, H, W], b: [N, 4, 8, 8]")).toEqual(["E0202 / needs tensors that broadcast, got [N,4,H,W] and [N,4,8,8]: axis 2 is H against 8"]);
  });

  it("refuse shapes that do not broadcast in call form too", () => {
    expect(errors("mul(x, x -> conv(2, 1))")).toEqual(["E0202 mul needs operands that broadcast, got [N,4,8,8] and [N,2,8,8]: axis 1 is 4 against 2"]);
    expect(errors("x -> div")).toEqual(["E0209 div takes two tensor inputs, got 1"]);
  });
});

describe("a tensor and a number", () => {
  it("apply the layer to the one tensor, the number on either side", () => {
    const m = model(`model M(${IMAGE}) {\n  return 1 - 2 / (0.2 * x + 0.5) * 3\n}\n`);
    expect(m.layers.map((l) => `${l.path} ${JSON.stringify(l.attrs)} ${l.inputs.length}`)).toEqual([
      'mul0 {"scalar":0.2,"scalar_left":true} 1',
      'add0 {"scalar":0.5} 1',
      'div0 {"scalar":2,"scalar_left":true} 1',
      'mul1 {"scalar":3} 1',
      'sub0 {"scalar":1,"scalar_left":true} 1',
    ]);
  });

  it("take ints and block parameters, and lower to the node with a rank-0 constant", () => {
    const text = "block B(x, beta: float, alpha: float = 0.2) {\n  return x + alpha * (x / beta)\n}\n";
    const m = model(`${text}model M(${IMAGE}) {\n  return x -> B(2) -> B(beta: 4)\n}\n`);
    expect(layerLines(m).slice(0, 3)).toEqual(["B0.div0 div [N,4,8,8]", "B0.mul0 mul [N,4,8,8]", "B0.add0 add [N,4,8,8]"]);
    const graph = lowerModel(m);
    const div = graph.nodes.find((n) => n.name === "B1.div0")!;
    expect([div.op, ...div.inputs]).toEqual(["Div", "B0.add0", "B1.div0.scalar"]);
    const constant = graph.value("B1.div0.scalar");
    expect([constant.kind, constant.shape, [...constant.data!]]).toEqual(["const", [], [4]]);
    const mul = graph.nodes.find((n) => n.name === "B0.mul0")!;
    expect([mul.op, ...mul.inputs]).toEqual(["Mul", "B0.mul0.scalar", "B0.div0"]);
  });

  it("refuse dividing by a literal zero, non-finite numbers and other values", () => {
    expect(errors("x / 0")).toEqual(["E0308 division by zero"]);
    expect(layers("0 / (x -> sigmoid)").slice(-1)).toEqual(["div0 div [N,4,8,8]"]);
    expect(errors("x * 1e999")).toEqual(["E0207 * on a tensor needs a finite number, got Infinity"]);
    expect(errors('x * "two"')).toEqual(['E0307 `*` needs a tensor or a number, got string "two"']);
    expect(errors("true - x")).toEqual(["E0307 `-` needs a tensor or a number, got bool true"]);
    expect(errors("x * channels(x)", [], "x: [N, C]")).toEqual(["E0206 `*` needs a static value, but C is a symbolic dimension"]);
  });

  it("leave // and % and the comparisons to numbers", () => {
    expect(errors("x // 2")).toEqual(["E0307 `//` needs a number, got a tensor (on tensors only + - * / are defined, element-wise)"]);
    expect(errors("if x < 1 then x else x")).toEqual(["E0307 `<` needs a number, got a tensor (on tensors only + - * / are defined, element-wise)"]);
  });
});

describe("what * is", () => {
  it("repeats a layer on either side, and multiplies a tensor by an int", () => {
    expect(layers("x -> relu * 2").map((l) => l.split(" ")[0])).toEqual(["relu0", "relu1"]);
    expect(layers("x -> 2 * [conv(4, 1)]").map((l) => l.split(" ")[0])).toEqual(["conv0", "conv1"]);
    expect(layers("x * 2")).toEqual(["mul0 mul [N,4,8,8]"]);
    expect(layers("2 * x")).toEqual(["mul0 mul [N,4,8,8]"]);
  });

  it("refuses a layer times a tensor", () => {
    expect(errors("x -> relu * x")).toEqual(["E0307 a layer repeats an int number of times, got a tensor"]);
  });
});

describe("scale", () => {
  it("holds one weight per channel, [C] on features and [C, 1, 1] on images (ConvNeXt's layer_scale)", () => {
    expect(paramLines(model(`model M(${IMAGE}) {\n  return x -> scale(init: 1e-6) -> flatten -> dense(3) -> scale\n}\n`))).toEqual([
      "scale0.weight [4,1,1]",
      "dense0.weight [3,256]",
      "dense0.bias [3]",
      "scale1.weight [3]",
    ]);
  });

  it("starts its weight at init", () => {
    const m = model(`model M(${IMAGE}) {\n  return x -> scale(init: 1e-6) -> scale\n}\n`);
    const weights = initialWeights(m, 0);
    expect([...weights.get("scale0.weight")!]).toEqual(new Array(4).fill(Math.fround(1e-6)));
    expect([...weights.get("scale1.weight")!]).toEqual([1, 1, 1, 1]);
  });

  it("lowers to a Mul by the weight, which broadcasts as it is", () => {
    const graph = lowerModel(model(`model M(${IMAGE}) {\n  return x -> scale -> flatten -> scale\n}\n`));
    expect(graph.nodes.map((n) => `${n.op}(${n.inputs.join(", ")})`)).toEqual([
      "Mul(x, scale0.weight)",
      "Flatten(scale0)",
      "Mul(flatten0, scale1.weight)",
    ]);
  });

  it("needs rank 2 or 4 and a static channel count", () => {
    expect(errors("x -> scale", [], "x: [N, 4, 8]")).toEqual(["E0201 scale needs a rank-2 input [N, F] or a rank-4 input [N, C, H, W], got [N,4,8]"]);
    expect(errors("x -> scale", [], "x: [N, C]")).toEqual(["E0206 scale needs a static channel count, but it is the symbolic dimension C"]);
  });
});

describe("min and max", () => {
  it("compute on compile-time numbers, as Python's do", () => {
    const m = model(`model M(x: [N, 64, 8, 8], c: int = 64) {\n  return x -> conv(max(8, c // 16), 1) -> conv(min(7, 5, 9), 1) -> scale(init: min(3, 2.5)) -> conv(max([2, 6, 4]), 1)\n}\n`);
    expect(layerLines(m)).toEqual(["conv0 conv [N,8,8,8]", "conv1 conv [N,5,8,8]", "scale0 scale [N,5,8,8]", "conv2 conv [N,6,8,8]"]);
    expect(m.layers[2].attrs.init).toBe(2.5);
    // Of equal values the first wins, so an int stays an int.
    expect(errors("x -> conv(max(2, 2.0), 1)")).toEqual([]);
    expect(errors("x -> conv(max(2.0, 2), 1)")).toEqual(["E0306 conv argument `out` expects an int, got float 2.0"]);
  });

  it("refuse other values, too few numbers and named arguments", () => {
    expect(errors("x -> conv(max(2, x), 1)")).toEqual(["E0306 max expects numbers, got a tensor"]);
    expect(errors("x -> conv(min(2, channels(x)), 1)", [], "x: [N, C, 8, 8]")).toEqual(["E0206 min needs static values, but C is a symbolic dimension"]);
    expect(errors("x -> conv(max(4), 1)")).toEqual(["E0305 max needs two or more numbers, as max(a, b), or a list of them"]);
    expect(errors("x -> conv(max([]), 1)")).toEqual(["E0305 max of an empty list has no value"]);
    expect(errors("x -> conv(min(a: 1, b: 2), 1)")).toEqual(["E0302 min has no argument `a`; it takes numbers by position, as min(a, b)"]);
  });
});
