#!/usr/bin/env node
// The `nnc` command. The TypeScript sources are compiled to dist/ by `npm install` (the
// `prepare` script); this file only hands over to the compiled command line.
import { main } from "../dist/compiler/cli/main.js";

process.exitCode = await main(process.argv.slice(2));
