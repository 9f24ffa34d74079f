/**
 * What the command line touches of the outside world: two output streams, the working
 * directory and the file system. Tests pass their own to run `main` in-process.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CheckHost } from "../check/check.js";

/** The command line's view of the outside world. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads a file as UTF-8; `undefined` when it cannot be read. */
  readFile(path: string): string | undefined;
  writeFile(path: string, text: string): void;
}

/** The real process: its streams, and files relative to its working directory. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readFile: (path) => {
    try {
      return readFileSync(resolve(path), "utf8");
    } catch {
      return undefined;
    }
  },
  writeFile: (path, text) => writeFileSync(resolve(path), text),
};

/** The front end's file host over a `CliIo`. */
export function checkHost(io: CliIo): CheckHost {
  return { readFile: (path) => io.readFile(path) };
}
