/**
 * Each test file writes its temporary files under a folder of its own, removed when the file's
 * tests end. The folder is TMPDIR, which `os.tmpdir()` reads at every call and which the Python,
 * Chromium, tsc and npm a test starts inherit. A run of the suite writes about 3 GB of compiled
 * modules, checkpoints and ONNX models, which must not pile up run after run (and a disk that
 * fills in the middle of a run fails every test after it, far from the cause).
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const outer = tmpdir();
const root = mkdtempSync(join(outer, "nnc-test-"));
// Open to every user with the sticky bit, as /tmp is: a test runs a child as `nobody`, whose tsx
// keeps its cache under TMPDIR.
chmodSync(root, 0o1777);
process.env.TMPDIR = root;

// Registered before the file's own hooks, so it runs after them (vitest runs after-hooks as a stack).
afterAll(() => {
  process.env.TMPDIR = outer;
  rmSync(root, { recursive: true, force: true, maxRetries: 3 });
});
