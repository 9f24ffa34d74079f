/**
 * The files `nnc compile --target torch` writes: each example's Python against its golden file
 * (`test/baselines/torch/<name>.py`; `UPDATE_BASELINES=1` rewrites them), what the command line
 * writes (`<stem>.py` and `<stem>.safetensors`, the checkpoint given or the seed-0 initial one),
 * a label PyTorch cannot take refused with a message, and a label that is a Python keyword
 * kept as the parameter name. With torch (or where CI requires it): every file compiles
 * (`py_compile`), builds, runs its forward on `INPUTS`, and lists `nnc params` as its
 * `state_dict()`, names, order and shapes (PyTorch's num_batches_tracked left out).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { CheckedModel } from "../../compiler/check/model.js";
import { compileModel } from "../../compiler/emit/compile-model.js";
import { SUPPORT, supportSection } from "../../compiler/emit/torch/support.js";
import { initialWeights } from "../../compiler/weights/init.js";
import { readSafetensorsFile, writeSafetensors } from "../../runtime/weights/safetensors.js";
import { expectBaseline } from "../support/baseline.js";
import { runCli } from "../support/cli.js";
import { syntheticWeights } from "../support/synthetic.js";
import { compileOk, fileText, host, tempDir } from "../emit/support.js";
import { requireTorch, runPython, SKIP_TORCH, warnSkipped } from "./python.js";

const EXAMPLES = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .map((f) => f.replace(/\.nn$/, ""))
  .sort();

/** Labels that are Python keywords, on a layer, a labelled group, a layer in it, a block instance and a layer in the block. */
const KEYWORD_LABELS = `block Pair(x) {
  return x -> lambda: conv(4, 3, pad: 1) -> relu
}

model Keywords(x: [N, 3, 8, 8]) {
  return x -> pass: conv(4, 3, pad: 1) -> from: [lambda: conv(4, 1) -> batch] -> class: Pair
           -> global_avgpool -> flatten -> def: dense(2)
}
`;

/**
 * For each module named on the command line: compiles the file (py_compile), builds MODEL,
 * runs its forward in eval mode on zeros shaped as INPUTS (batch 2), and prints its state_dict()
 * without num_batches_tracked as `name<TAB>[shape]` lines, as `nnc params` prints them, after a
 * `== name` line.
 */
const LIST_STATE = String.raw`
import importlib
import py_compile
import sys

import torch

for name in sys.argv[1:]:
    py_compile.compile(f"{name}.py", doraise=True)
    module = importlib.import_module(name)
    model = module.MODEL().eval()
    with torch.no_grad():
        model(*[torch.zeros([2 if d is None else d for d in shape]) for shape in module.INPUTS.values()])
    print(f"== {name}")
    for key, value in model.state_dict().items():
        if key.rpartition(".")[2] != "num_batches_tracked":
            print(f"{key}\t[{','.join(str(d) for d in value.shape)}]")
`;

/**
 * A generated file as its golden holds it: each definition of the support section, which every
 * file carries word for word and test/baselines/torch/support.py holds once, by its name only.
 */
function withoutSupport(text: string): string {
  const byCode = new Map([...SUPPORT.values()].map((d) => [d.code, d.name]));
  return text
    .split("\n\n\n")
    .map((chunk) => (byCode.has(chunk) ? `# support: ${byCode.get(chunk)} (test/baselines/torch/support.py)` : chunk))
    .join("\n\n\n");
}

describe("the PyTorch target's files", () => {
  it("carry the support section of its golden file", () => {
    expectBaseline("test/baselines/torch/support.py", supportSection(SUPPORT.keys()));
  });

  it.each(EXAMPLES)("%s matches its golden file", async (name) => {
    const result = await compileOk({ path: `examples/${name}.nn`, target: "torch" });
    expectBaseline(`test/baselines/torch/${name}.py`, withoutSupport(fileText(result, ".py")));
  });

  it("are <stem>.py and <stem>.safetensors from nnc compile, with the seed-0 or the given checkpoint", async () => {
    const out = tempDir("torch-cli");
    const run = await runCli(["compile", "examples/lenet.nn", "--target", "torch", "-o", out]);
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["lenet.py", "lenet.safetensors"]);
    const result = await compileOk({ path: "examples/lenet.nn", target: "torch" });
    expect(readFileSync(join(out, "lenet.py"), "utf8")).toBe(fileText(result, ".py"));
    const model = result.check.models[0] as CheckedModel;
    const init = initialWeights(model, 0);
    const shipped = readSafetensorsFile(readFileSync(join(out, "lenet.safetensors"))).tensors;
    expect([...shipped.keys()]).toEqual(model.params.map((p) => p.name));
    for (const p of model.params) expect(shipped.get(p.name)!.data, p.name).toEqual(init.get(p.name));

    const given = syntheticWeights(model.params);
    const checkpoint = join(tempDir("torch-cli-weights"), "trained.safetensors");
    writeFileSync(checkpoint, writeSafetensors(model.params.map((p) => ({ name: p.name, shape: p.shape, data: given.get(p.name)! }))));
    const withWeights = await runCli(["compile", "examples/lenet.nn", "--target", "torch", "--weights", checkpoint, "-o", out]);
    expect(withWeights.code, withWeights.stderr).toBe(0);
    const copied = readSafetensorsFile(readFileSync(join(out, "lenet.safetensors"))).tensors;
    for (const p of model.params) expect(copied.get(p.name)!.data, p.name).toEqual(given.get(p.name));
  });

  it.each(["training", "forward", "eval"])("refuses the label `%s`, an attribute of nn.Module, with a message", async (label) => {
    const text = `model M(x: [N, 3, 8, 8]) {\n  return x -> ${label}: conv(4, 3)\n}\n`;
    const result = await compileModel({ host, path: "label.nn", text, target: "torch" });
    expect(result.ok).toBe(false);
    expect(result.files).toEqual([]);
    expect(result.errors).toEqual([`\`${label}\`: PyTorch cannot name a submodule \`${label}\` (an attribute of nn.Module); relabel it`]);

    const path = join(tempDir("torch-label"), "label.nn");
    writeFileSync(path, text);
    const out = tempDir("torch-label-out");
    const run = await runCli(["compile", path, "--target", "torch", "-o", out]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(`PyTorch cannot name a submodule \`${label}\``);
    expect(run.stderr).not.toMatch(/^\s+at\s/m);
    expect(existsSync(join(out, "label.py"))).toBe(false);
  });

  it("keeps labels that are Python keywords as the parameter names", async () => {
    const result = await compileOk({ path: "keywords.nn", text: KEYWORD_LABELS, target: "torch" });
    const model = result.check.models[0] as CheckedModel;
    expect(model.params.map((p) => p.name)).toEqual(expect.arrayContaining(["pass.weight", "from.lambda.weight", "class.lambda.weight", "def.weight"]));
    expect(fileText(result, ".py")).toContain(`self.add_module("lambda", nn.Conv2d(4, 4, 3, padding=1))`);
  });
});

describe.skipIf(SKIP_TORCH)("the PyTorch target's files in Python", () => {
  const dir = tempDir("torch-emitted");
  const listed = new Map<string, string[]>();
  // `--set` works as for the other targets: ResNet-20 at half width with GroupNorm.
  const SET = ["norm=group(groups: 4)", "width=8"];
  const names = [...EXAMPLES, "keywords", "resnet20_set"];

  beforeAll(async () => {
    requireTorch();
    for (const name of EXAMPLES) {
      const result = await compileOk({ path: `examples/${name}.nn`, target: "torch" });
      writeFileSync(join(dir, `${name}.py`), fileText(result, ".py"));
    }
    writeFileSync(join(dir, "keywords.nn"), KEYWORD_LABELS);
    const keywords = await compileOk({ path: join(dir, "keywords.nn"), text: KEYWORD_LABELS, target: "torch" });
    writeFileSync(join(dir, "keywords.py"), fileText(keywords, ".py"));
    const set = await compileOk({ path: "examples/resnet20.nn", target: "torch", set: SET });
    expect(fileText(set, ".py")).toContain("nn.GroupNorm(4, c)");
    writeFileSync(join(dir, "resnet20_set.py"), fileText(set, ".py"));
    const output = runPython(LIST_STATE, names, dir).stdout;
    for (const block of output.split(/^== /m).slice(1)) {
      const [name, ...lines] = block.trimEnd().split("\n");
      listed.set(name, lines);
    }
  }, 120_000);

  it.each(names)("%s compiles, runs, and its state_dict() is nnc params", async (name) => {
    const path = name === "keywords" ? join(dir, "keywords.nn") : name === "resnet20_set" ? "examples/resnet20.nn" : `examples/${name}.nn`;
    const params = await runCli(["params", path, ...(name === "resnet20_set" ? SET.flatMap((s) => ["--set", s]) : [])]);
    expect(params.code, params.stderr).toBe(0);
    expect(listed.get(name), `${name}: state_dict()`).toEqual(params.stdout.trimEnd().split("\n"));
  });
});

describe.runIf(SKIP_TORCH)("the PyTorch target's files in Python", () => {
  it("are skipped without PyTorch", () => warnSkipped("running the emitted Python (test/torch/emitted.test.ts)"));
});
