/**
 * Running Python with torch for the PyTorch-target tests. `/usr/bin/python3` (override with
 * NNC_TORCH_PYTHON) must import torch; where it cannot, the tests skip with a banner, since
 * `npm test` must work without Python. `.ci/run` installs Debian's python3-torch and sets
 * NNC_REQUIRE_TORCH=1, and then a missing torch fails the tests instead of skipping them.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { resolve } from "node:path";
import { printSkipBanner } from "../support/skip-banner.js";

export const PYTHON = process.env.NNC_TORCH_PYTHON ?? "/usr/bin/python3";
export const TORCH_REQUIRED = process.env.NNC_REQUIRE_TORCH === "1";

const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
/** Whether the tests that run PyTorch can run here. */
export const TORCH_AVAILABLE = probe.status === 0;
/** True where the PyTorch tests skip (no torch, and CI did not ask for it). */
export const SKIP_TORCH = !TORCH_AVAILABLE && !TORCH_REQUIRED;

let warned = false;
/** Prints, once, why the PyTorch tests are skipped. */
export function warnSkipped(what: string): void {
  if (!SKIP_TORCH || warned) return;
  warned = true;
  printSkipBanner(what, `PyTorch (${PYTHON} -c "import torch" failed)`, "python3-torch");
}

/** Fails with torch's import error where torch is required but missing. */
export function requireTorch(): void {
  if (!TORCH_AVAILABLE) throw new Error(`PyTorch is required here (NNC_REQUIRE_TORCH=1), but ${PYTHON} cannot import it: ${probe.stderr}`);
}

/** `examples/torch/train_ddp.py`, the training script the PyTorch tests run. */
export const TRAIN_DDP = resolve("examples/torch/train_ddp.py");

/** Runs `examples/torch/train_ddp.py` with `args` in one process on the CPU (no torchrun). */
export function runTrainDdp(args: readonly string[], cwd: string): SpawnSyncReturns<string> {
  const script = 'import os, runpy, sys; os.environ["CUDA_VISIBLE_DEVICES"] = ""; sys.argv.pop(0); runpy.run_path(sys.argv[0], run_name="__main__")';
  return runPython(script, [TRAIN_DDP, ...args], cwd);
}

/**
 * Runs `python3 -c script args...` in `cwd` (where the generated modules are, so that they
 * import by name); throws with its stderr when it fails.
 */
export function runPython(script: string, args: readonly string[], cwd: string, timeoutMs = 120_000): SpawnSyncReturns<string> {
  const result = spawnSync(PYTHON, ["-c", script, ...args], { cwd, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", OMP_NUM_THREADS: "1" } });
  if (result.status !== 0) throw new Error(`python failed (${result.status ?? result.signal}):\n${result.stderr}\n${result.stdout}`);
  return result;
}
