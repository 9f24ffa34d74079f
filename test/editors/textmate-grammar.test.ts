/**
 * The VS Code extension's TextMate grammar (`editors/vscode/syntaxes/nn.tmLanguage.json`),
 * run by the engine VS Code itself uses (vscode-textmate with the Oniguruma regex library) on
 * every example: a golden dump of the tokens and their scopes per line, and spot checks.
 */
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import textmate from "vscode-textmate";
import oniguruma from "vscode-oniguruma";
import { expectBaseline } from "../support/baseline.js";

const GRAMMAR = "editors/vscode/syntaxes/nn.tmLanguage.json";
const EXAMPLES = readdirSync("examples").filter((f) => f.endsWith(".nn"));

let grammar: textmate.IGrammar;
beforeAll(async () => {
  const wasm = readFileSync(createRequire(import.meta.url).resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scope) => (scope === "source.nn" ? textmate.parseRawGrammar(readFileSync(GRAMMAR, "utf8"), GRAMMAR) : null),
  });
  const loaded = await registry.loadGrammar("source.nn");
  if (!loaded) throw new Error("the grammar did not load");
  grammar = loaded;
});

/** Each line's tokens as `text  scope scope`, without the root scope and whitespace. */
function tokenize(text: string): { text: string; scopes: string[] }[][] {
  let stack = textmate.INITIAL;
  return text.split("\n").map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return result.tokens
      .map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes.slice(1) }))
      .filter((t) => t.text.trim() !== "");
  });
}

function dump(text: string): string {
  const out: string[] = [];
  tokenize(text).forEach((tokens, i) => {
    if (tokens.length === 0) return;
    out.push(`${i + 1}:`);
    for (const t of tokens) out.push(`  ${JSON.stringify(t.text)}  ${t.scopes.join(" ") || "-"}`);
  });
  return out.join("\n") + "\n";
}

describe("TextMate grammar", () => {
  for (const file of EXAMPLES) {
    it(`tokenizes ${file} as the golden dump says`, () => {
      expectBaseline(`test/baselines/editors/${file.replace(/\.nn$/, "")}.tokens.txt`, dump(readFileSync(`examples/${file}`, "utf8")));
    });
  }

  it("gives the language's constructs their scopes", () => {
    const [line] = tokenize('block B(x, c: int = 1) { return x -> stem: conv(c, 3, pad: same, ws: "scaled") -> norm -> Other(2) * 3 }  # done');
    const scopeOf = (text: string) => line.find((t) => t.text === text)?.scopes.at(-1);
    expect(scopeOf("block")).toBe("storage.type.block.nn");
    expect(scopeOf("B")).toBe("entity.name.function.block.nn");
    expect(scopeOf("int")).toBe("storage.type.primitive.nn");
    expect(scopeOf("return")).toBe("keyword.control.nn");
    expect(scopeOf("->")).toBe("keyword.operator.pipe.nn");
    expect(scopeOf("stem")).toBe("variable.parameter.nn");
    expect(scopeOf("conv")).toBe("support.function.layer.nn");
    expect(scopeOf("same")).toBe("constant.language.same.nn");
    expect(scopeOf("scaled")).toBe("string.quoted.double.nn");
    expect(scopeOf("norm")).toBe("variable.language.alias.nn");
    expect(scopeOf("Other")).toBe("entity.name.function.call.nn");
    expect(scopeOf("3")).toBe("constant.numeric.nn");
    expect(scopeOf(" done")).toBe("comment.line.number-sign.nn");
  });
});
