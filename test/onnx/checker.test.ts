/**
 * `onnx.checker.check_model(full_check=True)` — the reference checker, with strict shape
 * inference — on every emitted model: each example and each operator model, fused and unfused,
 * at every opset. It runs Debian's `python3-onnx` through `/usr/bin/python3` (override with
 * NNC_ONNX_PYTHON); `.ci/run` installs the package.
 *
 * Without the package the test is skipped with a loud banner, not failed: `npm test` must work
 * for a contributor without Python. CI, having installed it, sets NNC_REQUIRE_ONNX_CHECKER=1, and
 * then a missing or broken checker fails the test instead, so it can never pass silently there.
 * Models at an opset newer than the installed onnx knows (1.12 stops at opset 17 / IR 8) cannot
 * be judged by its checker; they are reported, and the opset-17 models must all be checked.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SUPPORTED_OPSETS } from "../../compiler/emit/onnx/emit-onnx.js";
import { syntheticWeights } from "../support/synthetic.js";
import { OPERATOR_MODELS } from "./operator-models.js";
import { checkFile, checkText, compile, paramTensors, type Checked } from "./support.js";
import { printSkipBanner } from "../support/skip-banner.js";

const PYTHON = process.env.NNC_ONNX_PYTHON ?? "/usr/bin/python3";
const REQUIRED = process.env.NNC_REQUIRE_ONNX_CHECKER === "1";
const probe = spawnSync(PYTHON, ["-c", "import onnx.checker"], { encoding: "utf8" });
const available = probe.status === 0;

if (!available && !REQUIRED) printSkipBanner("the ONNX checker test", `python3-onnx (${PYTHON} -c "import onnx" failed)`, "python3-onnx");

const LARGE = new Set([
  "densenet121",
  "efficientnet_b0",
  "googlenet",
  "mobilenet_v2",
  "mobilenet_v3_small",
  "regnetx_400mf",
  "resnet18",
  "resnet50",
  "shufflenet_v2",
  "vgg",
]);

interface CheckerReport {
  onnx: string;
  max_opset: number;
  files: Record<string, { status: "ok" | "error" | "unsupported"; message?: string; opset?: number }>;
}

describe("onnx.checker", () => {
  const dir = mkdtempSync(join(tmpdir(), "nnc-onnx-check-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!available && !REQUIRED)("accepts every emitted model with full_check", () => {
    expect(probe.status, `python3-onnx is required here (NNC_REQUIRE_ONNX_CHECKER=1): ${probe.stderr}`).toBe(0);
    const models: Checked[] = [
      ...readdirSync("examples")
        .filter((f) => f.endsWith(".nn"))
        .sort()
        .map((f) => checkFile(`examples/${f}`)),
      ...OPERATOR_MODELS.map((m) => checkText(`${m.name}.nn`, m.text)),
    ];
    const files: string[] = [];
    for (const checked of models) {
      const params = paramTensors(checked.model, syntheticWeights(checked.model.params));
      const stem = checked.path.replace(/^.*\//, "").replace(/\.nn$/, "");
      // The 224×224 models and VGG are large, checked at opset 17 only; ResNet-20, the small ones and the
      // operator models cover every opset.
      const opsets = LARGE.has(stem) ? [17] : SUPPORTED_OPSETS;
      for (const fuse of [true, false]) {
        for (const opset of opsets) {
          const file = join(dir, `${stem}-${fuse ? "fused" : "unfused"}-${opset}.onnx`);
          writeFileSync(file, compile(checked, params, fuse, opset).bytes);
          files.push(file);
        }
      }
    }
    const run = spawnSync(PYTHON, ["test/onnx/check_models.py", ...files], { encoding: "utf8", maxBuffer: 64 << 20 });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as CheckerReport;
    const errors = Object.entries(report.files).filter(([, r]) => r.status === "error");
    expect(errors.map(([f, r]) => `${f}: ${r.message}`)).toEqual([]);
    const checked = Object.values(report.files).filter((r) => r.status === "ok");
    const unsupported = Object.values(report.files).filter((r) => r.status === "unsupported");
    expect(checked.filter((r) => r.opset === 17).length).toBe(files.filter((f) => f.endsWith("-17.onnx")).length);
    if (unsupported.length > 0) {
      console.warn(`onnx ${report.onnx} knows opsets up to ${report.max_opset}: ${unsupported.length} models at newer opsets were not checkable (${checked.length} checked)`);
    }
  });
});
