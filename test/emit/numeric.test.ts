/**
 * Every example's generated module against the PyTorch reference (`test/fixtures/e2e/<example>.json`,
 * written by scripts/torch_e2e.py): fused and unfused inference modules, on both engines (the
 * WebAssembly plan and the readable TypeScript code), match the eval outputs,
 * and the train-mode module's `forward(x, { training: true })` matches the train outputs and,
 * through `state()`, every updated running statistic, all within 1e-4 of the output scale. The
 * weights and inputs are the synthetic ones the fixtures were made with (test/support/synthetic.ts).
 * Fused and unfused modules agree with each other, and so does the IR executor.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { executeGraph } from "../../compiler/ir/execute.js";
import { syntheticInput, syntheticWeights } from "../support/synthetic.js";
import { compileOk, importModule, RUNTIME_SOURCE, tempDir, type TensorLike } from "./support.js";

interface Record_ {
  shape: number[];
  data: number[];
}

interface Fixture {
  model: string;
  inputs: { name: string; shape: number[] }[];
  eval: { outputs: Record_[]; scale: number };
  train: { outputs: Record_[]; scale: number; dropout: "none" | "keep_all"; running: Record<string, number[]> } | null;
}

const EXAMPLES = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .map((f) => f.slice(0, -3))
  .sort();

const TOLERANCE = 1e-4;

function maxError(got: readonly TensorLike[], want: readonly Record_[]): number {
  expect(got.map((t) => t.shape)).toEqual(want.map((t) => t.shape));
  let error = 0;
  got.forEach((t, i) => want[i].data.forEach((v, j) => (error = Math.max(error, Math.abs(t.data[j] - v)))));
  return error;
}

const list = (y: TensorLike | TensorLike[]) => (Array.isArray(y) ? y : [y]);
const asRecord = (ys: readonly TensorLike[]): Record_[] => ys.map((t) => ({ shape: t.shape, data: Array.from(t.data) }));

/** Both engines of an inference module: the WebAssembly plan and the readable TypeScript code. */
const ENGINES = ["wasm", "ts"] as const;

/**
 * Examples of several GFLOPs, whose readable TypeScript code takes seconds a forward: their
 * unfused module runs on the WebAssembly engine only, and the IR executor's equality with it is
 * left to the other examples (which use every operator these do). Their fused module still runs
 * on both engines, and the train-mode module too.
 */
const HEAVY = new Set(["densenet121", "resnet50", "regnetx_400mf"]);

describe.each(EXAMPLES)("examples/%s.nn", (name) => {
  const fixture = JSON.parse(readFileSync(`test/fixtures/e2e/${name}.json`, "utf8")) as Fixture;
  const path = `examples/${name}.nn`;
  const dir = tempDir(`numeric-${name}`);
  const inputs = fixture.inputs.map((input, k) => ({ shape: input.shape, data: syntheticInput(k, input.shape) }));

  it("fused and unfused modules match the PyTorch eval outputs on both engines, each other and the IR executor", async () => {
    const outputs = new Map<string, TensorLike[]>();
    for (const fuse of [true, false]) {
      const result = await compileOk({ path, fuse, runtimeModule: RUNTIME_SOURCE });
      const variant = join(dir, fuse ? "fused" : "unfused");
      mkdirSync(variant, { recursive: true });
      const module = await importModule(result, variant);
      const weights = [...syntheticWeights(result.check.models[0].params).values()];
      const record = Object.fromEntries(result.check.models[0].params.map((p, i) => [p.name, weights[i]]));
      for (const engine of ENGINES) {
        if (!fuse && engine === "ts" && HEAVY.has(name)) continue;
        const what = `${fuse ? "fused" : "unfused"}, ${engine}`;
        const model = await module.load(record, { engine });
        expect(model.engine, what).toBe(engine);
        const y = list(model.forward(...inputs));
        model.close!();
        expect(maxError(y, fixture.eval.outputs) / fixture.eval.scale, what).toBeLessThanOrEqual(TOLERANCE);
        outputs.set(what, y);
        if (!fuse && engine === "ts") {
          const params = new Map(result.check.models[0].params.map((p, i) => [p.name, { shape: [...p.shape], data: weights[i] }]));
          const executed = executeGraph(result.graph!, params, inputs).outputs;
          expect(maxError(executed, asRecord(y))).toBe(0);
        }
      }
    }
    for (const engine of ENGINES) {
      if (!outputs.has(`unfused, ${engine}`)) continue;
      const fused = outputs.get(`fused, ${engine}`)!;
      expect(maxError(fused, asRecord(outputs.get(`unfused, ${engine}`)!)) / fixture.eval.scale, engine).toBeLessThanOrEqual(1e-5);
    }
  });

  it.runIf(fixture.train !== null)("the train-mode module matches the PyTorch train outputs and running statistics", async () => {
    const train = fixture.train!;
    const result = await compileOk({ path, mode: "train", runtimeModule: RUNTIME_SOURCE });
    const variant = join(dir, "train");
    mkdirSync(variant, { recursive: true });
    const module = await importModule(result, variant);
    const params = result.check.models[0].params;
    // "keep_all": a random source that never draws below p keeps every element (see the fixture's README).
    const model = await module.load(Object.fromEntries(syntheticWeights(params)), { random: () => 0.999999 });
    const y = list(model.forward(...inputs, { training: true }));
    expect(maxError(y, train.outputs) / train.scale).toBeLessThanOrEqual(TOLERANCE);
    const state = model.state();
    // Every parameter and buffer in declaration order, then the optimizer's state (before any step).
    expect(Object.keys(state).filter((name) => !name.startsWith("optim."))).toEqual(params.map((p) => p.name));
    expect(state["optim.step"]).toEqual(Float32Array.of(0));
    for (const [buffer, want] of Object.entries(train.running)) {
      const scale = Math.max(1, ...want.map(Math.abs));
      const error = Math.max(...want.map((v, i) => Math.abs(state[buffer][i] - v)));
      expect(error / scale, buffer).toBeLessThanOrEqual(TOLERANCE);
    }
  });
});
