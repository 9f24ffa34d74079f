#!/usr/bin/env node
// The `nnc` command. The TypeScript sources are compiled to dist/ by the `prepare` script (run by
// `npm install` in a checkout or from git, and by `npm pack`, whose tarball ships dist/); this file
// only hands over to the compiled command line.
//
// `nnc lsp` re-checks a file on every keystroke, and each check allocates tens of megabytes
// that live until it ends; with V8's default young generation every check pays for several
// scavenges that copy them. The server therefore runs in a child node with a larger young
// generation (it halves the median re-check time of a 1,000-line file; see docs/editors.md).
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const YOUNG_GENERATION = "--max-semi-space-size=128";
const args = process.argv.slice(2);

if (args[0] === "lsp" && !process.execArgv.includes(YOUNG_GENERATION)) {
  const child = spawn(process.execPath, [...process.execArgv, YOUNG_GENERATION, fileURLToPath(import.meta.url), ...args], {
    stdio: "inherit",
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
} else {
  const { main } = await import("../dist/compiler/cli/main.js");
  process.exitCode = await main(args);
}
