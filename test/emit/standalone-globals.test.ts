/**
 * A `--standalone` module inlines runtime code that reads globals of the environment
 * (`DataView`, `WebAssembly`, `TextDecoder`, type helpers such as `Partial`). A model named after
 * one of them must not shadow it: the module's class then takes another name (`DataView_2`).
 * Every such global that the inlined runtime of a small module reads is tried as a model name;
 * each module must type-check (one tsc run) and load and run.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkSource } from "../../compiler/check/check.js";
import type { CheckedModel } from "../../compiler/check/model.js";
import { lowerModel } from "../../compiler/ir/lower.js";
import { INFERENCE_PASSES, runPipeline } from "../../compiler/passes/pipeline.js";
import { MODULE_DECLARATIONS, runtimeImports, runtimeTypes } from "../../compiler/emit/ts/emit-module.js";
import { inlineRuntime } from "../../compiler/emit/ts/inline-runtime.js";
import { compileOk, fileText, host, importModule, tempDir, typeCheck } from "./support.js";

const text = (name: string) => `model ${name}(x: [N, 4]) {\n  return x -> dense(2) -> relu\n}\n`;

/** The globals the inlined runtime of the model reads, minus those every module already avoids. */
function globalsRead(): string[] {
  const model = checkSource("probe.nn", text("Probe"), host).models[0] as CheckedModel;
  const graph = runPipeline(lowerModel(model), INFERENCE_PASSES).graph;
  const { globals } = inlineRuntime([...runtimeImports(graph, "inference"), ...runtimeTypes("inference")], MODULE_DECLARATIONS);
  return globals.filter((g) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(g));
}

describe("--standalone and globals", () => {
  it("a model may be named after any global the inlined runtime reads", async () => {
    const names = globalsRead();
    expect(names).toEqual(expect.arrayContaining(["DataView", "TextDecoder", "WebAssembly", "SharedArrayBuffer", "Int32Array"]));
    const dir = tempDir("globals");
    const run = tempDir("globals-run");
    for (const name of names) {
      const path = join(dir, `${name.toLowerCase()}_model.nn`);
      writeFileSync(path, text(name));
      const result = await compileOk({ path, standalone: true });
      writeFileSync(join(dir, `${name.toLowerCase()}_model.ts`), fileText(result, ".ts"));
      const module = await importModule(result, run);
      const model = await module.load(undefined, { engine: "ts" });
      const y = model.forward({ shape: [3, 4], data: new Float32Array(12).fill(0.5) });
      expect(Array.isArray(y) ? y[0]!.shape : y.shape, name).toEqual([3, 2]);
    }
    expect(typeCheck(dir)).toBe("");
    // About 60 s on a loaded 2-core machine (one standalone compile per name, one tsc run): a 2× margin.
  }, 240_000);
});
