/**
 * Emission time against model size: a chain of `n` layers (`x -> [dense(16) -> relu] * n/2`)
 * compiled to each target (TypeScript, ONNX, PyTorch) in process, for n = 1,000 and 10,000; the
 * check is timed apart. The table gives wall milliseconds (one run each, after a warm-up at
 * n = 100) and the milliseconds per layer, which stays flat where emission is linear.
 *
 *   npm run bench:emit
 */
import { performance } from "node:perf_hooks";
import { checkSource } from "../compiler/check/check.js";
import { compileModel } from "../compiler/emit/compile-model.js";

const SIZES = [1_000, 10_000];
const TARGETS = ["ts", "onnx", "torch"] as const;

function source(layers: number): string {
  return `model Chain(x: [N, 16]) {\n  return x -> [dense(16) -> relu] * ${layers / 2}\n}\n`;
}

async function timeCompile(layers: number, target: (typeof TARGETS)[number]): Promise<number> {
  const text = source(layers);
  const t0 = performance.now();
  const result = await compileModel({ path: "chain.nn", text, host: { readFile: () => undefined }, target });
  if (!result.ok) throw new Error(`${target} at ${layers}: ${result.errors.join("; ")}`);
  return performance.now() - t0;
}

async function main(): Promise<void> {
  for (const target of TARGETS) await timeCompile(100, target);
  console.log("| layers | check (ms) | " + TARGETS.map((t) => `compile --target ${t} (ms) | per layer (ms)`).join(" | ") + " |");
  console.log("|---|---|" + TARGETS.map(() => "---|---|").join(""));
  for (const layers of SIZES) {
    const t0 = performance.now();
    checkSource("chain.nn", source(layers), { readFile: () => undefined });
    const check = performance.now() - t0;
    const cells: string[] = [];
    for (const target of TARGETS) {
      const ms = await timeCompile(layers, target);
      cells.push(`${ms.toFixed(0)} | ${(ms / layers).toFixed(3)}`);
    }
    console.log(`| ${layers.toLocaleString("en-US")} | ${check.toFixed(0)} | ${cells.join(" | ")} |`);
  }
}

await main();
