/**
 * The PyTorch target's modules survive PyTorch's own tooling: for every example (but two, see
 * EXCLUDED), in eval mode with synthetic weights, `torch.jit.trace` and `torch.jit.script` of
 * the emitted module give the module's outputs, and `torch.onnx.export` (opset 17, batch axis
 * dynamic) gives a model that onnxruntime-node runs to the same outputs, each within 1e-4 of the
 * output's scale, at the traced batch size and at another. PyTorch runs once for the file
 * (test/torch/export.py).
 *
 * A module that `torch.jit.script` cannot compile is listed in SCRIPT_FAILURES with the construct
 * at fault; the test fails when a listed one starts to compile, so that the list only shrinks.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import type { CheckedModel } from "../../compiler/check/model.js";
import type { Tensor } from "../../runtime/index.js";
import { readSafetensorsFile, writeSafetensors } from "../../runtime/weights/safetensors.js";
import { compileOk, tempDir } from "../emit/support.js";
import { syntheticWeights } from "../support/synthetic.js";
import { expectClose, randomTensor } from "../train/support.js";
import { requireTorch, runPython, SKIP_TORCH, warnSkipped } from "./python.js";

/**
 * Every example but ResNet-50 and DenseNet-121: they are built of what ResNet-18 and GoogLeNet
 * already take through jit and export (bottlenecks, concatenated dense layers), and tracing,
 * scripting and exporting them at two batch sizes took a minute of this file's one PyTorch run.
 */
const EXCLUDED = new Set(["densenet121", "resnet50"]);

const EXAMPLES = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .map((f) => f.replace(/\.nn$/, ""))
  .filter((name) => !EXCLUDED.has(name))
  .sort();

/** The examples `torch.jit.script` rejects, with the start of its message (none today). */
const SCRIPT_FAILURES: Readonly<Record<string, string>> = {};

/** The batch sizes each example runs at: the first is the one traced and exported. */
const BATCHES = [2, 3];

/** Runs `path` in onnxruntime-node on `x` (input "x", output "y"). */
async function runOnnx(path: string, x: Tensor): Promise<Tensor> {
  const session = await ort.InferenceSession.create(path);
  try {
    const { y } = await session.run({ x: new ort.Tensor("float32", x.data, x.shape) });
    return { shape: [...y.dims], data: y.data as Float32Array };
  } finally {
    await session.release();
  }
}

describe.skipIf(SKIP_TORCH)("the PyTorch target's modules under jit and ONNX export", () => {
  const dir = tempDir("torch-export");
  const inputs = new Map<string, Tensor[]>();
  const outputs = new Map<string, Map<string, Tensor>>();
  const errors = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    requireTorch();
    for (const name of EXAMPLES) {
      const result = await compileOk({ path: `examples/${name}.nn`, target: "torch" });
      writeFileSync(join(dir, `${name}.py`), result.files.find((f) => f.name.endsWith(".py"))!.contents);
      const model = result.check.models[0] as CheckedModel;
      const weights = syntheticWeights(model.params);
      writeFileSync(join(dir, `${name}.weights.safetensors`), writeSafetensors(model.params.map((p) => ({ name: p.name, shape: p.shape, data: weights.get(p.name)! }))));
      const shape = model.values[model.inputs[0].value].shape;
      const xs = BATCHES.map((batch, k) => randomTensor(shape.map((d) => (typeof d === "number" ? d : batch)), 5 + k));
      inputs.set(name, xs);
      writeFileSync(join(dir, `${name}.data.safetensors`), writeSafetensors(xs.map((x, k) => ({ name: `x.${k}`, shape: x.shape, data: x.data }))));
    }
    writeFileSync(join(dir, "names.json"), JSON.stringify(EXAMPLES));
    runPython(readFileSync("test/torch/export.py", "utf8"), ["names.json"], dir, 300_000);
    for (const name of EXAMPLES) {
      const file = readSafetensorsFile(readFileSync(join(dir, `${name}.torch.safetensors`)));
      outputs.set(name, new Map([...file.tensors].map(([key, t]) => [key, { shape: [...t.shape], data: t.data }])));
      errors.set(name, JSON.parse(readFileSync(join(dir, `${name}.errors.json`), "utf8")) as Record<string, string>);
    }
  }, 300_000);

  describe.each(EXAMPLES)("%s", (name) => {
    const output = (key: string) => {
      const t = outputs.get(name)!.get(key);
      if (!t) throw new Error(`${name}: export.py gave no ${key}`);
      return t;
    };

    it("traces to the module's outputs", () => {
      BATCHES.forEach((batch, k) => expectClose(`${name} traced, batch ${batch}`, output(`trace.${k}`), output(`module.${k}`)));
    });

    it("scripts to the module's outputs", () => {
      const failure = errors.get(name)!.script;
      if (name in SCRIPT_FAILURES) {
        expect(failure, `${name} now scripts: remove it from SCRIPT_FAILURES`).toBeDefined();
        expect(failure).toContain(SCRIPT_FAILURES[name]);
        return;
      }
      expect(failure, `torch.jit.script(${name})`).toBeUndefined();
      BATCHES.forEach((batch, k) => expectClose(`${name} scripted, batch ${batch}`, output(`script.${k}`), output(`module.${k}`)));
    });

    it("exports to ONNX that onnxruntime runs to the module's outputs", async () => {
      for (const [k, batch] of BATCHES.entries()) {
        expectClose(`${name} in onnxruntime, batch ${batch}`, await runOnnx(join(dir, `${name}.onnx`), inputs.get(name)![k]), output(`module.${k}`));
      }
    });
  });
});

describe.runIf(SKIP_TORCH)("the PyTorch export tests", () => {
  it("are skipped without PyTorch", () => warnSkipped("jit and ONNX export of the PyTorch modules (test/torch/export.test.ts)"));
});
