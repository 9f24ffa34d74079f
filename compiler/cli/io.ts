/**
 * What the command line touches of the outside world: two output streams, the working
 * directory and the file system. Tests pass their own to run `main` in-process.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CheckHost } from "../check/check.js";
import type { ReadFailure } from "../check/files.js";
import { readSourceFile } from "../check/read-source.js";

/** The command line's view of the outside world. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads a file as UTF-8; `undefined` when it cannot be read. */
  readFile(path: string): string | undefined;
  /** Why `readFile(path)` gave nothing (`no such file or directory`), where the host can say. */
  readFailure?(path: string): string | undefined;
  /** Reads an imported file inside `root`, or says why not (`CheckHost.readImport`). */
  readImport(path: string, root: string): string | ReadFailure;
  writeFile(path: string, text: string): void;
  /** `--root DIR`: the directory imports must stay inside (default: the checked file's). */
  root?: string;
}

/** The real process: its streams, and files relative to its working directory. */
export const processIo: CliIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  readFile: (path) => {
    const text = readSourceFile(path);
    return typeof text === "string" ? text : undefined;
  },
  readFailure: (path) => {
    const text = readSourceFile(path);
    return typeof text === "string" ? undefined : text.reason;
  },
  readImport: (path, root) => readSourceFile(path, root),
  writeFile: (path, text) => writeFileSync(resolve(path), text),
};

/** The front end's file host over a `CliIo`. */
export function checkHost(io: CliIo): CheckHost {
  return { readFile: (path) => io.readFile(path), readImport: (path, root) => io.readImport(path, root), root: io.root };
}
