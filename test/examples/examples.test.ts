/**
 * Every example of `examples/`: it checks clean; `nnc summary` and `nnc params` match their
 * baselines; the parameters agree with the PyTorch twin of the example (names paired by
 * order, shapes and counts exactly; fixtures from `scripts/torch_twins.py`); and `nnc fmt`
 * is idempotent and keeps the meaning (the formatted file has identical `params` and
 * `summary`).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import { paramsListing, parameterCounts, summaryTable } from "../../compiler/cli/tables.js";
import { format } from "../../compiler/format/format.js";
import { expectBaseline } from "../support/baseline.js";
import { runCli } from "../support/cli.js";
import { diskHost, EXAMPLES } from "../support/disk.js";

interface TorchTwin {
  params: { name: string; shape: number[] }[];
  parameter_count: number;
  buffer_count: number;
  nnc_names: string[];
}



function checked(path: string, text: string) {
  const result = checkSource(path, text, diskHost);
  expect(result.diagnostics).toEqual([]);
  expect(result.models).toHaveLength(1);
  return result.models[0];
}

it("has the examples examples/README.md lists", () => {
  expect(EXAMPLES).toEqual([
    "convnext_atto",
    "densenet121",
    "efficientnet_b0",
    "googlenet",
    "inception",
    "lenet",
    "mlp",
    "mobilenet_v2",
    "mobilenet_v3_small",
    "nfnet",
    "norm_zoo",
    "regnetx_400mf",
    "resnet18",
    "resnet20",
    "resnet50",
    "shufflenet_v2",
    "vgg",
  ]);
});

describe.each(EXAMPLES)("examples/%s.nn", (name) => {
  const path = `examples/${name}.nn`;
  const text = readFileSync(path, "utf8");

  it("starts with a comment header saying what it shows", () => {
    expect(text).toMatch(/^# .+\n# Shows: /);
  });

  it("checks clean, and prints its summary and params baselines", async () => {
    const check = await runCli(["check", path]);
    expect(check).toMatchObject({ code: 0, stderr: "" });
    expect(check.stdout).toMatch(new RegExp(`^${path}: ok: \\w+ \\([\\d,]+ parameters\\)\\n$`));
    const summary = await runCli(["summary", path]);
    expect(summary.code).toBe(0);
    expectBaseline(`test/baselines/examples/${name}.summary.txt`, summary.stdout);
    const params = await runCli(["params", path]);
    expect(params.code).toBe(0);
    expectBaseline(`test/baselines/examples/${name}.params.txt`, params.stdout);
  });

  it("agrees with its PyTorch twin: names by order, shapes, counts", () => {
    const twin = JSON.parse(readFileSync(`test/fixtures/torch/${name}.json`, "utf8")) as TorchTwin;
    const model = checked(path, text);
    expect(model.params.map((p) => p.name)).toEqual(twin.nnc_names);
    expect(model.params.map((p) => p.shape)).toEqual(twin.params.map((p) => p.shape));
    expect(parameterCounts(model)).toEqual({ learnable: twin.parameter_count, buffers: twin.buffer_count });
  });

  it("formats idempotently, without changing its meaning", () => {
    const once = format(text, path);
    expect(once.diagnostics).toEqual([]);
    expect(format(once.text, path).text).toBe(once.text);
    const before = checked(path, text);
    const after = checked(path, once.text);
    expect(paramsListing(after)).toBe(paramsListing(before));
    expect(summaryTable(after)).toBe(summaryTable(before));
  });
});
