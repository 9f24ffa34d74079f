/**
 * `hardtanh`, `clamp` and `hardsigmoid` as models, stage by stage: the shape rule's refusal of
 * bounds with no interval between them, what they lower to (hardtanh and clamp to relu6's `Clip`,
 * clamp marked for its gradient on the bounds; hardsigmoid to ONNX's `HardSigmoid` with alpha
 * 1/6), the ONNX they become, their PyTorch forms, and PyTorch's outputs on every engine (the IR
 * executor, both plan paths, onnxruntime). The kernels' own fixtures are in test/runtime, the
 * gradients' in test/train (finite differences, kinks, and test/train/torch-gradients).
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import { compileModel } from "../../compiler/emit/compile-model.js";
import { dumpOnnx } from "../../compiler/emit/onnx/text-dump.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { planSteps } from "../../compiler/ir/plan-steps.js";
import { compilePlan } from "../../runtime/fast/index.js";
import { clip, hardsigmoid, type Tensor } from "../../runtime/index.js";
import { host } from "../emit/support.js";
import { checkText, compile, paramTensors, runOrt } from "../onnx/support.js";
import { irFallback } from "../runtime-fast/plan-support.js";
import { syntheticWeights } from "../support/synthetic.js";
import { casesOf, expectClose, output, type OpCase } from "../runtime/fixtures.js";

const modelText = (input: string, body: string) => `model M(x: [${input}]) {\n  return x -> ${body}\n}\n`;

/** The IR nodes of `body` on `input`, or the diagnostics. */
function lowered(input: string, body: string): { nodes: string[]; errors: string[] } {
  const result = checkSource("clip.nn", modelText(input, body), host);
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
  if (errors.length > 0) return { nodes: [], errors };
  return { nodes: lowerModel(result.models[0]).nodes.map((n) => `${n.op} ${JSON.stringify(n.attrs)}`), errors };
}

/** The largest absolute difference between two tensors of the same shape. */
function maxDifference(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  return a.data.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b.data[i])), 0);
}

/** The layer call of a fixture case. */
function callOf(c: OpCase): string {
  if (c.op === "hardsigmoid") return "hardsigmoid";
  return `${c.op}(min: ${c.attributes.min}, max: ${c.attributes.max})`;
}

describe("the shape rule", () => {
  it("takes nn.Hardtanh's bounds by default and any min < max, and clamp's both", () => {
    expect(lowered("N, 4", "hardtanh").nodes).toEqual(['Clip {"min":-1,"max":1}']);
    expect(lowered("N, 4", "hardtanh(-2, 0.5)").nodes).toEqual(['Clip {"min":-2,"max":0.5}']);
    expect(lowered("N, 4", "clamp(min: 0, max: 6)").nodes).toEqual(['Clip {"min":0,"max":6,"bound_gradient":1}']);
    expect(lowered("N, 4", "hardsigmoid").nodes).toEqual([`HardSigmoid {"alpha":${1 / 6},"beta":0.5}`]);
  });

  it("refuses bounds with no interval between them, under max", () => {
    expect(lowered("N, 4", "hardtanh(min: 1, max: -1)").errors).toEqual(["E0207 hardtanh needs min < max, got min 1 and max -1"]);
    expect(lowered("N, 4", "clamp(0.5, 0.5)").errors).toEqual(["E0207 clamp needs min < max, got min 0.5 and max 0.5"]);
    const text = modelText("N, 4", "clamp(min: 2, max: 1)");
    const [diagnostic] = checkSource("clip.nn", text, host).diagnostics;
    expect(text.slice(diagnostic.span.start, diagnostic.span.end)).toBe("max: 1");
    expect(lowered("N, 4", "clamp(min: 0)").errors[0]).toMatch(/^E\d+ .*max/);
  });
});

describe("ONNX", () => {
  const dump = (body: string, fuse = true) => dumpOnnx(compile(checkText("clip.nn", modelText("N, 4, 3, 3", body)), new Map(), fuse, 17).bytes);

  it("writes hardtanh and clamp as Clip with the bounds as inputs, and hardsigmoid as HardSigmoid(1/6, 1/2)", () => {
    expect(dump("hardtanh(-2, 0.5)")).toMatch(/= Clip\(x, \S+, \S+\)/);
    expect(dump("clamp(-1, 2)")).toMatch(/= Clip\(x, \S+, \S+\)/);
    expect(dump("clamp(-1, 2)")).not.toContain("bound_gradient");
    expect(dump("hardsigmoid")).toMatch(/= HardSigmoid\(x\) \{alpha: 0\.1666667, beta: 0\.5\}/);
  });

  it("writes a fused activation back out after its conv", () => {
    for (const [body, op] of [
      ["conv(4, 1) -> clamp(-1, 2)", "Clip"],
      ["conv(4, 1) -> hardsigmoid", "HardSigmoid"],
    ]) {
      const checked = checkText("clip.nn", modelText("N, 4, 3, 3", body));
      expect(lowerModel(checked.model).nodes.map((n) => n.op)).toEqual(["Conv", op]);
      const params = paramTensors(checked.model, syntheticWeights(checked.model.params));
      expect(dumpOnnx(compile(checked, params, true, 17).bytes).match(/= (\w+)\(/g)).toEqual(["= Conv(", `= ${op}(`]);
    }
  });
});

describe("PyTorch's values", () => {
  const cases = [...casesOf("hardtanh"), ...casesOf("clamp"), ...casesOf("hardsigmoid")];

  it("are the kernels' exactly for hardtanh and clamp, and within one float32 rounding for hardsigmoid", () => {
    for (const c of cases) {
      const x = c.inputs.x;
      const got = c.op === "hardsigmoid" ? hardsigmoid(x, { alpha: 1 / 6, beta: 0.5 }) : clip(x, { min: c.attributes.min as number, max: c.attributes.max as number });
      // PyTorch computes relu6(x + 3) / 6 in float32, the kernel x/6 + 1/2 in double, rounded once.
      expect(maxDifference(got, output(c, "y")), c.name).toBeLessThanOrEqual(c.op === "hardsigmoid" ? 2 ** -24 : 0);
    }
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s on every engine", async (_, c) => {
    const x = c.inputs.x;
    const expected = output(c, "y");
    const checked = checkText("clip.nn", modelText(`N, ${x.shape.slice(1).join(", ")}`, callOf(c)));
    const graph = lowerModel(checked.model);
    expectClose(executeGraph(graph, new Map(), [x]).outputs[0], expected, `${c.name}: IR executor`);
    for (const wasm of [true, false]) {
      const plan = compilePlan({ inputs: [{ name: graph.inputs[0], shape: x.shape }], outputs: graph.outputs, steps: planSteps(graph) }, new Map(), { fallback: irFallback, wasm });
      try {
        expectClose(plan.run([x])[0], expected, `${c.name}: plan (${wasm ? "WebAssembly" : "TypeScript"})`);
      } finally {
        plan.close();
      }
    }
    for (const opset of [17, 21]) {
      const { bytes } = compile(checked, new Map(), false, opset);
      expectClose((await runOrt(bytes, graph, [x]))[0], expected, `${c.name}: onnxruntime (opset ${opset})`);
    }
  });
});

describe("the PyTorch form", () => {
  it("writes F.hardtanh (bounds only where they are not nn.Hardtanh's), torch.clamp and F.hardsigmoid, bounds as floats", async () => {
    for (const [body, call] of [
      ["hardtanh", "F.hardtanh(x)"],
      ["hardtanh(min: -2, max: 0.5)", "F.hardtanh(x, -2.0, 0.5)"],
      ["clamp(0, 6)", "torch.clamp(x, 0.0, 6.0)"],
      ["hardsigmoid", "F.hardsigmoid(x)"],
    ]) {
      const result = await compileModel({ host, path: "clip.nn", text: modelText("N, 4", body), target: "torch" });
      expect(result.files.map((f) => String(f.contents)).join("\n"), body).toContain(call);
    }
  });
});
