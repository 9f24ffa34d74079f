/**
 * Compiling examples to modules in tests: emit into a temporary directory and import the result.
 * Modules for import name the runtime by its source path, so the tests run the current runtime
 * (vitest maps `.js` to the `.ts` source); modules for type-checking keep `nnc/runtime` and a
 * tsconfig maps it (`typeCheck`).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "vitest";
import type { CheckHost } from "../../compiler/check/check.js";
import { compileModel, type CompileRequest, type CompileResult } from "../../compiler/emit/compile-model.js";
import { diskHost } from "../support/disk.js";

/** Reads files from the real file system. */
export const host: CheckHost = diskHost;

/** The runtime's source entry, as emitted modules under test import it. */
export const RUNTIME_SOURCE = resolve("runtime/index.js");

/** A fresh temporary directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `nnc-${prefix}-`));
}

/** Compiles `path`, expecting success. */
export async function compileOk(request: Omit<CompileRequest, "host">): Promise<CompileResult> {
  const result = await compileModel({ host, ...request });
  // Warnings (an unused input, W0001) are no failure, as they are none of `nnc compile`.
  expect(result.check.diagnostics.filter((d) => d.severity === "error").map((d) => d.message)).toEqual([]);
  expect(result.errors).toEqual([]);
  expect(result.ok).toBe(true);
  return result;
}

/** The text of the emitted file whose name ends with `suffix`. */
export function fileText(result: CompileResult, suffix: string): string {
  const file = result.files.find((f) => f.name.endsWith(suffix));
  if (!file || typeof file.contents !== "string") throw new Error(`no emitted ${suffix} file`);
  return file.contents;
}

/** What a generated module exports, loosely typed for tests. */
export interface LoadedModule {
  load(source?: unknown, options?: { seed?: number; random?: () => number; engine?: string; threads?: number }): Promise<GeneratedModel>;
  PARAMETERS: readonly (readonly [string, readonly number[]])[];
}

/** A loaded generated model, loosely typed. */
export interface GeneratedModel {
  forward(...args: unknown[]): TensorLike | TensorLike[];
  state(): Record<string, Float32Array>;
  /** Inference modules: which kernels forward runs, and the call that stops the WebAssembly engine's workers. */
  readonly engine?: "wasm" | "ts";
  close?(): void;
}

export interface TensorLike {
  shape: number[];
  data: Float32Array;
}

/** Writes the module of `result` (importing the runtime source) into `dir` and imports it. */
export async function importModule(result: CompileResult, dir: string): Promise<LoadedModule> {
  for (const f of result.files) writeFileSync(join(dir, f.name), f.contents);
  const main = result.files.find((f) => f.name.endsWith(".ts") && !f.name.endsWith(".d.ts")) ?? result.files.find((f) => f.name.endsWith(".js"));
  return (await import(pathToFileURL(join(dir, main!.name)).href)) as LoadedModule;
}

/**
 * Type-checks every `.ts` file in `dir` in one `tsc` run, with `nnc/runtime` mapped to the
 * runtime's sources, the browser's library and no Node types; returns tsc's output ("" when clean).
 */
export function typeCheck(dir: string): string {
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "Bundler",
      lib: ["ES2022", "DOM"],
      types: [],
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      noUnusedLocals: true,
      baseUrl: ".",
      paths: { "nnc/runtime": [resolve("runtime/index.ts")] },
    },
    include: ["*.ts"],
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2));
  try {
    execFileSync(process.execPath, [resolve("node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], { encoding: "utf8" });
    return "";
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return `${e.stdout ?? ""}${e.stderr ?? ""}`;
  }
}
