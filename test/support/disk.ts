/**
 * The file system as the tests' compiler sees it: a `CheckHost` over the real files (paths
 * relative to the project root), and the examples of `examples/`.
 */
import { readdirSync } from "node:fs";
import type { CheckHost } from "../../compiler/check/check.js";
import { readSourceFile } from "../../compiler/check/read-source.js";

/** Reads files for the checker as the command line does; `undefined` when a file cannot be read. */
export const diskHost: CheckHost = {
  readFile: (path) => {
    const text = readSourceFile(path);
    return typeof text === "string" ? text : undefined;
  },
  readImport: (path, root) => readSourceFile(path, root),
};

/** The names of the examples (`resnet20` for `examples/resnet20.nn`), sorted. */
export const EXAMPLES: readonly string[] = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .map((f) => f.slice(0, -3))
  .sort();
