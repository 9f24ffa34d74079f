/**
 * Runs the `nnc` command line in-process with captured output and the real file system.
 */
import { main } from "../../compiler/cli/main.js";
import { processIo, type CliIo } from "../../compiler/cli/io.js";

/** What one run printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `nnc <argv>`; `overrides` can replace parts of the I/O (e.g. writeFile). */
export async function runCli(argv: string[], overrides: Partial<CliIo> = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    ...processIo,
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    ...overrides,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
