/**
 * The generated TypeScript module (docs/codegen.md): golden text for two examples, the API contract of
 * `load`, `forward` and `state` (weights checks naming the parameter, input checks, state never
 * folded, training updating running statistics, seedable dropout), names from the source that
 * must not break the code, the engine choice of inference modules (fresh outputs from the
 * WebAssembly plan at any batch size, option checks, the fallback to TypeScript), every emitted
 * variant type-checking under `tsc`, and a standalone `--js` module running its WebAssembly engine
 * on two threads under plain `node`, with no `node_modules` anywhere, and exiting without close().
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { executeGraph } from "../../compiler/ir/execute.js";
import { initialWeights } from "../../compiler/weights/init.js";
import { writeSafetensors } from "../../runtime/weights/safetensors.js";
import { setWasmEnabled } from "../../runtime/fast/index.js";
import { expectBaseline } from "../support/baseline.js";
import { compileOk, fileText, importModule, RUNTIME_SOURCE, tempDir, typeCheck, type TensorLike } from "./support.js";

const EXAMPLES = readdirSync("examples")
  .filter((f) => f.endsWith(".nn"))
  .map((f) => f.slice(0, -3))
  .sort();

describe("golden modules", () => {
  it("resnet20.nn, inference, fused", async () => {
    const result = await compileOk({ path: "examples/resnet20.nn" });
    expectBaseline("test/baselines/emit/resnet20.ts.txt", fileText(result, ".ts"));
  });

  it("mlp.nn, train mode", async () => {
    const result = await compileOk({ path: "examples/mlp.nn", mode: "train" });
    expectBaseline("test/baselines/emit/mlp.train.ts.txt", fileText(result, ".ts"));
  });

  it("names each source line and emits one statement per layer", async () => {
    const text = fileText(await compileOk({ path: "examples/lenet.nn", fuse: false }), ".ts");
    expect(text).toContain("// lenet.nn:8  conv0 = conv(6, 5, pad: 2)\n    const conv0 = conv(x, ");
    expect(text).toContain("forward(x: Tensor<[number, 1, 28, 28]>): Tensor<[number, 10]>");
  });
});

describe("the module API", () => {
  const dir = tempDir("api");
  const x = { shape: [2, 3, 32, 32], data: Float32Array.from({ length: 2 * 3 * 32 * 32 }, (_, i) => Math.sin(i)) };

  async function resnet(mode: "inference" | "train" = "inference") {
    const result = await compileOk({ path: "examples/resnet20.nn", mode, runtimeModule: RUNTIME_SOURCE });
    const sub = join(dir, mode);
    mkdirSync(sub, { recursive: true });
    const params = result.check.models[0].params;
    const weights = initialWeights(result.check.models[0], 3);
    // Running statistics other than the initial ones, so that folding them matters.
    for (const p of params) if (p.buffer) weights.set(p.name, weights.get(p.name)!.map((_, i) => (p.name.endsWith("var") ? 0.5 + (i % 5) / 4 : (i % 7) / 10 - 0.3)));
    return { result, module: await importModule(result, sub), params, weights };
  }

  it("load takes the original names (record, bytes or path), folds, and state() never returns folded values", async () => {
    const { result, module, params, weights } = await resnet();
    const record = Object.fromEntries(weights);
    const fromRecord = await module.load(record);
    const bytes = writeSafetensors(params.map((p) => ({ name: p.name, shape: p.shape, data: weights.get(p.name)! })));
    const fromBytes = await module.load(bytes);
    const path = join(dir, "weights.safetensors");
    writeFileSync(path, bytes);
    const fromPath = await module.load(path);
    const y = fromRecord.forward(x) as TensorLike;
    expect(y.shape).toEqual([2, 10]);
    expect((fromBytes.forward(x) as TensorLike).data).toEqual(y.data);
    expect((fromPath.forward(x) as TensorLike).data).toEqual(y.data);
    const state = fromRecord.state();
    expect(Object.keys(state)).toEqual(params.map((p) => p.name));
    for (const p of params) expect(state[p.name], p.name).toEqual(weights.get(p.name));
    const executed = executeGraph(result.graph!, new Map(params.map((p) => [p.name, { shape: [...p.shape], data: weights.get(p.name)! }])), [x]);
    const error = Math.max(...executed.outputs[0].data.map((v, i) => Math.abs(v - y.data[i])));
    expect(error).toBeLessThan(1e-5);
  });

  it("load() without an argument loads the checkpoint shipped next to the module", async () => {
    const { module } = await resnet();
    const model = await module.load();
    expect((model.forward(x) as TensorLike).shape).toEqual([2, 10]);
  });

  it("rejects missing, extra, wrongly shaped and non-finite weights, naming every parameter", async () => {
    const { module, weights } = await resnet();
    const record: Record<string, Float32Array> = Object.fromEntries(weights);
    delete record["Basic0.conv0.weight"];
    record["Basic9.conv0.weight"] = new Float32Array(4);
    record["dense0.bias"] = new Float32Array(11);
    record["stem.batch0.running_var"] = Float32Array.from({ length: 16 }, (_, i) => (i === 3 ? NaN : 1));
    const error = await module.load(record).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(error).toContain("model parameter `Basic0.conv0.weight` [16,16,3,3] is missing");
    expect(error).toContain("weight `Basic9.conv0.weight` matches no parameter of the model");
    expect(error).toContain("model parameter `dense0.bias` has shape [10], but the weights give 11 values");
    expect(error).toContain("model parameter `stem.batch0.running_var` has 1 non-finite value, the first NaN at flat index 3");
    await expect(module.load(new Uint8Array([1, 2, 3]))).rejects.toThrow(/not a safetensors file/);
    await expect(module.load(join(dir, "no-such.safetensors"))).rejects.toThrow(/cannot read weights file/);
  });

  it("forward checks every input's rank and static dimensions", async () => {
    const { module, weights } = await resnet();
    const model = await module.load(Object.fromEntries(weights));
    expect(() => model.forward({ shape: [2, 3, 32], data: new Float32Array(192) })).toThrow("ResNet20.forward: input x: expected shape [N, 3, 32, 32], got [2, 3, 32]");
    expect(() => model.forward({ shape: [1, 4, 32, 32], data: new Float32Array(4096) })).toThrow(/expected shape \[N, 3, 32, 32\], got \[1, 4, 32, 32\]/);
    expect(() => model.forward({ shape: [1, 3, 32, 32], data: new Float32Array(5) })).toThrow(/needs 3072 values, got 5/);
    expect(() => model.forward(undefined)).toThrow(/expected a tensor/);
    expect((model.forward({ shape: [5, 3, 32, 32], data: new Float32Array(5 * 3072) }) as TensorLike).shape).toEqual([5, 10]);
  });

  it("the WebAssembly engine gives fresh, independent outputs over repeated forwards at two batch sizes", async () => {
    const { module, weights } = await resnet();
    const record = Object.fromEntries(weights);
    const fast = await module.load(record, { engine: "wasm" });
    const reference = await module.load(record, { engine: "ts" });
    expect([fast.engine, reference.engine]).toEqual(["wasm", "ts"]);
    const x5 = { shape: [5, 3, 32, 32], data: Float32Array.from({ length: 5 * 3072 }, (_, i) => Math.cos(i / 3)) };
    const want2 = reference.forward(x) as TensorLike;
    const want5 = reference.forward(x5) as TensorLike;
    const scale = Math.max(...want5.data.map(Math.abs), ...want2.data.map(Math.abs));
    const close = (got: TensorLike, want: TensorLike) => {
      expect(got.shape).toEqual(want.shape);
      expect(Math.max(...got.data.map((v, i) => Math.abs(v - want.data[i]))) / scale).toBeLessThan(1e-5);
    };
    const a = fast.forward(x) as TensorLike;
    const b = fast.forward(x5) as TensorLike;
    const kept = a.data.slice();
    const a2 = fast.forward(x) as TensorLike;
    const b2 = fast.forward(x5) as TensorLike;
    close(a, want2);
    close(b, want5);
    expect(a.data).toEqual(kept);
    expect(a2.data).not.toBe(a.data);
    expect(b2.data).not.toBe(b.data);
    a.data.fill(Number.NaN);
    b.data.fill(Number.NaN);
    close(a2, want2);
    close(b2, want5);
    close(fast.forward(x5) as TensorLike, want5);
    expect(fast.state()).toEqual(reference.state());
    // close() stops the plans; a later forward compiles again. Two threads give the same results.
    fast.close!();
    close(fast.forward(x) as TensorLike, want2);
    fast.close!();
    const threaded = await module.load(record, { engine: "wasm", threads: 2 });
    close(threaded.forward(x5) as TensorLike, want5);
    threaded.close!();
  });

  it("checks the engine options, and auto falls back to the TypeScript code without WebAssembly", async () => {
    const { module, weights } = await resnet();
    const record = Object.fromEntries(weights);
    expect((await module.load(record)).engine).toBe("wasm");
    await expect(module.load(record, { engine: "gpu" })).rejects.toThrow('ResNet20: load option engine must be "auto", "wasm" or "ts", got "gpu"');
    await expect(module.load(record, { threads: 0 })).rejects.toThrow("ResNet20: load option threads must be a positive integer, got 0");
    setWasmEnabled(false);
    try {
      expect((await module.load(record)).engine).toBe("ts");
      await expect(module.load(record, { engine: "wasm" })).rejects.toThrow(/ResNet20: engine "wasm" needs WebAssembly with SIMD128/);
    } finally {
      setWasmEnabled(true);
    }
  });

  it("train mode uses batch statistics, updates the running ones in state(), and leaves the parameters", async () => {
    const { module, params, weights } = await resnet("train");
    const model = await module.load(Object.fromEntries(weights));
    const before = model.state();
    const evalY = model.forward(x) as TensorLike;
    expect(model.state()).toEqual(before);
    const trainY = model.forward(x, { training: true }) as TensorLike;
    expect(trainY.data).not.toEqual(evalY.data);
    const after = model.state();
    for (const p of params) {
      if (p.buffer) expect(after[p.name], p.name).not.toEqual(before[p.name]);
      else expect(after[p.name], p.name).toEqual(before[p.name]);
    }
    // The updated statistics now drive inference.
    expect((model.forward(x) as TensorLike).data).not.toEqual(evalY.data);
  });

  it("train-mode dropout is reproducible by seed", async () => {
    const result = await compileOk({ path: "examples/mlp.nn", mode: "train", runtimeModule: RUNTIME_SOURCE });
    const sub = join(dir, "mlp");
    mkdirSync(sub, { recursive: true });
    const module = await importModule(result, sub);
    const weights = Object.fromEntries(initialWeights(result.check.models[0], 0));
    const input = { shape: [4, 784], data: Float32Array.from({ length: 4 * 784 }, (_, i) => Math.cos(i)) };
    const run = async (seed: number) => ((await module.load(weights, { seed })).forward(input, { training: true }) as TensorLike).data;
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
    const model = await module.load(weights, { seed: 1 });
    expect((model.forward(input) as TensorLike).data).toEqual((model.forward(input) as TensorLike).data);
  });
});

describe("names from the source", () => {
  // Labels that are keywords, kernel and helper names of the module, `__proto__`; a model named
  // like the module's own Tensor type; inputs named like its locals.
  const source = [
    "model Tensor(load: [N, 4], w: [N, 4]) {",
    "  a = load -> __proto__: dense(4) -> constructor: relu -> training: dense(4) -> checkInput: batch -> gemm: dropout(0.5)",
    "  return (a + w, w -> class: dense(2) -> this: relu)",
    "}",
    "",
  ].join("\n");

  it("cannot break or inject into the emitted code, in any mode", async () => {
    const dir = tempDir("hostile");
    const path = join(dir, "hostile.nn");
    writeFileSync(path, source);
    for (const [mode, fuse] of [["inference", true], ["inference", false], ["train", true]] as const) {
      const result = await compileOk({ path, mode, fuse, runtimeModule: RUNTIME_SOURCE });
      const sub = join(dir, `${mode}-${fuse}`);
      mkdirSync(sub, { recursive: true });
      const module = await importModule(result, sub);
      const weights = initialWeights(result.check.models[0], 1);
      const model = await module.load(Object.fromEntries(weights));
      const input = { shape: [3, 4], data: Float32Array.from({ length: 12 }, (_, i) => i / 10) };
      const [sum, head] = model.forward(input, input) as TensorLike[];
      expect(sum.shape).toEqual([3, 4]);
      expect(head.shape).toEqual([3, 2]);
      expect(Object.keys(model.state())).toContain("__proto__.weight");
      expect(model.state()["__proto__.weight"]).toEqual(weights.get("__proto__.weight"));
    }
  });
});

describe("every emitted module type-checks", () => {
  it("each example fused, unfused, in train mode and standalone, plus hostile names, in one tsc run", async () => {
    const dir = tempDir("tsc");
    const variants = [
      { suffix: "fused", request: {} },
      { suffix: "unfused", request: { fuse: false } },
      { suffix: "train", request: { mode: "train" as const } },
      { suffix: "standalone", request: { standalone: true } },
    ];
    for (const name of EXAMPLES) {
      for (const { suffix, request } of variants) {
        const result = await compileOk({ path: `examples/${name}.nn`, ...request });
        writeFileSync(join(dir, `${name}_${suffix}.ts`), fileText(result, ".ts"));
      }
    }
    const hostile = join(dir, "hostile.nn");
    writeFileSync(hostile, "model load(x: [N, 2]) {\n  return x -> __proto__: dense(2) -> w: relu -> Tensor: dense(3)\n}\n");
    for (const mode of ["inference", "train"] as const) {
      writeFileSync(join(dir, `hostile_${mode}.ts`), fileText(await compileOk({ path: hostile, mode }), ".ts"));
      writeFileSync(join(dir, `hostile_${mode}_standalone.ts`), fileText(await compileOk({ path: hostile, mode, standalone: true }), ".ts"));
    }
    expect(typeCheck(dir)).toBe("");
    // About 80 s alone on a loaded 2-core machine (eight standalone compiles and one tsc run): a 2× margin.
  }, 180_000);
});

describe("--standalone --js", () => {
  it("runs under plain node from a directory without node_modules, loading its shipped weights", async () => {
    const dir = tempDir("standalone");
    const result = await compileOk({ path: "examples/lenet.nn", standalone: true, js: true });
    expect(result.files.map((f) => f.name).sort()).toEqual(["lenet.d.ts", "lenet.js", "lenet.safetensors"]);
    const js = fileText(result, ".js");
    expect(js).not.toMatch(/^\s*import\s/m);
    for (const f of result.files) writeFileSync(join(dir, f.name), f.contents);
    // The default engine with two threads and no close(): the worker threads must not keep node alive.
    const script = [
      'import { load } from "./lenet.js";',
      "const model = await load(undefined, { threads: 2 });",
      "const x = { shape: [2, 1, 28, 28], data: Float32Array.from({ length: 1568 }, (_, i) => Math.sin(i)) };",
      "const y = model.forward(x);",
      "const again = model.forward(x);",
      "const ts = (await load(undefined, { engine: 'ts' })).forward(x);",
      "let error = '';",
      "try { model.forward({ shape: [2, 28, 28], data: new Float32Array(1568) }); } catch (e) { error = e.message; }",
      "console.log(JSON.stringify({ engine: model.engine, shape: y.shape, data: Array.from(y.data), ts: Array.from(ts.data), fresh: again.data !== y.data, error }));",
    ].join("\n");
    writeFileSync(join(dir, "run.mjs"), script);
    const out = JSON.parse(execFileSync(process.execPath, ["run.mjs"], { cwd: dir, encoding: "utf8", timeout: 30_000 })) as {
      engine: string; shape: number[]; data: number[]; ts: number[]; fresh: boolean; error: string;
    };
    expect(out.engine).toBe("wasm");
    expect(out.fresh).toBe(true);
    expect(out.shape).toEqual([2, 10]);
    expect(out.error).toBe("LeNet.forward: input x: expected shape [N, 1, 28, 28], got [2, 28, 28]");
    const model = result.check.models[0];
    const weights = initialWeights(model, 0);
    const x = { shape: [2, 1, 28, 28], data: Float32Array.from({ length: 1568 }, (_, i) => Math.sin(i)) };
    const want = executeGraph(result.graph!, new Map(model.params.map((p) => [p.name, { shape: [...p.shape], data: weights.get(p.name)! }])), [x]);
    expect(Math.max(...out.data.map((v, i) => Math.abs(v - want.outputs[0].data[i])))).toBeLessThan(1e-5);
    expect(Math.max(...out.ts.map((v, i) => Math.abs(v - want.outputs[0].data[i])))).toBeLessThan(1e-6);
    expect(fileText(result, ".d.ts")).toContain("forward(x: Tensor<[number, 1, 28, 28]>): Tensor<[number, 10]>;");
  });
});
