import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { format } from "../../compiler/format/format.js";
import { parse } from "../../compiler/syntax/parse.js";
import { caseNames, checkGolden } from "./golden.js";
import { expectFormatInvariants } from "./invariants.js";

const ROOT = join(import.meta.dirname, "..", "..");

/** The `.nn` files of a directory, read at test time so that new ones are always included. */
function nnFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".nn"))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}

describe("golden cases", () => {
  for (const name of caseNames()) {
    it(name, () => {
      const { input, output } = checkGolden(name);
      expect(expectFormatInvariants(input, `${name}.input.nn`)).toBe(output);
      expect(format(output, `${name}.expected.nn`).text).toBe(output);
    });
  }

  it("rewrites an expected file when updating, and compares otherwise", () => {
    const dir = mkdtempSync(join(tmpdir(), "nnc-format-"));
    try {
      writeFileSync(join(dir, "t.input.nn"), "let   a=1\n");
      writeFileSync(join(dir, "t.expected.nn"), "stale\n");
      expect(() => checkGolden("t", dir, false)).toThrow();
      checkGolden("t", dir, true);
      expect(readFileSync(join(dir, "t.expected.nn"), "utf8")).toBe("let a = 1\n");
      expect(() => checkGolden("t", dir, false)).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("every .nn file of the project", () => {
  const files = [...nnFiles(join(ROOT, "examples")), ...nnFiles(join(ROOT, "test", "cases", "errors"))];
  for (const file of files) {
    it(file.slice(ROOT.length + 1), () => {
      const text = readFileSync(file, "utf8");
      const result = format(text, file);
      if (result.diagnostics.length > 0) expect(result.text).toBe(text);
      else expectFormatInvariants(text, file);
    });
  }
});

describe("syntax errors", () => {
  const broken = [
    "model M(x: [N, 8]) {\n  y = x -> \n}\n",
    "block B(x {\n  return x\n}\n",
    'import "unterminated\n',
    "let a = 1 +\nlet b = $\n",
    "model M(x: [N, 8]) { return x -> conv(8, 3 }\n# a comment that must survive\n",
  ];
  for (const text of broken) {
    it(`leaves ${JSON.stringify(text.split("\n")[0])} unchanged`, () => {
      const result = format(text, "broken.nn");
      expect(result.text).toBe(text);
      expect(result.diagnostics.length).toBeGreaterThan(0);
      expect(result.diagnostics).toEqual(parse(text, "broken.nn").diagnostics);
    });
  }
});

describe("layout details", () => {
  it("turns CRLF line ends into LF and ends the file with one newline", () => {
    expect(format("let a = 1\r\n\r\n\r\nlet b = 2  \r\n\r\n", "f.nn").text).toBe("let a = 1\n\nlet b = 2\n");
  });
  it("returns a file nested too deeply to parse unchanged, with a diagnostic", () => {
    const text = `let a = ${"(".repeat(50_000)}1${")".repeat(50_000)}\n`;
    const result = format(text, "deep.nn");
    expect(result.text).toBe(text);
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0106"]);
  });
  it("prints an empty or blank file as empty", () => {
    expect(format("", "f.nn").text).toBe("");
    expect(format("\n\n  \n", "f.nn").text).toBe("");
  });
  it("trims trailing blanks from comments", () => {
    expect(format("# header   \nlet a = 1 # note \t\n", "f.nn").text).toBe("# header\nlet a = 1  # note\n");
  });
  it("keeps a pipeline of exactly 100 columns on one line and breaks one of 101", () => {
    const stages = (n: number) => "x -> " + "relu -> ".repeat(n);
    const fits = `let a = ${stages(10)}${"f".repeat(100 - 8 - stages(10).length)}\n`;
    expect(fits.length).toBe(101);
    expect(format(fits, "f.nn").text).toBe(fits);
    const over = fits.replace(" f", " ff");
    expect(format(over, "f.nn").text.split("\n").length).toBeGreaterThan(3);
  });
});
