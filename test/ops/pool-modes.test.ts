/**
 * The pools' ceil mode and `adaptive_avgpool` as models, stage by stage: the shape rule (static
 * and symbolic sizes, the refusals), what they lower to, the ONNX they become, their PyTorch
 * form, and GoogLeNet's first pool — `maxpool(3, stride: 2, ceil_mode: true)` at 112×112 — and
 * AlexNet's `AdaptiveAvgPool2d(6)` at 13×13 run through the IR executor, both plan paths and
 * onnxruntime against PyTorch's outputs (the kernels' own fixtures are in test/runtime; the
 * gradients' in test/train/torch-gradients).
 */
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import { compileModel } from "../../compiler/emit/compile-model.js";
import { dumpOnnx } from "../../compiler/emit/onnx/text-dump.js";
import { executeGraph } from "../../compiler/ir/execute.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { planSteps } from "../../compiler/ir/plan-steps.js";
import { compilePlan } from "../../runtime/fast/index.js";
import type { Tensor } from "../../runtime/index.js";
import { host } from "../emit/support.js";
import { checkText, compile, randomInput, relativeError, runOrt, type Checked } from "../onnx/support.js";
import { irFallback } from "../runtime-fast/plan-support.js";
import { casesOf, expectClose, output } from "../runtime/fixtures.js";

const modelText = (input: string, body: string) => `model M(x: [${input}]) {\n  return x -> ${body}\n}\n`;

/** The output shape and IR nodes of `body` on `input`, or the diagnostics. */
function lowered(input: string, body: string): { shape?: readonly (number | string)[]; nodes: string[]; errors: string[] } {
  const result = checkSource("pool.nn", modelText(input, body), host);
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code} ${d.message}`);
  if (errors.length > 0) return { nodes: [], errors };
  const graph = lowerModel(result.models[0]);
  const nodes = graph.nodes.map((n) => `${n.op} ${JSON.stringify(n.attrs)}`);
  return { shape: graph.value(graph.outputs[0]).shape, nodes, errors };
}

/** The model of `body` on `input`, checked and lowered. */
function modelOf(input: string, body: string): { checked: Checked; graph: Graph } {
  const checked = checkText("pool.nn", modelText(input, body));
  return { checked, graph: lowerModel(checked.model) };
}

/** Runs the model on every engine nnc has and holds each to `expected` (PyTorch's output). */
async function everyEngine({ checked, graph }: { checked: Checked; graph: Graph }, input: Tensor, expected: Tensor, what: string): Promise<void> {
  expectClose(executeGraph(graph, new Map(), [input]).outputs[0], expected, `${what}: IR executor`);
  for (const wasm of [true, false]) {
    const plan = compilePlan({ inputs: [{ name: graph.inputs[0], shape: input.shape }], outputs: graph.outputs, steps: planSteps(graph) }, new Map(), { fallback: irFallback, wasm });
    try {
      expectClose(plan.run([input])[0], expected, `${what}: plan (${wasm ? "WebAssembly" : "TypeScript"})`);
    } finally {
      plan.close();
    }
  }
  for (const opset of [17, 21]) {
    const { bytes } = compile(checked, new Map(), false, opset);
    expectClose((await runOrt(bytes, graph, [input]))[0], expected, `${what}: onnxruntime (opset ${opset})`);
  }
}

describe("ceil mode", () => {
  it("rounds the output size up as PyTorch does, statically and symbolically", () => {
    expect(lowered("N, 64, 112, 112", "maxpool(3, stride: 2, ceil_mode: true)").shape).toEqual(["N", 64, 56, 56]);
    expect(lowered("N, 64, 112, 112", "maxpool(3, stride: 2)").shape).toEqual(["N", 64, 55, 55]);
    // ceil((H + 2 - 3) / 2) + 1 windows, the last one dropped where it would start in the padding.
    expect(lowered("N, 3, 6, 9", "avgpool(4, pad: 2, ceil_mode: true)").shape).toEqual(["N", 3, 2, 3]);
    expect(lowered("N, 3, H, W", "maxpool(3, stride: 2, ceil_mode: true)").shape).toEqual(["N", 3, "ceil((H-1)/2)", "ceil((W-1)/2)"]);
    // Width 7: ceil(7 / 2) + 1 = 5 windows, but the fifth would start at 8 - 1 = 7, in the right padding.
    expect(lowered("N, 3, H, 7", "avgpool(2, pad: 1, ceil_mode: true)").shape).toEqual(["N", 3, "ceil((H+1)/2)", 4]);
  });

  it("lets a window be larger than the input where one starts inside it, as PyTorch does", () => {
    expect(lowered("N, 3, 2, 2", "maxpool(5, stride: 4, ceil_mode: true)").shape).toEqual(["N", 3, 1, 1]);
    expect(lowered("N, 3, 1, 1", "maxpool(5, stride: 4, ceil_mode: true)").errors).toEqual(["E0205 maxpool kernel 5 does not fit the height 1"]);
  });

  it("lowers to the pool with ceil_mode 1, and floor mode to the pool without it", () => {
    expect(lowered("N, 3, 7, 7", "maxpool(3, stride: 2, ceil_mode: true)").nodes).toEqual(['MaxPool {"kernel_shape":[3,3],"strides":[2,2],"pads":[0,0,0,0],"ceil_mode":1}']);
    expect(lowered("N, 3, 7, 7", "avgpool(3, stride: 2)").nodes).toEqual(['AveragePool {"kernel_shape":[3,3],"strides":[2,2],"pads":[0,0,0,0],"count_include_pad":0}']);
  });

  it("writes ONNX pads that give floor mode the same windows where the size is static, and ceil_mode 1 where it is symbolic", () => {
    const dump = (input: string, body: string) => {
      const checked = checkText("pool.nn", modelText(input, body));
      return dumpOnnx(compile(checked, new Map(), true, 17).bytes);
    };
    const stem = dump("N, 64, 112, 112", "maxpool(3, stride: 2, ceil_mode: true)");
    expect(stem).toContain("MaxPool(x) {kernel_shape: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1]}");
    expect(dump("N, 3, 6, 9", "avgpool(3, stride: 2, pad: 1, ceil_mode: true)")).toContain("pads: [1, 1, 2, 1], count_include_pad: 0}");
    expect(dump("N, 3, H, W", "maxpool(3, stride: 2, ceil_mode: true)")).toContain("pads: [0, 0, 0, 0], ceil_mode: 1}");
  });

  it("runs symbolic-size models in onnxruntime through ONNX's ceil_mode", async () => {
    // PyTorch's size: ceil((size + 2p - k) / s) + 1, less one where that window starts in the padding.
    const torchSize = (n: number, k: number, s: number, p: number) => {
      const out = Math.ceil((n + 2 * p - k) / s) + 1;
      return (out - 1) * s >= n + p ? out - 1 : out;
    };
    for (const [body, k, s, p] of [
      ["avgpool(3, stride: 2, pad: 1, ceil_mode: true)", 3, 2, 1],
      ["avgpool(4, pad: 2, ceil_mode: true)", 4, 4, 2],
      ["maxpool(2, stride: 3, pad: 1, ceil_mode: true)", 2, 3, 1],
    ] as const) {
      const checked = checkText("pool.nn", modelText("N, 3, H, W", body));
      const graph = lowerModel(checked.model);
      const { bytes } = compile(checked, new Map(), true, 17);
      for (const [h, w] of [[6, 9], [7, 8], [112, 113]]) {
        const x = randomInput([2, 3, h, w], h * w);
        const want = executeGraph(graph, new Map(), [x]).outputs[0];
        expect(want.shape, `${body} on ${h}x${w}`).toEqual([2, 3, torchSize(h, k, s, p), torchSize(w, k, s, p)]);
        expect(relativeError((await runOrt(bytes, graph, [x]))[0], want), `${body} on ${h}x${w}`).toBeLessThan(1e-6);
      }
    }
  });

  it("gives GoogLeNet's first pool at 112x112 PyTorch's 56x56 values on every engine", async () => {
    const [stem] = casesOf("max_pool").filter((c) => c.name === "max_pool_googlenet_stem_112");
    const model = modelOf("N, 1, 112, 112", "maxpool(3, stride: 2, ceil_mode: true)");
    expect(model.graph.value(model.graph.outputs[0]).shape).toEqual(["N", 1, 56, 56]);
    await everyEngine(model, stem.inputs.x, output(stem, "y"), "stem");
  });

  it("writes ceil_mode=True in the PyTorch module (and count_include_pad=False for an average)", async () => {
    const text = `model M(x: [N, 3, 8, 8]) {\n  y = x -> maxpool(3, stride: 2, ceil_mode: true)\n  return y -> avgpool(2, ceil_mode: true)\n}\n`;
    const result = await compileModel({ host, path: "pool.nn", text, target: "torch" });
    const python = result.files.map((f) => String(f.contents)).join("\n");
    expect(python).toContain("F.max_pool2d(x, 3, stride=2, ceil_mode=True)");
    expect(python).toContain("F.avg_pool2d(maxpool0, 2, ceil_mode=True, count_include_pad=False)");
  });
});

describe("adaptive_avgpool", () => {
  it("takes an int or a pair, and needs a static height and width", () => {
    expect(lowered("N, 512, 13, 13", "adaptive_avgpool(6)").shape).toEqual(["N", 512, 6, 6]);
    expect(lowered("N, 8, 5, 9", "adaptive_avgpool((7, 2))").shape).toEqual(["N", 8, 7, 2]);
    expect(lowered("N, 8, H, 9", "adaptive_avgpool(3)").errors).toEqual(["E0206 adaptive_avgpool needs a static height, but it is the symbolic dimension H"]);
    expect(lowered("N, 8", "adaptive_avgpool(3)").errors[0]).toMatch(/^E0201 /);
  });

  it("lowers uniform bins to AveragePool and the rest to AdaptiveAveragePool", () => {
    expect(lowered("N, 512, 14, 14", "adaptive_avgpool(7)").nodes).toEqual(['AveragePool {"kernel_shape":[2,2],"strides":[2,2],"pads":[0,0,0,0],"count_include_pad":0}']);
    expect(lowered("N, 512, 7, 7", "adaptive_avgpool(7)").nodes).toEqual(['AveragePool {"kernel_shape":[1,1],"strides":[1,1],"pads":[0,0,0,0],"count_include_pad":0}']);
    expect(lowered("N, 256, 13, 13", "adaptive_avgpool(6)").nodes).toEqual(['AdaptiveAveragePool {"output_size":[6,6]}']);
  });

  it("is two MatMuls with constant pooling matrices in ONNX", () => {
    const checked = checkText("pool.nn", modelText("N, 3, 7, 6", "adaptive_avgpool((3, 4))"));
    const dump = dumpOnnx(compile(checked, new Map(), true, 17).bytes);
    expect(dump.match(/= (\w+)\(/g)).toEqual(["= MatMul(", "= MatMul("]);
    expect(dump).toMatch(/\[6, 4\]/);
    expect(dump).toMatch(/\[3, 7\]/);
  });

  it("gives PyTorch's values on every engine, with overlapping and with uniform bins", async () => {
    for (const c of casesOf("adaptive_average_pool")) {
      const [, channels, h, w] = c.inputs.x.shape;
      const [oh, ow] = c.attributes.output_size as number[];
      await everyEngine(modelOf(`N, ${channels}, ${h}, ${w}`, `adaptive_avgpool((${oh}, ${ow}))`), c.inputs.x, output(c, "y"), c.name);
    }
  });

  it("writes F.adaptive_avg_pool2d in the PyTorch module", async () => {
    for (const [input, body, call] of [
      ["N, 3, 13, 12", "adaptive_avgpool((6, 5))", "F.adaptive_avg_pool2d(x, (6, 5))"],
      ["N, 3, 13, 13", "adaptive_avgpool(6)", "F.adaptive_avg_pool2d(x, 6)"],
    ]) {
      const result = await compileModel({ host, path: "pool.nn", text: modelText(input, body), target: "torch" });
      expect(result.files.map((f) => String(f.contents)).join("\n")).toContain(call);
    }
  });
});
