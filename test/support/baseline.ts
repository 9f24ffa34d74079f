/**
 * Golden files. `expectBaseline(path, actual)` compares `actual` with the committed file at
 * `path`; with `UPDATE_BASELINES=1` in the environment it writes the file instead, so that
 * an intended change of output is one command and a reviewed diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { expect } from "vitest";

/** True when baselines are being rewritten rather than checked. */
export const UPDATING = process.env.UPDATE_BASELINES === "1";

/** Compares `actual` with the baseline file at `path` (or rewrites it when updating). */
export function expectBaseline(path: string, actual: string): void {
  if (UPDATING) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(`missing baseline ${path}; run the tests with UPDATE_BASELINES=1 to create it`);
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}
