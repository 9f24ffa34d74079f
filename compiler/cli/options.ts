/**
 * The checks every command's options pass before the command runs. An option value that is not
 * what the option takes — a number that is not a plain decimal integer (`''`, `-0`, `0x11`,
 * `1e400`) or is out of its range, an empty output path, a `--root` that is no directory — is a
 * usage error: the command line prints `nnc: error: ...` and exits 2, as for an unknown option.
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";

/**
 * A malformed command line; `main` prints each line of its message as `nnc: error: <line>` and
 * exits 2.
 */
export class UsageError extends Error {}

/** The integer options, their range and what each takes in words, by commander's option key. */
const INTEGER_OPTIONS: Readonly<Record<string, { flag: string; min: number; max: number; takes: string }>> = {
  opset: { flag: "--opset", min: 17, max: 21, takes: "an integer from 17 to 21" },
  seed: { flag: "--seed", min: 0, max: Number.MAX_SAFE_INTEGER, takes: "a non-negative integer" },
};

/** Throws a `UsageError` for the first malformed option value in `opts` (a command's options). */
export function checkOptionValues(opts: Readonly<Record<string, unknown>>): void {
  for (const [key, { flag, min, max, takes }] of Object.entries(INTEGER_OPTIONS)) {
    const value = opts[key];
    if (typeof value !== "string") continue;
    // Only decimal digits: `Number` would also read '', '-0', '0x11' and '1e400'.
    const number = Number(value);
    if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(number) || number < min || number > max) {
      throw new UsageError(`${flag} must be ${takes}, got '${value}'`);
    }
  }
  if (opts.output === "") throw new UsageError("-o/--output needs a path, got ''");
  if (typeof opts.root === "string") checkRoot(opts.root);
}

/** `--root DIR` must name an existing directory. */
function checkRoot(root: string): void {
  if (root === "") throw new UsageError("--root needs a directory, got ''");
  let directory = false;
  try {
    directory = statSync(resolve(root)).isDirectory();
  } catch {
    throw new UsageError(`--root '${root}': no such directory`);
  }
  if (!directory) throw new UsageError(`--root '${root}' is not a directory`);
}
