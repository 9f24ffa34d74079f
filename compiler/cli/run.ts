/**
 * The command line as a process, from the TypeScript sources: `node --import tsx
 * compiler/cli/run.ts <command>` (the tests start `nnc lsp` this way, so that they never run a
 * stale `dist/`), or `node dist/compiler/cli/run.js` once built. `bin/nnc.js` does the same
 * from `dist/`.
 */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2));
