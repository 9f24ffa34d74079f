/**
 * Hostile imports: an import reads only a regular `.nn` file of at most 8 MiB inside the project
 * root, and anything else is a located diagnostic at the import's path string — never a hang
 * (a FIFO), an endless read (`/dev/zero`), a leak (`/proc/self/environ`) or an escape through a
 * symbolic link. The command line, the tests' disk host and the language server obey one rule.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { TextDocument } from "vscode-languageserver-textdocument";
import { checkSource } from "../../compiler/check/check.js";
import { MAX_SOURCE_BYTES, readSourceFile } from "../../compiler/check/read-source.js";
import { nodeHost, Workspace } from "../../compiler/lsp/workspace.js";
import { diskHost } from "../support/disk.js";
import { runCli } from "../support/cli.js";
import { tempDir } from "../emit/support.js";

const MODEL = "model M(x: [N, 3]) {\n  return x -> relu\n}\n";
const LIB = "block Twice(x) {\n  return x -> relu -> relu\n}\n";

/** A project directory `proj/` holding `main.nn` (importing `path`), inside a fresh temp dir. */
function project(path: string): { dir: string; proj: string; main: string; text: string } {
  const dir = tempDir("imports");
  const proj = join(dir, "proj");
  mkdirSync(proj);
  const text = `import "${path}"\n${MODEL}`;
  const main = join(proj, "main.nn");
  writeFileSync(main, text);
  return { dir, proj, main, text };
}

/** `code message` of each diagnostic, and where the first one starts. */
function check(main: string, text: string, root?: string) {
  const result = checkSource(main, text, root === undefined ? diskHost : { ...diskHost, root });
  return { lines: result.diagnostics.map((d) => `${d.code} ${d.message}`), first: result.diagnostics[0] };
}

/** Whether `mkfifo` can make a FIFO here (it cannot on some systems). */
function makeFifo(path: string): boolean {
  try {
    execFileSync("mkfifo", [path]);
    return true;
  } catch (error) {
    console.log(`skipping the FIFO case: mkfifo failed (${error instanceof Error ? error.message : String(error)})`);
    return false;
  }
}

describe("what an import may read", () => {
  it("reads a .nn file beside the checked file", () => {
    const { proj, main, text } = project("lib/twice.nn");
    mkdirSync(join(proj, "lib"));
    writeFileSync(join(proj, "lib/twice.nn"), LIB);
    expect(check(main, text).lines).toEqual([]);
  });

  it("refuses /dev/zero and /proc/self/environ by name, at the path string, reading nothing", () => {
    for (const path of ["/dev/zero", "/proc/self/environ"]) {
      const { main, text } = project(path);
      const { lines, first } = check(main, text);
      expect(lines).toEqual([`E0004 an import must name a \`.nn\` file; '${path}' does not`]);
      expect(first?.span).toEqual({ start: 7, end: 9 + path.length });
    }
  });

  it("refuses a FIFO without blocking", () => {
    const { proj, main, text } = project("pipe.nn");
    if (!makeFifo(join(proj, "pipe.nn"))) return;
    expect(check(main, text).lines).toEqual([
      `E0402 cannot read the imported file '${join(proj, "pipe.nn")}': it is a named pipe (FIFO), not a regular file`,
    ]);
  });

  it("refuses a device behind a .nn name, a directory, a missing file and a file over 8 MiB", () => {
    const { proj, main } = project("x.nn");
    symlinkSync("/dev/zero", join(proj, "zero.nn"));
    mkdirSync(join(proj, "dir.nn"));
    writeFileSync(join(proj, "big.nn"), Buffer.alloc(MAX_SOURCE_BYTES + 1, 0x20));
    writeFileSync(join(proj, "edge.nn"), Buffer.alloc(MAX_SOURCE_BYTES, 0x20));
    const text = ["zero.nn", "dir.nn", "none.nn", "big.nn", "edge.nn"].map((p) => `import "${p}"\n`).join("") + MODEL;
    expect(check(main, text, "/").lines).toEqual([
      `E0402 cannot read the imported file '${join(proj, "zero.nn")}': it is a character device, not a regular file`,
      `E0402 cannot read the imported file '${join(proj, "dir.nn")}': it is a directory`,
      `E0402 cannot read the imported file '${join(proj, "none.nn")}': no such file`,
      `E0402 cannot read the imported file '${join(proj, "big.nn")}': it is larger than the limit of 8 MiB`,
    ]);
  });

  it("reads at most one byte past the limit from a file whose size the system under-reports", () => {
    const environ = readSourceFile("/proc/self/environ", undefined, 4);
    if (typeof environ === "string") expect(environ.length).toBeLessThanOrEqual(4);
    else expect(environ.reason).toMatch(/larger than|no such file/);
  });

  it("keeps imports inside the project root, by path and through symbolic links; --root widens it", () => {
    const { dir, proj, main } = project("x.nn");
    writeFileSync(join(dir, "outside.nn"), LIB);
    symlinkSync(join(dir, "outside.nn"), join(proj, "link.nn"));
    const text = `import "../outside.nn"\nimport "link.nn"\n${MODEL}`;
    expect(check(main, text).lines).toEqual([
      `E0004 the imported file '${join(dir, "outside.nn")}' is outside the project root '${proj}' (the checked file's directory, or \`--root\`)`,
      `E0004 cannot read the imported file '${join(proj, "link.nn")}': it resolves to '${join(dir, "outside.nn")}', outside the project root '${proj}'`,
    ]);
    expect(check(main, text, dir).lines).toEqual([]);
  });

  it("holds for in-memory hosts too: the rule is the checker's", () => {
    const files: Record<string, string> = { "../lib.nn": LIB, "lib.txt": LIB };
    const result = checkSource("main.nn", `import "../lib.nn"\nimport "lib.txt"\n${MODEL}`, { readFile: (p) => files[p] });
    expect(result.diagnostics.map((d) => d.code)).toEqual(["E0004", "E0004"]);
  });
});

describe("the command line and the language server", () => {
  it("nnc check reports a hostile import and exits 1; --root must be a directory (exit 2)", async () => {
    const { dir, main } = project("../outside.nn");
    writeFileSync(join(dir, "outside.nn"), LIB);
    const run = await runCli(["check", main]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error[E0004]: the imported file");
    expect((await runCli(["check", main, "--root", dir])).code).toBe(0);
    const bad = await runCli(["check", main, "--root", join(dir, "none")]);
    expect([bad.code, bad.stderr]).toEqual([2, `nnc: error: --root '${join(dir, "none")}': no such directory\n`]);
  });

  it("nnc check refuses /dev/zero as the checked file itself", async () => {
    const run = await runCli(["check", "/dev/zero"]);
    expect([run.code, run.stderr]).toEqual([1, "/dev/zero: error[E0001]: cannot read '/dev/zero': it is a character device, not a regular file\n/dev/zero: 1 error, 0 warnings\n"]);
  });

  it("the language server applies the same rule to a document's imports", () => {
    const { proj, main } = project("x.nn");
    const fifo = makeFifo(join(proj, "pipe.nn"));
    const imports = ["/dev/zero", "../outside.nn", ...(fifo ? ["pipe.nn"] : [])];
    const text = imports.map((p) => `import "${p}"\n`).join("") + MODEL;
    const workspace = new Workspace({ ...nodeHost(() => {}), defer: () => () => {} }, 0);
    const uri = pathToFileURL(main).href;
    workspace.update(TextDocument.create(uri, "nn", 1, text));
    const codes = workspace.analysis(uri)?.result.diagnostics.map((d) => d.code);
    expect(codes).toEqual(["E0004", "E0004", ...(fifo ? ["E0402"] : [])]);
  });
});
