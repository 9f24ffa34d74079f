/**
 * Every checker code (E02xx–E04xx) has a case in `test/cases/errors/<code>.nn` that makes it
 * the first diagnostic; the golden tests render these cases, this test keeps them honest.
 */
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkFile } from "../../compiler/check/check.js";
import { CATALOGUE } from "../../compiler/diagnostics/catalogue.js";

const CASES = "test/cases/errors";
const host = {
  readFile: (path: string) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
};
const OWN = Object.keys(CATALOGUE).filter((code) => /^E0[234]/.test(code));

describe("checker error cases", () => {
  it("has a case file for every checker code", () => {
    const files = readdirSync(CASES).filter((f) => /^E0[234]\d\d\.nn$/.test(f)).map((f) => f.slice(0, 5));
    expect(files.sort()).toEqual(OWN.sort());
  });

  for (const code of OWN) {
    it(`${code} is the first diagnostic of ${code}.nn`, () => {
      const result = checkFile(`${CASES}/${code}.nn`, host, { allModels: true });
      expect(result.diagnostics[0]?.code, result.diagnostics.map((d) => `${d.code} ${d.message}`).join("\n")).toBe(code);
    });
  }
});
