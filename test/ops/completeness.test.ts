/**
 * The operator registry's completeness test: every registered layer, with its default arguments,
 * goes through every stage — checking, lowering, the IR executor, TypeScript emission (imported
 * and run, then type-checked by tsc in one run at the end), the plan on WebAssembly and on its
 * TypeScript fallback, and ONNX emission run in onnxruntime — and each stage must agree with the
 * IR executor. An element-wise activation that declares an epilogue must also fuse into the conv
 * before it and run there on the plan without a fallback step. A layer that lacks a part fails
 * the test named after it, with the stage in the message.
 *
 * The numbers themselves are checked against PyTorch elsewhere (test/runtime's kernel fixtures,
 * test/e2e's models); here every stage is held to the executor within 1e-4 of the output scale.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { compileModel } from "../../compiler/emit/compile-model.js";
import { emitOnnx } from "../../compiler/emit/onnx/emit-onnx.js";
import { evaluateConstants, executeGraph } from "../../compiler/ir/execute.js";
import type { Graph } from "../../compiler/ir/graph.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { planSteps } from "../../compiler/ir/plan-steps.js";
import { INFERENCE_PASSES, UNFUSED_PASSES, runPipeline } from "../../compiler/passes/pipeline.js";
import { compilePlan, type PlanGraph } from "../../runtime/fast/index.js";
import * as runtime from "../../runtime/index.js";
import type { Tensor } from "../../runtime/index.js";
import { IR_OPERATORS, KERNELS, LAYER_LIST } from "../../runtime/ops/index.js";
import type { AttrValue, LayerOperator } from "../../runtime/ops/types.js";
import { host, importModule, RUNTIME_SOURCE, tempDir, typeCheck } from "../emit/support.js";
import { ACTIVATIONS as ONNX_ACTIVATIONS } from "../onnx/operator-models.js";
import { paramTensors, randomInput, relativeError, runOrt } from "../onnx/support.js";
import { irFallback } from "../runtime-fast/plan-support.js";
import { syntheticWeights } from "../support/synthetic.js";

const TOLERANCE = 1e-4;
const BATCH = 2;

/** A value of the language for an argument: numbers, booleans, strings, lists. */
function argumentText(value: AttrValue): string {
  if (Array.isArray(value)) return `[${value.join(", ")}]`;
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** The layer applied with only the arguments it cannot do without (`relu`, `conv(out: 4, kernel: 3)`). */
function callText(layer: LayerOperator): string {
  const args = Object.entries(layer.example?.args ?? {}).map(([name, value]) => `${name}: ${argumentText(value)}`);
  return args.length === 0 ? layer.name : `${layer.name}(${args.join(", ")})`;
}

/** The models a layer is tested in: alone, and after a conv where it can fuse or fold. */
interface LayerModel {
  readonly name: string;
  readonly text: string;
  /** The layer is an activation that must fuse into the conv before it. */
  readonly fusesAfterConv?: boolean;
}

function modelsOf(layer: LayerOperator): LayerModel[] {
  const dims = layer.example?.input ?? [4, 6, 6];
  const input = `x: [N, ${dims.join(", ")}]`;
  const count = layer.example?.inputs ?? 1;
  const operands = count === 1 ? "x" : `(${Array.from({ length: count }, () => "x").join(", ")})`;
  const call = callText(layer);
  const models: LayerModel[] = [{ name: layer.name, text: `model M(${input}) {\n  return ${operands} -> ${call}\n}\n` }];
  if (dims.length === 3 && count === 1 && (layer.family === "activation" || layer.family === "normalizer")) {
    const op = IR_OPERATORS.get(lowerOne(layer).op);
    models.push({
      name: `conv -> ${layer.name}`,
      text: `model M(${input}) {\n  return x -> conv(4, 3, pad: 1) -> ${call}\n}\n`,
      fusesAfterConv: op?.epilogue?.fuses === true,
    });
  }
  return models;
}

/** The first IR node of `layer` alone on its example input (to find its IR operator). */
function lowerOne(layer: LayerOperator): { op: string } {
  const model = checked(`model M(x: [N, ${(layer.example?.input ?? [4, 6, 6]).join(", ")}]) {\n  return x -> ${callText(layer)}\n}\n`);
  return lowerModel(model).nodes.at(-1) ?? { op: "" };
}

function checked(text: string): CheckedModel {
  const result = checkSource("registry.nn", text, host);
  const errors = result.diagnostics.filter((d) => d.severity === "error").map((d) => `${d.code}: ${d.message}`);
  expect(errors, "check").toEqual([]);
  return result.models[0] as CheckedModel;
}

function concreteShapes(graph: Graph): number[][] {
  return graph.inputs.map((name) => graph.value(name).shape.map((d) => (typeof d === "number" ? d : BATCH)));
}

function expectAgrees(stage: string, got: readonly Tensor[], want: readonly Tensor[]): void {
  expect(got.length, stage).toBe(want.length);
  want.forEach((w, i) => {
    const error = relativeError(got[i], w);
    expect(error, `${stage}: output ${i} differs from the IR executor by ${error}`).toBeLessThan(TOLERANCE);
  });
}

/** The plan of a fused inference graph, with its weights (folded constants included). */
function planOf(graph: Graph, params: ReadonlyMap<string, Tensor>, inputs: readonly Tensor[], wasm: boolean) {
  const literals = [...graph.values.values()].flatMap((v) => (v.kind === "const" ? [[v.name, { shape: v.shape as number[], data: v.data! }] as const] : []));
  const weights = new Map<string, Tensor>([...params, ...literals, ...evaluateConstants(graph, params)]);
  const plan: PlanGraph = {
    inputs: graph.inputs.map((name, k) => ({ name, shape: inputs[k].shape })),
    outputs: graph.outputs,
    steps: planSteps(graph),
  };
  return compilePlan(plan, weights, { fallback: irFallback, wasm });
}

const tscDir = tempDir("registry-tsc");
let typeChecked = 0;

describe("every registered layer passes through every stage", () => {
  for (const layer of LAYER_LIST) {
    for (const { name, text, fusesAfterConv } of modelsOf(layer)) {
      it(name, async () => {
        const model = checked(text);
        const params = paramTensors(model, syntheticWeights(model.params));

        // Lowering: every node it makes has a registry entry whose kernel is a runtime export.
        const lowered = lowerModel(model);
        for (const node of lowered.nodes) {
          const entry = IR_OPERATORS.get(node.op);
          expect(entry, `lowering: ${node.op} has no registry entry`).toBeDefined();
          const kernel = entry!.kernel(node, false).kernel;
          expect(typeof (runtime as Record<string, unknown>)[kernel], `kernel call: nnc/runtime has no ${kernel}`).toBe("function");
        }

        const inputs = concreteShapes(lowered).map((shape, i) => randomInput(shape, 7 + i));
        const want = executeGraph(lowered, params, inputs).outputs;
        for (const v of want) expect(v.data.every(Number.isFinite), "IR executor: non-finite output").toBe(true);

        for (const fuse of [true, false]) {
          const graph = runPipeline(lowered, fuse ? INFERENCE_PASSES : UNFUSED_PASSES).graph;
          expectAgrees(`IR executor after the ${fuse ? "fused" : "unfused"} passes`, executeGraph(graph, params, inputs).outputs, want);

          // The plan, on WebAssembly and on its TypeScript path.
          for (const wasm of [true, false]) {
            const plan = planOf(graph, params, inputs, wasm);
            try {
              expectAgrees(`plan (${wasm ? "WebAssembly" : "TypeScript"}, ${fuse ? "fused" : "unfused"})`, plan.run(inputs), want);
              if (wasm && fuse && !fusesAfterConv && IR_OPERATORS.get(graph.nodes.at(-1)?.op ?? "")?.activation !== undefined) {
                const fallbacks = Object.keys(plan.kernels).filter((k) => k.startsWith("fallback"));
                expect(fallbacks, "plan: an activation with a write-back form runs on a fallback").toEqual([]);
              }
              if (fuse && fusesAfterConv && wasm) {
                expect(graph.nodes.map((n) => n.op), "fuse-activation: the activation did not fuse into the conv").toEqual(["Conv"]);
                const fallbacks = Object.keys(plan.kernels).filter((k) => k.startsWith("fallback"));
                expect(fallbacks, "plan: the fused activation runs on a fallback").toEqual([]);
              }
            } finally {
              plan.close();
            }
          }

          // ONNX, run in onnxruntime.
          for (const opset of [17, 21]) {
            let bytes: Uint8Array;
            try {
              bytes = emitOnnx(graph, params, { opset, sourcePath: "registry.nn", sources: () => undefined, metadata: {} });
            } catch (e) {
              throw new Error(`ONNX emission (opset ${opset}, ${fuse ? "fused" : "unfused"}): ${(e as Error).message}`);
            }
            expectAgrees(`onnxruntime (opset ${opset}, ${fuse ? "fused" : "unfused"})`, await runOrt(bytes, graph, inputs, false), want);
          }
        }

        // The TypeScript module: imported and run on both engines, and kept for one tsc run.
        const compiled = await compileModel({ host, path: "registry.nn", text, runtimeModule: RUNTIME_SOURCE });
        expect(compiled.errors, "TypeScript emission").toEqual([]);
        const dir = tempDir("registry-module");
        const module = await importModule(compiled, dir);
        const state = Object.fromEntries([...params].map(([k, t]) => [k, t.data]));
        for (const engine of ["ts", "wasm"]) {
          const loaded = await module.load(state, { engine });
          try {
            const out = loaded.forward(...inputs);
            expectAgrees(`generated module (engine ${engine})`, Array.isArray(out) ? out : [out], want);
          } finally {
            loaded.close?.();
          }
        }
        const typed = await compileModel({ host, path: `layer_${typeChecked++}.nn`, text });
        for (const f of typed.files) if (f.name.endsWith(".ts")) writeFileSync(join(tscDir, f.name), f.contents);
      }, 60_000);
    }
  }

  afterAll(() => {
    if (typeChecked === 0) return; // a filtered run (`-t`) that compiled no module
    const output = typeCheck(tscDir);
    expect(output, "tsc over every registered layer's module").toBe("");
  }, 240_000);
});

describe("the registry itself", () => {
  it("has every activation with a write-back form among the ONNX operator models (onnx.checker, every opset)", () => {
    const listed = new Set(ONNX_ACTIVATIONS.map((a) => a.replace(/\(.*$/, "")));
    for (const layer of LAYER_LIST) {
      if (layer.family !== "activation" || layer.args.some((a) => a.default === undefined)) continue;
      if (IR_OPERATORS.get(lowerOne(layer).op)?.activation !== undefined) expect(listed.has(layer.name), layer.name).toBe(true);
    }
  });

  it("gives the runtime the runtime part of every IR operator, and nothing else", () => {
    expect([...KERNELS.keys()].sort()).toEqual([...IR_OPERATORS.keys()].sort());
    for (const [op, entry] of IR_OPERATORS) {
      const kernel = KERNELS.get(op)!;
      expect(entry.kernel, op).toBe(kernel.kernel);
      expect(entry.activation, op).toBe(kernel.activation);
      expect(entry.plan, op).toBe(kernel.plan);
    }
  });

  it("names every layer and IR operator once", () => {
    const names = LAYER_LIST.map((l) => l.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("has an IR entry for every operator the inference passes introduce", () => {
    // The folds write NormalizationAffine, FoldAffine, Mul and Add nodes; none is a layer of its own.
    for (const op of ["NormalizationAffine", "FoldAffine", "Mul", "Add"]) expect(IR_OPERATORS.has(op), op).toBe(true);
  });
});
