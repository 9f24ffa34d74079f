/**
 * The examples and the documentation are laid out as `nnc fmt` lays them out: CI runs
 * `nnc fmt --check examples` (a directory stands for the `.nn` files under it), and every `nn`
 * code block of the README and of docs/formatting.md that is a whole file formats to itself.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { format } from "../../compiler/format/format.js";
import { runCli } from "../support/cli.js";

/** The `nn` code blocks of a Markdown file. */
function nnBlocks(path: string): string[] {
  return [...readFileSync(path, "utf8").matchAll(/^```nn\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

describe("nnc fmt --check", () => {
  it("passes on examples/, writing nothing", async () => {
    const run = await runCli(["fmt", "--check", "examples"], {
      writeFile: (path) => {
        throw new Error(`fmt --check wrote ${path}`);
      },
    });
    expect([run.code, run.stdout, run.stderr]).toEqual([0, "", ""]);
  });

  it("takes a directory as the .nn files under it, and reports each one not formatted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nnc-fmt-dir-"));
    try {
      mkdirSync(join(dir, "sub"));
      writeFileSync(join(dir, "ok.nn"), "let a = 1\n");
      writeFileSync(join(dir, "sub", "bad.nn"), "let   a=1\n");
      writeFileSync(join(dir, "notes.txt"), "not nn\n");
      const run = await runCli(["fmt", "--check", dir]);
      expect([run.code, run.stdout]).toEqual([1, `${join(dir, "sub", "bad.nn")}: not formatted\n`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("documentation", () => {
  for (const doc of ["README.md", "docs/formatting.md"]) {
    it(`${doc}: every nn block that is a whole file is formatted`, () => {
      let checked = 0;
      for (const block of nnBlocks(doc)) {
        const result = format(block, doc);
        if (result.diagnostics.length > 0) continue;
        expect(result.text, block).toBe(block);
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    });
  }
});
