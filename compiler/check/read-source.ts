/**
 * Reading a `.nn` file from disk without trusting it: the one reader that the command line, the
 * language server and the tests' hosts share (the checker itself never touches the file system).
 *
 * A path names anything, and a checked file names its imports, so the reader looks before it
 * reads: it stats the path first and reads only a regular file of at most `MAX_SOURCE_BYTES`
 * (a FIFO would block, a device such as `/dev/zero` never ends), opens it without blocking, and
 * reads at most one byte past the limit (a file in `/proc` reports size 0 whatever it holds).
 * With a root it also refuses a path whose real location, after symbolic links, leaves the root.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { ReadFailure } from "./files.js";

/** The largest source file read, in bytes (8 MiB). */
export const MAX_SOURCE_BYTES = 8 * 1024 * 1024;

/**
 * Reads `path` as UTF-8, or says why not. With `root`, a path whose real location (after
 * symbolic links) is outside the real `root` is refused (`outsideRoot`).
 */
export function readSourceFile(path: string, root?: string, maxBytes = MAX_SOURCE_BYTES): string | ReadFailure {
  let real: string;
  try {
    real = realpathSync(resolve(path));
  } catch (error) {
    return { reason: systemReason(error) };
  }
  if (root !== undefined) {
    let realRoot: string;
    try {
      realRoot = realpathSync(resolve(root));
    } catch (error) {
      return { reason: `the project root '${root}' cannot be read: ${systemReason(error)}`, outsideRoot: true };
    }
    if (!isInside(realRoot, real)) return { reason: `it resolves to '${real}', outside the project root '${root}'`, outsideRoot: true };
  }
  let stats: Stats;
  try {
    stats = statSync(real);
  } catch (error) {
    return { reason: systemReason(error) };
  }
  const refused = refusal(stats, maxBytes);
  if (refused) return { reason: refused };
  let fd: number | undefined;
  try {
    // O_NONBLOCK: should the file be swapped for a FIFO after the stat, opening it cannot hang.
    fd = openSync(real, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const opened = refusal(fstatSync(fd), maxBytes);
    if (opened) return { reason: opened };
    const bytes = readAtMost(fd, maxBytes + 1);
    if (bytes.length > maxBytes) return { reason: tooLarge(maxBytes) };
    return bytes.toString("utf8");
  } catch (error) {
    return { reason: systemReason(error) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether `path` is `dir` or inside it (both absolute, or both relative to one directory). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return !isAbsolute(rel) && rel.split(sep)[0] !== "..";
}

/** Why a file of these stats is not read, or undefined when it may be. */
function refusal(stats: Stats, maxBytes: number): string | undefined {
  if (stats.isDirectory()) return "it is a directory";
  if (!stats.isFile()) return `it is ${kindOf(stats)}, not a regular file`;
  if (stats.size > maxBytes) return tooLarge(maxBytes);
  return undefined;
}

function tooLarge(maxBytes: number): string {
  return `it is larger than the limit of ${maxBytes / (1024 * 1024)} MiB`;
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return "a named pipe (FIFO)";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  if (stats.isSocket()) return "a socket";
  return "a special file";
}

/** Up to `limit` bytes from `fd`, stopping at the end of the file. */
function readAtMost(fd: number, limit: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total < limit) {
    const chunk = Buffer.alloc(Math.min(1 << 16, limit - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    total += n;
  }
  return Buffer.concat(chunks, total);
}

/** A short reason for a file-system error, without the path (the diagnostic names it). */
function systemReason(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ENOENT":
      return "no such file";
    case "ENOTDIR":
      return "a part of the path is not a directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ELOOP":
      return "too many symbolic links";
    case "EAGAIN":
      return "it would block";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
