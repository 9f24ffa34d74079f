/**
 * The file system as the tests' compiler sees it: a `CheckHost` over the real files (paths
 * relative to the project root), and the examples of `examples/`.
 */
import { readdirSync, readFileSync } from "node:fs";
import type { CheckHost } from "../../compiler/check/check.js";

/** Reads files for the checker; `undefined` when a file cannot be read. */
export const diskHost: CheckHost = {
  readFile: (path) => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  },
};

/** The names of the examples (`resnet20` for `examples/resnet20.nn`), sorted. */
export const EXAMPLES: readonly string[] = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .map((f) => f.slice(0, -3))
  .sort();
